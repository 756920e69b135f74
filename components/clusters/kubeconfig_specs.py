"""Kubeconfigs that authenticate through the cloud's own CLI: no token or key is ever written down.

Both use a client-go exec credential plugin, so each `pulumi up` (and each kubectl call) fetches a
short-lived token with whatever identity the operator's environment carries:
- EKS: `aws eks get-token` (AWS CLI v2), https://docs.aws.amazon.com/eks/latest/userguide/create-kubeconfig.html
- GKE: `gke-gcloud-auth-plugin`, https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl
  (pulumi-gcp has no kubeconfig output, pulumi-gcp #1064).
The returned documents are JSON, which every YAML kubeconfig reader accepts.
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
