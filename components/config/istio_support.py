"""Istio revisions against Istio's support calendar (components/data/istio_versions.json).

- Each revision's minor must be in the calendar, and must support the Kubernetes minor of every
  cluster it runs on: `clusters.eks.version` when EKS runs Istio, and the floor
  `clusters.gke.minMasterVersion` on GKE. Either failing is a problem: istiod and its webhooks are
  not tested, and may not work, on a Kubernetes minor outside its range.
- A minor past the end of its community support, or within `WARN_DAYS` of it, is a warning with the
  date, how firm istio.io has made it, and the minor to move to: past the end, Istio publishes no
  security fix for it, but the mesh keeps running, and a deployed stack must still plan to be upgraded
  (the upgrade runs the old revision beside the new one for three `pulumi up`s). docs/mesh.md says why.
- GKE on a release channel moves through the minors the channel offers; one the Istio minor does not
  support is a warning.

Pure: no `pulumi` import.
"""

from __future__ import annotations

import datetime

from components.config.messages import config_key
from components.config.platform import (
    IstioCalendar,
    IstioMinor,
    gke_channel_minors,
    gke_channels_as_of,
    istio_calendar,
)
from components.config.schema import StackConfig

# Warn this long before a minor's support ends: a revision-based upgrade is four `pulumi up`s with
# workload restarts between them, in every environment.
WARN_DAYS = 90
UPGRADE_RUNBOOK = "docs/runbooks/upgrade-istio.md"
REFRESH = "components/data/istio_versions.json (scripts/refresh_platform_data.py istio)"


def istio_support_problems(config: StackConfig) -> list[str]:
    """Revisions whose Istio minor is not in the calendar, or does not support a cluster's Kubernetes."""
    calendar = istio_calendar()
    problems = []
    for name, version in config.mesh.istio.revisions.items():
        key = f"{config_key('mesh.istio.revisions')}.{name}"
        found = calendar.get(minor_of(version))
        if found is None:
            problems.append(f"{key}: {version!r} {_not_in_calendar(calendar, minor_of(version))}")
            continue
        for cluster_key, kubernetes in _kubernetes_of(config):
            if kubernetes not in found.kubernetes:
                problems.append(_unsupported(key, version, found, cluster_key, kubernetes, calendar))
    return problems


def istio_support_warnings(config: StackConfig, today: datetime.date) -> list[str]:
    """Revisions near or past the end of support, and GKE channel minors their Istio does not support."""
    calendar = istio_calendar()
    warnings = []
    for name, version in config.mesh.istio.revisions.items():
        found = calendar.get(minor_of(version))
        if found is None:
            continue
        key = f"{config_key('mesh.istio.revisions')}.{name}"
        warnings += _support_warning(key, version, found, calendar, today)
        warnings += _channel_warning(key, version, found, config)
    return warnings


