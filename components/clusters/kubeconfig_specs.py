"""Kubeconfigs that authenticate through the cloud's own CLI: no token or key is ever written down.

Both use a client-go exec credential plugin, so each `pulumi up` (and each kubectl call) fetches a
short-lived token with whatever identity the operator's environment carries:
- EKS: `aws eks get-token` (AWS CLI v2), https://docs.aws.amazon.com/eks/latest/userguide/create-kubeconfig.html
- GKE: `gke-gcloud-auth-plugin`, https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl
  (pulumi-gcp has no kubeconfig output, pulumi-gcp #1064).
The returned documents are JSON, which every YAML kubeconfig reader accepts.

A kubeconfig changes with the endpoint (GKE's private one replaces the public one when the public
endpoint is turned off) and with the way it authenticates; pulumi-kubernetes replaces its provider, and
with it every object the provider manages, whenever the active cluster entry of the kubeconfig
changes, unless the provider carries a `clusterIdentifier`: then only a change of that value replaces
it. The identifiers below name one incarnation of a cluster, by values its cloud assigns once at
creation and never changes after: a cluster deleted and created again under the same name gets a new
one, so the objects on it are created again too, and nothing else moves it.
"""

from __future__ import annotations

import json
from typing import Any

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def eks_kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> dict[str, Any]:
    """A kubeconfig for an EKS cluster; `ca_data` is the base64 PEM EKS returns."""
    user = {
        "exec": {
            "apiVersion": EXEC_API_VERSION,
            "command": "aws",
            "args": [
                "eks",
                "get-token",
                "--cluster-name",
                cluster_name,
                "--region",
                region,
                "--output",
                "json",
            ],
            "interactiveMode": "Never",
            "provideClusterInfo": False,
        }
    }
    return _single_context(cluster_name, endpoint, ca_data, user)


def gke_kubeconfig(context_name: str, endpoint: str, ca_data: str) -> dict[str, Any]:
    """A kubeconfig for a GKE cluster; `endpoint` is the bare address GKE returns, `ca_data` base64 PEM."""
    user = {
        "exec": {
            "apiVersion": EXEC_API_VERSION,
            "command": "gke-gcloud-auth-plugin",
            "installHint": "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
            "interactiveMode": "Never",
            "provideClusterInfo": True,
        }
    }
    server = endpoint if endpoint.startswith("https://") else f"https://{endpoint}"
    return _single_context(context_name, server, ca_data, user)


def eks_cluster_identifier(cluster_arn: str, oidc_issuer: str) -> str:
    """The cluster's ARN and its OIDC issuer URL, whose path EKS draws anew for each cluster
    (https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html)."""
    return f"{cluster_arn} {oidc_issuer}"


def gke_cluster_identifier(cluster_id: str, dns_endpoint: str) -> str:
    """The cluster's resource ID and its DNS endpoint, a name GKE gives each cluster it creates, whether
    or not the endpoint admits traffic (https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation)."""
    return f"{cluster_id} {dns_endpoint}" if dns_endpoint else cluster_id


def render(kubeconfig: dict[str, Any]) -> str:
    """The kubeconfig as text, keys in a stable order so an unchanged cluster gives an unchanged diff."""
    return json.dumps(kubeconfig, sort_keys=True)


def _single_context(name: str, server: str, ca_data: str, user: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": ca_data}}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "preferences": {},
    }
