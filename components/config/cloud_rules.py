"""Values the clouds refuse or retire, judged against the recorded data in components/data/.

- Kubernetes versions: `clusters.eks.version` against the EKS release calendar, and
  `clusters.gke.minMasterVersion` against GKE's, on a given day. A version no longer (or not yet)
  offered is a problem; one that has left standard support, or leaves it within `WARN_DAYS`, a warning.
- The stack name, which names cloud resources (`cm-<stack>-...`): it must fit the tightest name rule of
  the resources named after it.

Every function takes the day to judge on, so that tests (and a plan of a given day) are reproducible;
the program passes today's date (UTC). Pure: no `pulumi` import.
"""

from __future__ import annotations

import datetime
import re

from components.config.messages import config_key
from components.config.platform import (
    Calendar,
    eks_calendar,
    gke_calendar,
    gke_channel_minors,
    gke_channels_as_of,
    name_limit,
)
from components.config.schema import ClustersConfig

# Warn this long before a version leaves standard support: time to plan a one-minor upgrade.
WARN_DAYS = 90
UPGRADE_RUNBOOK = "docs/runbooks/upgrade-kubernetes.md"

# Cloud names made from the stack name (components/crossmesh.py: prefix cm-<stack>), with the name rule
# each must meet: together they bound the stack name's length.
NAMES_FROM_STACK = (
    ("GCP service account ID", "cm-{stack}-gke-nodes", "gcpServiceAccountId"),
    ("GCP service account ID", "cm-{stack}-traces", "gcpServiceAccountId"),
    ("GKE cluster name", "cm-{stack}-gke", "gkeClusterName"),
    ("Compute Engine name", "cm-{stack}-appmesh-bridge-ingress", "gcpResourceName"),
)
_RFC1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def version_problems(clusters: ClustersConfig, today: datetime.date) -> list[str]:
    """Kubernetes versions neither cloud offers on `today`."""
    problems = _eks_problems(clusters.eks.version, today)
    if clusters.gke.min_master_version is not None:
        problems += _gke_problems(clusters.gke.min_master_version, today)
    return problems


def version_warnings(clusters: ClustersConfig, today: datetime.date) -> list[str]:
    """Versions past or near the end of standard support, each with the one upgrade to make."""
    warnings = _support_warnings("clusters.eks.version", "EKS", eks_calendar(), clusters.eks.version, today)
    gke = clusters.gke
    if gke.min_master_version is not None:
        minor = _minor_of(gke.min_master_version)
        warnings += _support_warnings("clusters.gke.minMasterVersion", "GKE", gke_calendar(), minor, today)
        offered = gke_channel_minors()
        if minor not in offered.get(gke.release_channel, ()):
            warnings.append(
                f"{config_key('clusters.gke.minMasterVersion')}: '{gke.min_master_version}': GKE's "
                f"{gke.release_channel} channel offered {', '.join(offered.get(gke.release_channel, ()))} on "
                f"{gke_channels_as_of()}; if it does not offer {minor} now, creating the cluster fails"
            )
    return warnings


def _eks_problems(version: str, today: datetime.date) -> list[str]:
    calendar = eks_calendar()
    key = config_key("clusters.eks.version")
    found = calendar.get(version)
    offered = [
        v.minor for v in calendar.versions if v.end_of_extended_support and v.end_of_extended_support > today
    ]
    if found is None:
        return [
            f"{key}: {version!r} {_not_in_calendar('EKS', calendar, version)}; "
            f"EKS offers {', '.join(offered)}"
        ]
    ended = found.end_of_extended_support
    if ended is not None and ended <= today:
        return [
            f"{key}: {version!r} reached the end of EKS extended support on {ended}; EKS runs no cluster "
            "on it. "
            f"EKS offers {', '.join(offered)}; AWS has upgraded an existing cluster: set the version it runs "
            f"(aws eks describe-cluster), then upgrade one minor at a time ({UPGRADE_RUNBOOK})"
        ]
    return []


