"""KubeCluster: what a mesh needs of a cluster, whichever cloud runs it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

Cloud = Literal["aws", "gcp"]

# How long a Helm release may take to become ready (images pulled, pods Ready, webhooks up) before
# `pulumi up` calls it failed; the same for every chart crossmesh installs.
HELM_RELEASE_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class KubeCluster:
    cloud: Cloud
    # Istio's clusterName and network for this cluster; static so mesh config never waits on a cloud.
    mesh_cluster_name: str
    mesh_network: str
    endpoint: pulumi.Output[str]
    """The API server URL, https://..."""
    ca_data: pulumi.Output[str]
    """Base64 PEM of the API server's CA."""
    provider: k8s.Provider
