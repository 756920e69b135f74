"""The reachability check in the `crossmesh` command: its findings among `crossmesh check`'s violations,
and `crossmesh flow-docs`, which regenerates docs/flows.md from the dev plan."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from offline.commands.check import PlannedStack, Violation
from offline.flows import Flow, check_flows
from offline.flows.report import DOCS_PATH, findings, markdown

__all__ = ["DOCS_PATH", "DOCS_STACK", "flows_of", "render_docs", "violations", "write_docs"]

RULE = "xc-x-flows"
DESCRIPTION = (
    "Every flow the mesh needs is open through the plan's network resources, and istiod's ports and the "
    f"API servers are reachable from no wider than the peers ({DOCS_PATH})."
)
DOCS_STACK = "dev"


def flows_of(planned: PlannedStack) -> list[Flow]:
    return check_flows(planned.resources)


def violations(flows: Sequence[Flow]) -> list[Violation]:
    """Each closed flow or wider exposure as a mandatory violation of the stack."""
    return [
        Violation(
            policy=RULE,
            level="mandatory",
            severity="high",
            description=DESCRIPTION,
            message=message,
            urn=None,
            resource_type=None,
            resource_name=None,
        )
        for _, message in findings(flows)
    ]


def render_docs(planned: PlannedStack) -> str:
    return markdown(flows_of(planned), planned.stack, "crossmesh flow-docs") + "\n"


def write_docs(project_dir: Path, planned: PlannedStack) -> Path:
    path = project_dir / DOCS_PATH
    path.write_text(render_docs(planned))
    return path
