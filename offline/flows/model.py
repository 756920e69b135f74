"""The whole plan as one network: both clouds, the link, the clusters' load balancers, and the rules the
clouds write for those load balancers on their own."""

from __future__ import annotations

from collections.abc import Iterable

from offline.flows.aws import AwsNetwork
from offline.flows.gcp import GcpNetwork
from offline.flows.kube import Kube
from offline.flows.link import Link
from offline.flows.plan import Plan
from offline.planned import PlannedResource


class Model:
    def __init__(self, resources: Iterable[PlannedResource]) -> None:
        self.plan = Plan(resources)
        self.aws = AwsNetwork(self.plan)
        self.gcp = GcpNetwork(self.plan)
        self.kube = Kube(self.plan)
        self.link = Link(self.plan, self.aws, self.gcp)
        gke = {cluster.key: cluster for cluster in self.gcp.clusters}
        for balancer in self.kube.load_balancers:
            if balancer.cloud == "aws" and balancer.cluster in self.aws.eks:
                sources = list(balancer.source_ranges) if balancer.source_ranges is not None else None
                self.aws.open_node_ports(
                    self.aws.eks[balancer.cluster], balancer.label, balancer.ports, sources
                )
            elif balancer.cloud == "gcp" and balancer.cluster in gke:
                sources = list(balancer.source_ranges) if balancer.source_ranges is not None else None
                self.gcp.add_load_balancer_rule(
                    gke[balancer.cluster], balancer.label, balancer.ports, sources
                )
