"""Upgrading Istio: a patch in place, a minor by revisions (istiod of the new version beside the old,
namespaces, then gateways moved to it, the old one removed), and a minor in place refused."""

from __future__ import annotations

from typing import Any

from tests.support.day2 import Case, Config, Edit, Step

RUNBOOK = "docs/runbooks/upgrade-istio.md"
OLD, NEW = "1.29.6", "1.30.3"
STACKS = ("dev", "legacy")


def istio(**keys: Any) -> Edit:
    def edit(config: Config) -> None:
        config.setdefault("mesh", {})["istio"] = {**config.get("mesh", {}).get("istio", {}), **keys}

    return edit


CASES: tuple[Case, ...] = (
    Case(
        "istio-patch",
        "Upgrade Istio by a patch, in place",
        (
            Step(
                f"mesh.istio.revisions: {{default: {NEW}}}",
                istio(revisions={"default": NEW}),
                "upgrades the base, istiod and gateway releases where they stand (Helm rolls them)",
            ),
        ),
        stacks=STACKS,
        issue_case=9,
        procedure=RUNBOOK,
        start=istio(revisions={"default": "1.30.2"}),
    ),
    Case(
        "istio-minor-by-revision",
        "Upgrade Istio by a minor, revision by revision",
        (
            Step(
                f"mesh.istio.revisions: + 1-30: {NEW}",
                istio(revisions={"default": OLD, "1-30": NEW}),
                "installs istiod-1-30 beside istiod and, where both clusters run Istio, binds the remote "
                "readers to its reader role; "
                "upgrades the CRDs (base) to the new version",
            ),
            Step(
                "mesh.istio.injection: 1-30",
                istio(revisions={"default": OLD, "1-30": NEW}, injection="1-30"),
                "relabels every application namespace `istio.io/rev: 1-30` in place and moves Istio "
                "validation to it; running pods keep their proxies",
            ),
            Step(
                "mesh.istio.gateways: 1-30",
                istio(revisions={"default": OLD, "1-30": NEW}, injection="1-30", gateways="1-30"),
                "rolls the gateways onto the new chart and istiod (two replicas, one kept through the roll)",
                by_hand="restart every workload of the application namespaces; check `istioctl "
                "proxy-status` lists them on istiod-1-30",
            ),
            Step(
                "mesh.istio.revisions: - default",
                istio(revisions={"1-30": NEW}, injection="1-30", gateways="1-30"),
                "removes the old istiod and its reader binding",
            ),
        ),
        stacks=STACKS,
        issue_case=9,
        procedure=RUNBOOK,
        start=istio(revisions={"default": OLD}),
    ),
    Case(
        "istio-minor-in-place",
        "Upgrade Istio by a minor in place",
        (
            Step(
                f"mesh.istio.revisions: {{default: {NEW}}}",
                istio(revisions={"default": NEW}),
                "would move istiod and every gateway to the new minor at once",
                refused=("istio-minor-in-place",),
            ),
        ),
        stacks=("dev",),
        issue_case=9,
        procedure=RUNBOOK,
        start=istio(revisions={"default": OLD}),
    ),
)
