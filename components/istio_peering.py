"""IstioPeering: the one place where the two Istio primaries are wired to each other.

Each cluster gets a remote secret for the other: a Secret labelled `istio/multiCluster: "true"` in
`istio-system` holding a kubeconfig of the other cluster's API server, built from its endpoint, its CA
and the token of its reader account. istiod watches such secrets and discovers the other cluster's
services and endpoints through them. The same shape as `istioctl create-remote-secret`
(https://istio.io/latest/docs/setup/install/multicluster/multi-primary_multi-network/).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import istio_specs as specs
from components.istio import IstioMesh


@dataclass(frozen=True)
class IstioPeeringArgs:
    first: IstioMesh
    second: IstioMesh


class IstioPeering(pulumi.ComponentResource):
    def __init__(self, name: str, args: IstioPeeringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crossmesh:istio:IstioPeering", name, None, opts)
        for reader, remote in ((args.first, args.second), (args.second, args.first)):
            self._remote_secret(name, reader, remote)
        self.register_outputs({})

    def _remote_secret(self, name: str, reader: IstioMesh, remote: IstioMesh) -> None:
        """In `reader`'s cluster, the secret through which its istiod reads `remote`'s API."""
        remote_name = remote.cluster.mesh_cluster_name

        def render(values: list[str]) -> str:
            return specs.remote_kubeconfig(remote_name, values[0], values[1], values[2])

        kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(remote.cluster.endpoint, remote.cluster.ca_data, remote.reader_token).apply(
                render
            )
        )
        k8s.core.v1.Secret(
            f"{name}-{reader.cluster.cloud}-reads-{remote.cluster.cloud}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=specs.remote_secret_name(remote_name),
                namespace=reader.system_namespace,
                labels={specs.MULTICLUSTER_LABEL: "true"},
                annotations={specs.CLUSTER_ANNOTATION: remote_name},
            ),
            type="Opaque",
            string_data=kubeconfig.apply(lambda text: {remote_name: text}),
            opts=pulumi.ResourceOptions(parent=self, provider=reader.cluster.provider),
        )