def minor_of(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _kubernetes_of(config: StackConfig) -> list[tuple[str, str]]:
    """(key, Kubernetes minor) of each cluster Istio runs on whose minor the stack file sets."""
    clusters = []
    if config.mesh.engines.aws == "istio":
        clusters.append(("clusters.eks.version", config.clusters.eks.version))
    if config.clusters.gke.min_master_version is not None:
        clusters.append(
            ("clusters.gke.minMasterVersion", _kubernetes_minor(config.clusters.gke.min_master_version))
        )
    return clusters


def _kubernetes_minor(version: str) -> str:
    return ".".join(version.split("-")[0].split(".")[:2])


def _unsupported(
    key: str, version: str, found: IstioMinor, cluster_key: str, kubernetes: str, calendar: IstioCalendar
) -> str:
    fitting = [v.minor for v in calendar.versions if kubernetes in v.kubernetes]
    istio_choice = (
        f"an Istio minor that supports {kubernetes} ({', '.join(fitting)})"
        if fitting
        else f"no recorded Istio minor supports {kubernetes}"
    )
    return (
        f"{key}: {version!r}: Istio {found.minor} supports Kubernetes {_span(found.kubernetes)}, not "
        f"{config_key(cluster_key)} {kubernetes!r} (istio.io's support-status table, read {calendar.read}); "
        f"allowed: {istio_choice}, or a Kubernetes minor from {_span(found.kubernetes)}"
    )


def _support_warning(
    key: str, version: str, found: IstioMinor, calendar: IstioCalendar, today: datetime.date
) -> list[str]:
    ends = found.end_of_support
    if ends is None:
        return []
    days = (ends - today).days
    if days > WARN_DAYS:
        return []
    firm = _how_firm(found)
    if days < 0:
        when = f"left Istio's community support on {ends} ({firm}); Istio publishes no more fixes for it"
    elif days == 0:
        when = f"reaches the end of Istio's community support today, {ends} ({firm})"
    else:
        when = f"leaves Istio's community support on {ends} ({firm}), in {days} day{'s' if days > 1 else ''}"
    return [f"{key}: {version!r}: Istio {found.minor} {when}; {_next_step(found, calendar, today)}"]


def _how_firm(found: IstioMinor) -> str:
    """How sure the date is: a month istio.io expects, or a day it announced."""
    if found.end_status == "expected":
        major, minor = found.number
        return f"expected: istio.io gives the month; the day is six weeks after {major}.{minor + 2}.0"
    return "announced by istio.io" if found.end_status == "announced" else "istio.io announced its end"


def _next_step(found: IstioMinor, calendar: IstioCalendar, today: datetime.date) -> str:
    supported = calendar.next_supported(found.minor, today)
    step = calendar.successor(found.minor)
    if supported is None:
        return (
            f"no newer supported minor is recorded (calendar read {calendar.read}): refresh {REFRESH}, "
            f"then upgrade by revisions ({UPGRADE_RUNBOOK})"
        )
    move = f"the next supported minor is {supported.minor} (Kubernetes {_span(supported.kubernetes)})"
    if step is not None and step.minor != supported.minor:
        move += f"; upgrades go one minor at a time, {step.minor} first"
    return f"{move}: install it as a second revision and move to it ({UPGRADE_RUNBOOK})"


def _channel_warning(key: str, version: str, found: IstioMinor, config: StackConfig) -> list[str]:
    gke = config.clusters.gke
    floor = _number(_kubernetes_minor(gke.min_master_version)) if gke.min_master_version else (0, 0)
    offered = [m for m in gke_channel_minors().get(gke.release_channel, ()) if _number(m) >= floor]
    outside = [m for m in offered if m not in found.kubernetes]
    if not outside:
        return []
    return [
        f"{key}: {version!r}: GKE's {gke.release_channel} channel offered {', '.join(offered)} on "
        f"{gke_channels_as_of()}, and Istio {found.minor} supports Kubernetes {_span(found.kubernetes)}, "
        f"not {', '.join(outside)}: GKE may move the cluster onto a minor this istiod does not support; "
        f"raise {config_key('clusters.gke.minMasterVersion')} or move Istio ({UPGRADE_RUNBOOK})"
    ]


def _not_in_calendar(calendar: IstioCalendar, minor: str) -> str:
    newest = calendar.versions[-1]
    recorded = ", ".join(v.minor for v in calendar.versions)
    if _number(minor) > newest.number:
        return (
            f"is newer than any Istio minor in the support calendar read on {calendar.read} ({recorded}); "
            f"which Kubernetes it supports is not recorded: refresh {REFRESH}"
        )
    return f"is an Istio minor the support calendar does not hold (it holds {recorded}); use one of those"


def _span(minors: tuple[str, ...]) -> str:
    return f"{minors[0]} to {minors[-1]}" if len(minors) > 1 else minors[0]


def _number(minor: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in minor.split("."))
    except ValueError:
        return (0,)
