"""Pure renderers of the Istio half of the App Mesh <-> Istio bridge on GKE. Plain dicts.

Istio's east-west gateway passes Istio's own mTLS through (AUTO_PASSTHROUGH, Istio-internal SNI) and
cannot serve an App Mesh Envoy, so the bridge is made of ordinary TLS endpoints on both sides, every
hop mutual TLS under the shared root (FACTS 5):

- App Mesh -> Istio: an Istio ingress gateway on an internal load balancer, one HTTPS server per GKE
  service that AWS services call (SNI and Host = the service's host), tls.mode MUTUAL with the
  shared root as client CA and the calling App Mesh workloads' SPIFFE URIs as the only accepted client
  SANs; the gateway then calls the service with its own Istio identity, which the service's
  AuthorizationPolicy allows.
- Istio -> App Mesh: a ServiceEntry puts each called App Mesh service's host on the App Mesh
  VirtualGateway's internal NLB; a DestinationRule per calling workload originates MUTUAL TLS with a
  client certificate carrying that workload's SPIFFE URI, and accepts only the VirtualGateway's SAN.

Sources: https://istio.io/latest/docs/reference/config/networking/gateway/#ServerTLSSettings,
https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings
(credentialName at a sidecar needs a workloadSelector), https://istio.io/latest/docs/reference/config/networking/service-entry/.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Sequence
from typing import Any

from components.config import ServiceConfig, TrafficPolicySpec
from components.mesh import istio_specs
from components.mesh.appmesh_specs import spiffe_id
from components.mesh.traffic_specs import Localities, destination_rule_spec, service_host

INGRESS_GATEWAY = "crossmesh-bridge-gateway"
INGRESS_SELECTOR = {"istio": "crossmesh-bridge"}
INGRESS_PORT = 443
INGRESS_CREDENTIAL = "crossmesh-bridge-credential"
# GKE internal passthrough load balancer (https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters).
INTERNAL_LB_ANNOTATIONS = {"networking.gke.io/load-balancer-type": "Internal"}
# The VirtualGateway's internal NLB listens here (in front of appmesh_specs.VIRTUAL_GATEWAY_PORT).
APPMESH_GATEWAY_PORT = 443


def ingress_gateway_id(trust_domain: str) -> str:
    """The ingress gateway's SPIFFE URI: the gateway chart runs it as the ServiceAccount of its name."""
    return spiffe_id(trust_domain, istio_specs.ISTIO_NAMESPACE, INGRESS_GATEWAY)


def client_credential_name(caller: ServiceConfig) -> str:
    return f"{caller.name}-appmesh-client"


def ingress_gateway_values(address: str, source_ranges: Sequence[str]) -> dict[str, Any]:
    """The Istio gateway chart as the bridge's ingress: an internal load balancer on a reserved address,
    reachable from the AWS ranges only."""
    return {
        "name": INGRESS_GATEWAY,
        "labels": {**INGRESS_SELECTOR, "app": INGRESS_GATEWAY},
        "service": {
            "type": "LoadBalancer",
            "annotations": dict(INTERNAL_LB_ANNOTATIONS),
            "loadBalancerIP": address,
            "loadBalancerSourceRanges": sorted(source_ranges),
            "ports": [
                {"name": "status-port", "port": 15021, "protocol": "TCP", "targetPort": 15021},
                {"name": "https", "port": INGRESS_PORT, "protocol": "TCP", "targetPort": INGRESS_PORT},
            ],
        },
        "autoscaling": {"minReplicas": 2},
        "podDisruptionBudget": {"minAvailable": 1},
    }


def ingress_gateway_spec(callers_by_service: dict[str, tuple[ServiceConfig, list[str]]]) -> dict[str, Any]:
    """One MUTUAL server per GKE service called from App Mesh, accepting only its callers' SANs.

    `callers_by_service` maps a service name to the service and its App Mesh callers' SPIFFE URIs.
    """
    servers = []
    for name in sorted(callers_by_service):
        service, caller_ids = callers_by_service[name]
        servers.append(
            {
                "port": {"number": INGRESS_PORT, "name": f"https-{service.name}", "protocol": "HTTPS"},
                "hosts": [service_host(service)],
                "tls": {
                    "mode": "MUTUAL",
                    "credentialName": INGRESS_CREDENTIAL,
                    "subjectAltNames": sorted(caller_ids),
                    "minProtocolVersion": "TLSV1_2",
                },
            }
        )
    return {"selector": dict(INGRESS_SELECTOR), "servers": servers}