def _gke_problems(min_master_version: str, today: datetime.date) -> list[str]:
    calendar = gke_calendar()
    key = config_key("clusters.gke.minMasterVersion")
    minor = _minor_of(min_master_version)
    found = calendar.get(minor)
    supported = calendar.in_standard_support(today)
    channel_minors = {m for minors in gke_channel_minors().values() for m in minors}
    if found is None and minor not in channel_minors:
        return [
            f"{key}: {min_master_version!r} {_not_in_calendar('GKE', calendar, minor)}; GKE offers "
            f"{', '.join(supported)}"
        ]
    if found is not None and found.end_of_standard_support <= today:
        return [
            f"{key}: {min_master_version!r}: {minor} reached the end of GKE standard support on "
            f"{found.end_of_standard_support}; the release channels no longer offer it. GKE offers "
            f"{', '.join(supported)}"
        ]
    return []


def _not_in_calendar(provider: str, calendar: Calendar, minor: str) -> str:
    newest = calendar.versions[-1]
    if _number(minor) > newest.number:
        return (
            f"is newer than any {provider} version in the calendar read on {calendar.read} (newest "
            f"{newest.minor}); if {provider} offers it now, refresh components/data/ "
            "(scripts/refresh_platform_data.py)"
        )
    return f"is not a {provider} version"


def _support_warnings(
    path: str, provider: str, calendar: Calendar, minor: str, today: datetime.date
) -> list[str]:
    found = calendar.get(minor)
    if found is None:
        return []
    ends = found.end_of_standard_support
    ended = found.end_of_extended_support
    if ended is not None and ended <= today:
        return []
    successor = calendar.successor(minor)
    step = (
        f"set '{successor.minor}' (one minor up; upgrades go one minor at a time, never back: "
        f"{UPGRADE_RUNBOOK})"
        if successor
        else f"see {UPGRADE_RUNBOOK}"
    )
    if ends <= today:
        then = (
            "AWS upgrades a cluster with extended support off (upgradePolicy STANDARD, as crossmesh sets "
            "it) "
            f"to {successor.minor if successor else 'the next minor'}"
            if provider == "EKS"
            else "GKE upgrades the cluster"
        )
        return [f"{config_key(path)}: '{minor}' left {provider} standard support on {ends}; {then}: {step}"]
    days = (ends - today).days
    if days <= WARN_DAYS:
        return [
            f"{config_key(path)}: '{minor}' leaves {provider} standard support on {ends}, in {days} days, "
            f"when {provider} upgrades the cluster; before then {step}"
        ]
    return []


def stack_name_problems(stack: str) -> list[str]:
    """The stack name against the rules of every cloud name made from it."""
    longest = max_stack_name_length()
    faults = []
    if stack != stack.lower():
        faults.append("has upper-case letters")
    if re.search(r"[^-a-zA-Z0-9]", stack):
        faults.append("has characters other than letters, digits and '-'")
    if stack[:1] and not stack[:1].isalpha():
        faults.append("does not start with a letter")
    if stack.endswith("-"):
        faults.append("ends with '-'")
    if len(stack) > longest:
        label, template, kind = _tightest_name()
        faults.append(
            f"is {len(stack)} characters, more than {longest} ({label} {template.format(stack='<stack>')} "
            f"is at most {name_limit(kind)})"
        )
    if not faults and all(_RFC1035_LABEL.match(t.format(stack=stack)) for _, t, _ in NAMES_FROM_STACK):
        return []
    usable = _usable_form(stack)
    suggestion = f"; did you mean '{usable}'?" if usable else ""
    return [
        f"stack {stack!r}: {', '.join(faults) or 'cannot name cloud resources'}; crossmesh names GCP and "
        "AWS resources cm-<stack>-..., so a stack name is lower-case letters, digits and '-', starts with a "
        f"letter, ends with a letter or digit, at most {longest} characters{suggestion} (pulumi stack rename)"
    ]


def max_stack_name_length() -> int:
    _, template, kind = _tightest_name()
    return name_limit(kind) - len(template.format(stack=""))


def _tightest_name() -> tuple[str, str, str]:
    return min(NAMES_FROM_STACK, key=lambda name: name_limit(name[2]) - len(name[1].format(stack="")))


def _usable_form(stack: str) -> str:
    """The stack name made usable: lower case, '-' for other characters, cut to length."""
    fixed = re.sub(r"[^-a-z0-9]+", "-", stack.lower()).strip("-")
    fixed = fixed.lstrip("0123456789-")[: max_stack_name_length()].rstrip("-")
    return fixed if fixed != stack else ""


def _minor_of(version: str) -> str:
    return ".".join(version.split(".")[:2]).split("-")[0]


def _number(minor: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in minor.split("."))
    except ValueError:
        return (0,)
