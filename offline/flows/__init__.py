"""The reachability check: every flow the mesh needs, followed through the plan's network resources
hop by hop, and the exposures that must stay within the peers (docs/flows.md).

`check_flows(resources)` takes the resources of a plan (a live plan's registrations or a saved plan
contract's resources) and returns each flow with its hops; `crossmesh check` reports them and fails on
a closed flow or a wider exposure, and `crossmesh flow-docs` writes the table of the dev plan.
"""

from __future__ import annotations

from collections.abc import Iterable

from offline.flows.flows import EXPOSURE, NEEDED, Flow, Hop, every_flow
from offline.flows.model import Model
from offline.planned import PlannedResource


def check_flows(resources: Iterable[PlannedResource]) -> list[Flow]:
    return every_flow(Model(resources))


__all__ = ["EXPOSURE", "NEEDED", "Flow", "Hop", "check_flows"]
