"""Pure renderers of what IstioMesh installs: Helm values, mesh security specs, the remote kubeconfig.

Plain dicts and strings, no Pulumi types, so every object can be checked against Istio's CRD schemas
in plain tests. The multi-primary, multi-network shape follows
https://istio.io/latest/docs/setup/install/multicluster/multi-primary_multi-network/.

Workload identity convention: a service's pods carry the label `app: <service>` and run as the
ServiceAccount `<service>` in the service's namespace, so its identity is
`<trustDomain>/ns/<namespace>/sa/<service>`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from components.config import DEFAULT_REVISION, IstioConfig, ServiceConfig
from components.config import ISTIO_VERSION as ISTIO_VERSION

ISTIO_CHART_REPO = "https://istio-release.storage.googleapis.com/charts"
ISTIO_NAMESPACE = "istio-system"
EAST_WEST_GATEWAY = "istio-eastwestgateway"
EAST_WEST_SELECTOR = {"istio": "eastwestgateway"}
CROSS_NETWORK_PORT = 15443
# istiod serves its sidecar-injection and validation webhooks on this pod port, behind Service port 443
# (https://istio.io/latest/docs/ops/deployment/application-requirements/#ports-used-by-istio).
WEBHOOK_PORT = 15017
NETWORK_LABEL = "topology.istio.io/network"
INJECTION_LABEL = "istio-injection"
MULTICLUSTER_LABEL = "istio/multiCluster"
CLUSTER_ANNOTATION = "networking.istio.io/cluster"
# ClusterRole the istiod chart creates for readers of a remote cluster (reader-clusterrole.yaml).
READER_CLUSTER_ROLE = f"istio-reader-clusterrole-{ISTIO_NAMESPACE}"
REVISION_LABEL = "istio.io/rev"


def reader_cluster_role(revision: str) -> str:
    """The reader ClusterRole of an istiod revision: the chart puts a revision's name in it."""
    if revision == DEFAULT_REVISION:
        return READER_CLUSTER_ROLE
    return f"istio-reader-clusterrole-{revision}-{ISTIO_NAMESPACE}"


def istiod_release_name(revision: str) -> str:
    """`istiod` for the istiod installed without a revision, `istiod-<revision>` for the others."""
    return "istiod" if revision == DEFAULT_REVISION else f"istiod-{revision}"


def injection_labels(istio: IstioConfig) -> dict[str, str]:
    """The labels that make the injection revision's istiod inject a namespace's pods. The istiod
    without a revision serves `istio-injection: enabled`; another serves `istio.io/rev: <name>`, which
    its webhook matches only where `istio-injection` is absent (istio-discovery mutatingwebhook.yaml),
    so the one label replaces the other in one update of the namespace."""
    if istio.injection == DEFAULT_REVISION:
        return {INJECTION_LABEL: "enabled"}
    return {REVISION_LABEL: istio.injection}


def base_values(istio: IstioConfig) -> dict[str, Any]:
    """The base chart's values: its `istiod-default-validator` webhook follows the injection revision
    (base templates/defaultrevision-validatingwebhookconfiguration.yaml), so validation survives the
    removal of the revision it served before."""
    if istio.injection == DEFAULT_REVISION:
        return {}
    return {"defaultRevision": istio.injection}


def revision_values(revision: str) -> dict[str, Any]:
    """What an istiod or gateway release of this revision adds to its values."""
    return {} if revision == DEFAULT_REVISION else {"revision": revision}


CA_FINGERPRINT_ANNOTATION = "crossmesh.io/ca-chain-sha256"
CACERTS_KEYS = ("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem")

Cloud = Literal["aws", "gcp"]

# Internal load balancers, reachable over the private link only.
# AWS: the AWS Load Balancer Controller reads aws-load-balancer-scheme; the in-tree controller reads
# aws-load-balancer-internal (deprecated by the former, still its only switch)
# (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/).
# GKE: https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters
LOAD_BALANCER_ANNOTATIONS: dict[Cloud, dict[str, str]] = {
    "aws": {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    },
    "gcp": {"networking.gke.io/load-balancer-type": "Internal"},
}


def principal(trust_domain: str, namespace: str, service_account: str) -> str:
    """An AuthorizationPolicy principal. Istio matches it against the peer's SPIFFE URI
    spiffe://<principal>, so the scheme is not written here
    (https://istio.io/latest/docs/reference/config/security/authorization-policy/#Source)."""
    return f"{trust_domain}/ns/{namespace}/sa/{service_account}"


def service_principal(trust_domain: str, service: ServiceConfig) -> str:
    return principal(trust_domain, service.namespace, service.name)


def ca_fingerprint(chain_pem: str, trust_bundle_pem: str) -> str:
    """SHA-256 of what istiod loads from cacerts: the chain, and the trust bundle when it holds more
    than the chain's own root. With one root the bundle is that root, so single-root stacks keep the
    fingerprint (and istiod) they had; adding or dropping a root changes it."""
    material = chain_pem if trust_bundle_pem in chain_pem else chain_pem + trust_bundle_pem
    return hashlib.sha256(material.encode()).hexdigest()


