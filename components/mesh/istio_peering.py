"""IstioPeering: the one place where the two Istio primaries are wired to each other.

For each direction: in the cluster being read, a service account bound to istiod's reader role and a
long-lived token for it; in the reading cluster, a remote secret, labelled `istio/multiCluster: "true"`
in `istio-system`, holding a kubeconfig of the other API server built from its endpoint, its CA and
that token. istiod watches such secrets and discovers the other cluster's services and endpoints
through them. The same shape as `istioctl create-remote-secret`
(https://istio.io/latest/docs/setup/install/multicluster/multi-primary_multi-network/).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.config import DEFAULT_REVISION
from components.mesh import istio_specs as specs
from components.mesh.istio_mesh import IstioMesh

READER_ACCOUNT = "crossmesh-remote-reader"


@dataclass(frozen=True)
class IstioPeeringArgs:
    first: IstioMesh
    second: IstioMesh


class IstioPeering(pulumi.ComponentResource):
    reader_tokens: dict[str, pulumi.Output[str]]
    """Secret: by cloud, the token other clusters read that cluster's API with."""

    def __init__(self, name: str, args: IstioPeeringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crossmesh:istio:IstioPeering", name, None, opts)
        self._name = name
        self.reader_tokens = {}
        for mesh in (args.first, args.second):
            self.reader_tokens[mesh.cluster.cloud] = self._reader(mesh)
        for reader, remote in ((args.first, args.second), (args.second, args.first)):
            self._remote_secret(reader, remote)
        self.register_outputs({})

    def _reader(self, mesh: IstioMesh) -> pulumi.Output[str]:
        """In `mesh`'s cluster: an account bound to istiod's reader role, and a long-lived token for it."""
        cloud = mesh.cluster.cloud
        in_cluster = pulumi.ResourceOptions(parent=self, provider=mesh.cluster.provider)
        account = k8s.core.v1.ServiceAccount(
            f"{self._name}-{cloud}-reader",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=READER_ACCOUNT, namespace=mesh.system_namespace),
            opts=in_cluster,
        )
        # Bound to the reader role of every istiod revision, each chart bringing its own: the remote
        # istiod keeps reading while one revision replaces another (docs/runbooks/upgrade-istio.md).
        for revision, istiod in mesh.istiods.items():
            suffix = "" if revision == DEFAULT_REVISION else f"-{revision}"
            k8s.rbac.v1.ClusterRoleBinding(
                f"{self._name}-{cloud}-reader{suffix}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{READER_ACCOUNT}{suffix}"),
                role_ref=k8s.rbac.v1.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io",
                    kind="ClusterRole",
                    name=specs.reader_cluster_role(revision),
                ),
                subjects=[
                    k8s.rbac.v1.SubjectArgs(
                        kind="ServiceAccount", name=READER_ACCOUNT, namespace=specs.ISTIO_NAMESPACE
                    )
                ],
                opts=pulumi.ResourceOptions.merge(
                    in_cluster, pulumi.ResourceOptions(depends_on=[account, istiod])
                ),
            )
        # Kubernetes fills the token in; pulumi-kubernetes waits for it (pulumi-kubernetes #2048).
        token = k8s.core.v1.Secret(
            f"{self._name}-{cloud}-reader-token",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{READER_ACCOUNT}-token",
                namespace=mesh.system_namespace,
                annotations={"kubernetes.io/service-account.name": READER_ACCOUNT},
            ),
            type="kubernetes.io/service-account-token",
            opts=pulumi.ResourceOptions.merge(
                in_cluster, pulumi.ResourceOptions(depends_on=[account], additional_secret_outputs=["data"])
            ),
        )
        decoded: pulumi.Output[str] = pulumi.Output.secret(token.data.apply(_token))
        return decoded

    def _remote_secret(self, reader: IstioMesh, remote: IstioMesh) -> None:
        """In `reader`'s cluster, the secret through which its istiod reads `remote`'s API."""
        remote_name = remote.cluster.mesh_cluster_name

        def render(values: list[str]) -> str:
            return specs.remote_kubeconfig(remote_name, values[0], values[1], values[2])

        kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(
                remote.cluster.endpoint, remote.cluster.ca_data, self.reader_tokens[remote.cluster.cloud]
            ).apply(render)
        )
        k8s.core.v1.Secret(
            f"{self._name}-{reader.cluster.cloud}-reads-{remote.cluster.cloud}",
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


def _token(data: Mapping[str, str]) -> str:
    return base64.b64decode(data["token"]).decode()