def ingress_route_spec(service: ServiceConfig) -> dict[str, Any]:
    """From the ingress gateway to the service; retries and timeouts already ran on the App Mesh side."""
    host = service_host(service)
    return {
        "hosts": [host],
        "gateways": [f"{istio_specs.ISTIO_NAMESPACE}/{INGRESS_GATEWAY}"],
        "http": [
            {
                "name": f"{service.name}-from-appmesh",
                "route": [{"destination": {"host": host, "port": {"number": service.port}}}],
            }
        ],
    }


def ingress_allowed_spec(service: ServiceConfig, trust_domain: str) -> dict[str, Any]:
    """Let the ingress gateway's identity reach the service (the namespace denies by default)."""
    principal = istio_specs.principal(trust_domain, istio_specs.ISTIO_NAMESPACE, INGRESS_GATEWAY)
    return {
        "selector": {"matchLabels": {"app": service.name}},
        "action": "ALLOW",
        "rules": [{"from": [{"source": {"principals": [principal]}}]}],
    }


def service_entry_addresses(hosts: Sequence[str]) -> dict[str, str]:
    """A virtual IP per App Mesh host seen from GKE, which sidecars answer DNS with (the host has no
    Kubernetes Service there).

    From 240.241.0.0/16 (reserved class E, never routed), beside the 240.240.0.0/16 Istio allocates
    from itself (https://istio.io/latest/docs/ops/configuration/traffic-management/dns-proxy/), so
    the two never collide. Each host hashes to its address, so adding a service moves no other one
    (short of a hash collision, settled in host order).
    """
    block = ipaddress.IPv4Network("240.241.0.0/16")
    usable = block.num_addresses - 2
    if len(set(hosts)) > usable:
        raise ValueError(f"more than {usable} App Mesh services called from GKE")
    taken: dict[str, str] = {}
    used: set[int] = set()
    for host in sorted(set(hosts)):
        offset = int(hashlib.sha256(host.encode()).hexdigest(), 16) % usable
        while offset in used:
            offset = (offset + 1) % usable
        used.add(offset)
        taken[host] = str(block.network_address + 1 + offset)
    return taken


def service_entry_spec(service: ServiceConfig, gateway_hostname: str, address: str) -> dict[str, Any]:
    """The App Mesh service's host, on the VirtualGateway's NLB; callers keep calling host:port,
    which the sidecar resolves to `address` (the host has no Kubernetes Service on GKE)."""
    port_name = f"http-{service.name}"
    return {
        "hosts": [service_host(service)],
        "addresses": [address],
        "location": "MESH_INTERNAL",
        "resolution": "DNS",
        "ports": [{"number": service.port, "name": port_name, "protocol": "HTTP"}],
        "endpoints": [{"address": gateway_hostname, "ports": {port_name: APPMESH_GATEWAY_PORT}}],
    }


def appmesh_destination_rule_spec(
    service: ServiceConfig,
    caller: ServiceConfig,
    policy: TrafficPolicySpec,
    localities: Localities,
    gateway_ids: Sequence[str],
) -> dict[str, Any]:
    """The caller's policy towards an App Mesh service: the same pool and outlier settings as any
    Istio destination, and MUTUAL TLS with the caller's bridge certificate, the App Mesh gateway's SAN
    required. No locality failover: the service lives in one cloud behind one gateway."""
    rendered = destination_rule_spec(service, policy, localities)
    traffic = rendered["trafficPolicy"]
    traffic.pop("loadBalancer")
    traffic["tls"] = {
        "mode": "MUTUAL",
        "credentialName": client_credential_name(caller),
        "subjectAltNames": sorted(gateway_ids),
        "sni": service_host(service),
    }
    return {
        "host": rendered["host"],
        "workloadSelector": {"matchLabels": {"app": caller.name}},
        "exportTo": ["."],
        "trafficPolicy": traffic,
    }


def ingress_address(subnet_cidr: str) -> str:
    """The ingress gateway's reserved internal address: the subnet's last usable one. GCP keeps the
    last two addresses of a primary range for itself
    (https://cloud.google.com/vpc/docs/subnets#unusable-ip-addresses-in-every-subnet), and picking from
    the top keeps clear of the nodes, which GKE numbers from the bottom."""
    network = ipaddress.IPv4Network(subnet_cidr)
    return str(network.broadcast_address - 2)