def istiod_values(
    mesh_id: str,
    cluster_name: str,
    network: str,
    trust_domain: str,
    ca_fingerprint: str,
    extension_providers: Sequence[Mapping[str, Any]] = (),
    trust_domain_aliases: Sequence[str] = (),
) -> dict[str, Any]:
    """istiod reads cacerts only when it starts: the fingerprint of its CA material on its pods makes
    Helm roll istiod whenever the intermediate, the signing root or the trust bundle changes
    (istio #28575). Workloads keep their certificates until they restart or rotate them (24 h by
    default). Extension providers (tracers, access logs) are what Telemetry objects can name
    (https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-ExtensionProvider)."""
    values: dict[str, Any] = {
        "autoscaleMin": 2,
        "podAnnotations": {CA_FINGERPRINT_ANNOTATION: ca_fingerprint},
        "global": {
            "meshID": mesh_id,
            "multiCluster": {"clusterName": cluster_name},
            "network": network,
        },
        "meshConfig": {
            "trustDomain": trust_domain,
            "defaultConfig": {
                # Sidecars answer DNS for services that run only in the other cluster, so callers need
                # no local Service stub (https://istio.io/latest/docs/ops/configuration/traffic-management/dns-proxy/).
                "proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true"}
            },
        },
    }
    if extension_providers:
        values["meshConfig"]["extensionProviders"] = [dict(provider) for provider in extension_providers]
    if trust_domain_aliases:
        # Identities of these domains count as the trust domain's, in policies and in the names a
        # proxy accepts from a peer: the window in which a new trust domain replaces an old one
        # (https://istio.io/latest/docs/tasks/security/authorization/authz-td-migration/).
        values["meshConfig"]["trustDomainAliases"] = list(trust_domain_aliases)
    return values


def east_west_gateway_values(cloud: Cloud, network: str, peer_ranges: Sequence[str]) -> dict[str, Any]:
    """The gateway chart as a network gateway: its Service then exposes 15021, 15443, 15012 and 15017
    (the chart requires all four). Only the peer cloud's node and pod ranges may reach them: with no
    `loadBalancerSourceRanges`, the AWS cloud provider opens the NLB's node ports to 0.0.0.0/0 on the
    cluster security group, and GKE's internal load balancer firewall rule admits 0.0.0.0/0
    (kubernetes/cloud-provider-aws EnsureLoadBalancer; docs/flows.md)."""
    if not peer_ranges:
        raise ValueError("the east-west gateway needs the peer's ranges: without them it is open to all")
    return {
        "name": EAST_WEST_GATEWAY,
        "networkGateway": network,
        "labels": {**EAST_WEST_SELECTOR, "app": EAST_WEST_GATEWAY, NETWORK_LABEL: network},
        "service": {
            "type": "LoadBalancer",
            "annotations": dict(LOAD_BALANCER_ANNOTATIONS[cloud]),
            "loadBalancerSourceRanges": sorted(peer_ranges),
        },
        # Every cross-cluster call passes through this gateway: two replicas, one kept through drains.
        "autoscaling": {"minReplicas": 2},
        "podDisruptionBudget": {"minAvailable": 1},
    }


def cross_network_gateway_spec() -> dict[str, Any]:
    """Expose every mesh service (*.local) on 15443 with mTLS passed through to the destination."""
    return {
        "selector": dict(EAST_WEST_SELECTOR),
        "servers": [
            {
                "port": {"number": CROSS_NETWORK_PORT, "name": "tls", "protocol": "TLS"},
                "tls": {"mode": "AUTO_PASSTHROUGH"},
                "hosts": ["*.local"],
            }
        ],
    }


def strict_mtls_spec() -> dict[str, Any]:
    return {"mtls": {"mode": "STRICT"}}


def allow_nothing_spec() -> dict[str, Any]:
    """An ALLOW policy with no rules matches nothing: every request to the namespace is denied."""
    return {}


def callers_policy_spec(
    service: ServiceConfig, callers: Iterable[ServiceConfig], trust_domain: str
) -> dict[str, Any]:
    """Allow the service's declared callers, by identity, and nobody else."""
    return {
        "selector": {"matchLabels": {"app": service.name}},
        "action": "ALLOW",
        "rules": [
            {
                "from": [
                    {
                        "source": {
                            "principals": [service_principal(trust_domain, caller) for caller in callers]
                        }
                    }
                ]
            }
        ],
    }


def remote_secret_name(cluster_name: str) -> str:
    return f"istio-remote-secret-{cluster_name}"


def remote_kubeconfig(cluster_name: str, server: str, ca_data: str, token: str) -> str:
    """The kubeconfig istiod uses to watch a remote cluster, in the shape istioctl create-remote-secret
    writes. JSON is YAML, and needs no YAML library at deploy time."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": cluster_name, "cluster": {"server": server, "certificate-authority-data": ca_data}}
            ],
            "users": [{"name": cluster_name, "user": {"token": token}}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "preferences": {},
        },
        indent=2,
    )
