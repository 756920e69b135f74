"""EksAutoscaler: the cluster autoscaler on EKS, with its own IAM role through IRSA, from a pinned chart.

It keeps each managed node group between the stack's `clusters.eks.nodes.min` and `max`
(autoscaler_specs explains why the bounds are the autoscaler's arguments and not the node group's),
runs the autoscaler release of the cluster's Kubernetes minor, and may scale and terminate only in
this cluster's Auto Scaling groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.clusters import autoscaler_specs
from components.clusters.autoscaler_specs import ScaledGroup
from components.clusters.eks_cluster import EksIdentity
from components.clusters.kube_cluster import KubeCluster
from components.config import NodeScaling


@dataclass(frozen=True)
class EksAutoscalerArgs:
    cluster: KubeCluster
    identity: EksIdentity
    region: str
    kubernetes_version: str
    """The cluster's minor ("1.33"): the autoscaler runs the release of the same minor."""
    nodes: NodeScaling
    name_prefix: str


class EksAutoscaler(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: EksAutoscalerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crossmesh:aws:EksAutoscaler", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        identity = args.identity
        version = autoscaler_specs.autoscaler_version(args.kubernetes_version)
        if version is None:
            # The config rules refuse such a version before anything is registered.
            raise ValueError(f"no cluster autoscaler release is recorded for {args.kubernetes_version}")

        role = aws.iam.Role(
            f"{name}-irsa",
            description=f"{args.name_prefix}-eks: {autoscaler_specs.NAMESPACE}/"
            f"{autoscaler_specs.SERVICE_ACCOUNT} through IRSA",
            assume_role_policy=identity.irsa_trust_policy(
                autoscaler_specs.NAMESPACE, autoscaler_specs.SERVICE_ACCOUNT
            ),
            opts=child,
        )
        grant = aws.iam.RolePolicy(
            f"{name}-scaling",
            role=role.id,
            policy=pulumi.Output.all(
                identity.cluster_name, identity.cluster_arn, identity.autoscaling_group_names
            ).apply(lambda values: autoscaler_specs.autoscaler_policy(values[0], values[1], values[2])),
            opts=child,
        )
        self.role_arn = role.arn

        self.release = args.cluster.helm_release(
            resource_name=f"{name}-chart",
            release_name=autoscaler_specs.CHART,
            chart=autoscaler_specs.CHART,
            version=autoscaler_specs.CHART_VERSION,
            repository=autoscaler_specs.CHART_REPO,
            namespace=autoscaler_specs.NAMESPACE,
            values=pulumi.Output.all(role.arn, identity.autoscaling_group_names).apply(
                lambda resolved: autoscaler_specs.autoscaler_values(
                    region=args.region,
                    role_arn=resolved[0],
                    groups=[ScaledGroup(group, args.nodes.min, args.nodes.max) for group in resolved[1]],
                    version=version,
                )
            ),
            parent=self,
            # It must be able to scale from its first run.
            depends_on=[grant],
        )
        self.register_outputs({"roleArn": self.role_arn})
