"""Which other component declares, or declared, the same application namespaces on a cluster.

Both mesh engines label the application namespaces of the EKS cluster they run on, each as a
Namespace resource of its own. When a stack moves between engines (docs/runbooks/move-off-app-mesh.md)
the new engine's resource answers to the old one's URN through an alias, so `pulumi up` updates the
namespace's labels in place: it neither deletes the namespace with everything in it nor creates one
that already exists, which pulumi-kubernetes refuses (it creates with a client-side create since
pulumi/pulumi-kubernetes#4278, and the API server answers AlreadyExists).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class NamespaceOwner:
    """A component that declares application namespaces: its URN and the names it gives their
    Namespace resources, as formats of `{namespace}`."""

    urn: pulumi.Input[str]
    resource_names: tuple[str, ...]

    def aliases(self, namespace: str) -> list[pulumi.Alias]:
        return [
            pulumi.Alias(name=name.format(namespace=namespace), parent=self.urn)
            for name in self.resource_names
        ]


def aliases_of(owners: Sequence[NamespaceOwner], namespace: str) -> list[pulumi.Alias]:
    """Every earlier identity of the namespace's resource among the other owners."""
    return [alias for owner in owners for alias in owner.aliases(namespace)]
