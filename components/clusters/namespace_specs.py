"""The NetworkPolicy every namespace crossmesh creates gets: ingress only from private addresses.

Pods are reached by their own cluster's pods and nodes, the other cloud over the link, the control
plane's webhooks and internal load balancers: all RFC 1918 addresses (both VPCs, the GKE pod and
control-plane ranges, the tunnels' far ends). Nothing public reaches a pod even if a Service is
exposed by mistake. Which service may call which stays the mesh's job (Istio AuthorizationPolicy, App
Mesh backends); EKS enforces the policy through the VPC CNI's network policy agent, GKE through
Dataplane V2.
"""

from __future__ import annotations

from typing import Any

PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
"""RFC 1918."""
POLICY_NAME = "private-ingress-only"


def private_ingress_spec() -> dict[str, Any]:
    """Selects every pod of the namespace; admits ingress from private addresses only."""
    return {
        "podSelector": {},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"ipBlock": {"cidr": cidr}} for cidr in PRIVATE_RANGES]}],
    }
