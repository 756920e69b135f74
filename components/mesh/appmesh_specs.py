"""Pure renderers of what AppMesh installs on EKS: controller values, IAM documents, App Mesh objects.

Plain dicts and strings, no Pulumi types, so every object can be checked against the v1beta2 CRD
structure in plain tests. Field names follow the controller's API types
(github.com/aws/aws-app-mesh-controller-for-k8s, apis/appmesh/v1beta2) and the App Mesh user guide
(https://docs.aws.amazon.com/app-mesh/latest/userguide/). There is no Route kind in v1beta2: a route is
an entry of its VirtualRouter's `spec.routes`. No spec names its mesh (meshRef): the controller's
webhook fills it in from the namespace's `mesh` label, with the Mesh's uid.

Identity convention, shared with Istio (components.mesh.istio_specs): a service's pods carry `app: <name>`
and run as the ServiceAccount `<name>` of the service's namespace, so the certificate of an App Mesh
workload carries the same SPIFFE URI an Istio workload would: spiffe://<trustDomain>/ns/<ns>/sa/<name>.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from components.config import ServiceConfig, TrafficPolicySpec
from components.mesh import appmesh_traffic_specs as policy_render
from components.mesh.traffic_specs import service_host
from components.observability.specs import appmesh_tracing_values

APPMESH_API = "appmesh.k8s.aws/v1beta2"

# The controller chart of aws/eks-charts, pinned; its crds/ directory installs the CRDs with the first
# release (Helm never upgrades CRDs: a chart upgrade that changes them needs them applied first).
CONTROLLER_CHART = "appmesh-controller"
CONTROLLER_CHART_VERSION = "1.13.3"
EKS_CHARTS_REPO = "https://aws.github.io/eks-charts"
CONTROLLER_NAMESPACE = "appmesh-system"
CONTROLLER_SERVICE_ACCOUNT = "appmesh-controller"
# The Envoy release the controller chart pins (its values' sidecar.image); crossmesh runs it by the
# digest the stack config gives (mesh.appmeshEnvoyDigest), in the gateway and in every injected sidecar.
ENVOY_REPOSITORY = "840364872350.dkr.ecr.us-west-2.amazonaws.com/aws-appmesh-envoy"
ENVOY_TAG = "v1.29.12.3-prod"
# Envoy's admin listener in App Mesh (the chart's sidecar.envoyAdminAccessPort): /ready answers 200
# once Envoy is LIVE.
ENVOY_ADMIN_PORT = 9901
# App Mesh's Envoy runs as uid 1337, the uid its iptables rules exempt.
ENVOY_UID = 1337
# The gateway's Envoy: what one replica needs, and where it stops.
GATEWAY_RESOURCES = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}

# Namespaces join the mesh through the Mesh's namespaceSelector and get sidecars through the injector.
MESH_LABEL = "mesh"
INJECTOR_LABEL = "appmesh.k8s.aws/sidecarInjectorWebhook"
SECRET_MOUNTS_ANNOTATION = "appmesh.k8s.aws/secretMounts"
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"

# Where Envoy finds the workload's certificate files (mounted from the workload's TLS secret).
CERT_DIR = "/certs"
CERT_CHAIN_KEY = "cert_chain.pem"
PRIVATE_KEY_KEY = "key.pem"
ROOT_KEY = "root.pem"

# The bridge namespace on EKS: the VirtualGateway, its Envoy deployment, and the App Mesh objects that
# stand for the GKE services reached through the Istio ingress gateway.
BRIDGE_NAMESPACE = "crossmesh-bridge"
VIRTUAL_GATEWAY = "crossmesh-bridge"
VIRTUAL_GATEWAY_PORT = 8443
GKE_INGRESS_NODE = "gke-ingress"
# The Istio ingress gateway on GKE listens on 443 (components.mesh.bridge_specs).
GKE_INGRESS_PORT = 443

CONTROLLER_REPLICAS = 2
GATEWAY_REPLICAS = 2


@dataclass(frozen=True)
class AwsScope:
    """Where the IAM documents point: partition, region and account of the EKS cluster."""

    partition: str
    region: str
    account: str


def spiffe_id(trust_domain: str, namespace: str, service_account: str) -> str:
    return f"spiffe://{trust_domain}/ns/{namespace}/sa/{service_account}"


def workload_id(trust_domain: str, service: ServiceConfig) -> str:
    return spiffe_id(trust_domain, service.namespace, service.name)


def gateway_id(trust_domain: str) -> str:
    return spiffe_id(trust_domain, BRIDGE_NAMESPACE, VIRTUAL_GATEWAY)


def cloud_map_namespace(mesh: str) -> str:
    """The Cloud Map private DNS namespace of the mesh's services (a Route 53 private zone on the VPC)."""
    return f"{mesh}.appmesh.internal"


def discovery_host(service: ServiceConfig, cloud_map_namespace: str) -> str:
    """The service's name in Cloud Map's private DNS namespace."""
    return f"{service.name}.{cloud_map_namespace}"


def virtual_node_name(service: ServiceConfig) -> str:
    """The App Mesh name of a service's virtual node (the controller's default, written out so that
    IAM documents can name its ARN)."""
    return f"{service.name}_{service.namespace}"


def tls_secret_name(name: str) -> str:
    return f"{name}-mesh-tls"


def secret_mounts(name: str) -> str:
    """The pod annotation value that mounts a workload's TLS secret into its Envoy."""
    return f"{tls_secret_name(name)}:{CERT_DIR}"


def cert_files() -> dict[str, str]:
    return {
        "certificateChain": f"{CERT_DIR}/{CERT_CHAIN_KEY}",
        "privateKey": f"{CERT_DIR}/{PRIVATE_KEY_KEY}",
    }


def root_file() -> str:
    return f"{CERT_DIR}/{ROOT_KEY}"


# --- the controller ------------------------------------------------------------------------------------


def envoy_image(digest: str) -> str:
    """The pinned Envoy release, tag and digest: the runtime pulls by digest, the tag tells readers which."""
    return f"{ENVOY_REPOSITORY}:{ENVOY_TAG}@{digest}"


def controller_values(
    region: str,
    cluster_name: str,
    role_arn: str,
    tracing: bool,
    sampling_percent: float,
    envoy_digest: str,
) -> dict[str, Any]:
    """Helm values of the controller (stable/appmesh-controller/values.yaml of aws/eks-charts)."""
    return {
        "region": region,
        "clusterName": cluster_name,
        "replicaCount": CONTROLLER_REPLICAS,
        "podDisruptionBudget": {"minAvailable": 1},
        "serviceAccount": {
            "create": True,
            "name": CONTROLLER_SERVICE_ACCOUNT,
            "annotations": {ROLE_ANNOTATION: role_arn},
        },
        # Instances are health-checked by Envoy outlier detection, not by Cloud Map custom checks, so
        # the controller needs no Route 53 health-check permissions.
        "cloudMapCustomHealthCheck": {"enabled": False},
        # Workloads start only once their Envoy is ready, so no first call leaves the mesh unproxied.
        # The chart writes the image as repository:tag, so the tag carries the digest too.
        "sidecar": {
            "waitUntilProxyReady": True,
            "image": {"repository": ENVOY_REPOSITORY, "tag": f"{ENVOY_TAG}@{envoy_digest}"},
        },
        # X-Ray through the injected daemon (observability_specs). Not a fixed 5 %: 0.05 is only the
        # default; the controller hands this rate to every Envoy as XRAY_SAMPLING_RATE
        # (pkg/inject/config.go, envoy.go).
        "tracing": {
            **appmesh_tracing_values()["tracing"],
            "enabled": tracing,
            "samplingRate": round(sampling_percent / 100, 4),
        },
    }


def mesh_arn(scope: AwsScope, mesh: str) -> str:
    return f"arn:{scope.partition}:appmesh:{scope.region}:{scope.account}:mesh/{mesh}"


def controller_policy(scope: AwsScope, mesh: str, namespace_arn: str, hosted_zone_id: str) -> str:
    """The controller's IAM policy, cut down from its documented one
    (config/iam/controller-iam-policy.json of aws/aws-app-mesh-controller-for-k8s) to the calls its
    code makes (pkg/aws/services, v1.13.3), on this mesh and this Cloud Map namespace only:

    - App Mesh: create, describe, update and delete of the objects of this mesh, and ListRoutes; no
      other List call is made, and nothing outside this mesh is touched.
    - No ACM or ACM PCA: mutual TLS in App Mesh takes file or SDS certificates only.
    - Cloud Map: services in this namespace; instance calls on the account's services in this region
      (Cloud Map has no namespace scope for them); the list calls that accept only "*".
    - Route 53: record changes in this namespace's hosted zone only (Cloud Map writes them on the
      caller's behalf); no health-check calls, custom health checks being off.
    """
    region_account = f"{scope.region}:{scope.account}"
    arn = mesh_arn(scope, mesh)
    objects = (
        "Mesh",
        "VirtualGateway",
        "GatewayRoute",
        "VirtualNode",
        "VirtualRouter",
        "Route",
        "VirtualService",
    )
    appmesh_actions = sorted(
        f"appmesh:{verb}{kind}" for kind in objects for verb in ("Create", "Describe", "Update", "Delete")
    )
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ThisMesh",
                    "Effect": "Allow",
                    "Action": [*appmesh_actions, "appmesh:ListRoutes"],
                    "Resource": [arn, f"{arn}/*"],
                },
                {
                    "Sid": "AppMeshServiceLinkedRole",
                    "Effect": "Allow",
                    "Action": "iam:CreateServiceLinkedRole",
                    "Resource": f"arn:{scope.partition}:iam::{scope.account}:role/aws-service-role/"
                    "appmesh.amazonaws.com/AWSServiceRoleForAppMesh",
                    "Condition": {"StringLike": {"iam:AWSServiceName": "appmesh.amazonaws.com"}},
                },
                {
                    "Sid": "CloudMapServicesOfThisNamespace",
                    "Effect": "Allow",
                    "Action": "servicediscovery:CreateService",
                    "Resource": namespace_arn,
                },
                {
                    "Sid": "CloudMapInstances",
                    "Effect": "Allow",
                    "Action": [
                        "servicediscovery:DeleteService",
                        "servicediscovery:DeregisterInstance",
                        "servicediscovery:GetInstance",
                        "servicediscovery:GetInstancesHealthStatus",
                        "servicediscovery:GetService",
                        "servicediscovery:ListInstances",
                        "servicediscovery:RegisterInstance",
                    ],
                    "Resource": f"arn:{scope.partition}:servicediscovery:{region_account}:service/*",
                },
                {
                    "Sid": "CloudMapLookups",
                    "Effect": "Allow",
                    "Action": [
                        "servicediscovery:GetOperation",
                        "servicediscovery:ListNamespaces",
                        "servicediscovery:ListServices",
                    ],
                    "Resource": "*",
                },
                {
                    "Sid": "CloudMapRecords",
                    "Effect": "Allow",
                    "Action": "route53:ChangeResourceRecordSets",
                    "Resource": f"arn:{scope.partition}:route53:::hostedzone/{hosted_zone_id}",
                },
            ],
        }
    )


def envoy_policy(scope: AwsScope, mesh: str, resource: str, tracing: bool) -> str:
    """What one Envoy may do: fetch the configuration of its own virtual node or gateway
    (config/iam/envoy-iam-policy.json without ACM), and send traces when tracing is on.

    `resource` is `virtualNode/<name>` or `virtualGateway/<name>`.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OwnConfiguration",
            "Effect": "Allow",
            "Action": "appmesh:StreamAggregatedResources",
            "Resource": f"{mesh_arn(scope, mesh)}/{resource}",
        }
    ]
    if tracing:
        # X-Ray's write calls take no resource-level scope
        # (https://docs.aws.amazon.com/xray/latest/devguide/security_iam_id-based-policy-examples.html).
        statements.append(
            {
                "Sid": "Traces",
                "Effect": "Allow",
                "Action": [
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:PutTelemetryRecords",
                    "xray:PutTraceSegments",
                ],
                "Resource": "*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


# --- the mesh and one service ---------------------------------------------------------------------------


def mesh_spec(mesh: str) -> dict[str, Any]:
    """Only declared backends are reachable: DROP_ALL refuses any other egress from a sidecar."""
    return {
        "awsName": mesh,
        "namespaceSelector": {"matchLabels": {MESH_LABEL: mesh}},
        "egressFilter": {"type": "DROP_ALL"},
    }


def namespace_labels(mesh: str) -> dict[str, str]:
    return {MESH_LABEL: mesh, INJECTOR_LABEL: "enabled"}


def listener_tls(peer_ids: Sequence[str]) -> dict[str, Any]:
    """STRICT: only mutual TLS, with the workload's file certificate, clients verified against the
    shared root and accepted only with one of `peer_ids` as SAN."""
    validation: dict[str, Any] = {"trust": {"file": {"certificateChain": root_file()}}}
    if peer_ids:
        validation["subjectAlternativeNames"] = {"match": {"exact": sorted(peer_ids)}}
    return {"mode": "STRICT", "certificate": {"file": cert_files()}, "validation": validation}


def client_policy(backend_ids: Sequence[str]) -> dict[str, Any]:
    """Enforced TLS to a backend: our certificate presented, theirs verified against the shared root
    and accepted only with one of `backend_ids` as SAN."""
    return {
        "tls": {
            "enforce": True,
            "certificate": {"file": cert_files()},
            "validation": {
                "trust": {"file": {"certificateChain": root_file()}},
                "subjectAlternativeNames": {"match": {"exact": sorted(backend_ids)}},
            },
        }
    }


@dataclass(frozen=True)
class Backend:
    """A virtual service a node calls: its k8s name and namespace, and the identities that may answer."""

    name: str
    namespace: str
    answering_ids: tuple[str, ...]


@dataclass(frozen=True)
class Topology:
    """Who may call whom, in identities, for every App Mesh object of the stack."""

    caller_ids: dict[str, list[str]]
    """Per AWS service, the SANs its listener accepts: its AWS callers, and the VirtualGateway when
    GKE services call it."""
    backends: dict[str, list[Backend]]
    """Per AWS service, what it calls: AWS services by their identity, GKE services through the Istio
    ingress gateway's identity."""
    called_on_gke: list[ServiceConfig]
    """GKE services that AWS services call (each gets a router to the GKE ingress)."""
    bridged: list[ServiceConfig]
    """AWS services that GKE services call (each gets a GatewayRoute)."""
    gke_caller_ids: list[str]
    """The SANs the VirtualGateway accepts: every GKE service that calls an AWS service."""


def topology(services: Sequence[ServiceConfig], trust_domain: str, ingress_id: str) -> Topology:
    by_name = {s.name: s for s in services}
    aws_services = [s for s in services if s.cloud == "aws"]
    gke_callers = {s.name: [c for c in s.callers if by_name[c].cloud == "gcp"] for s in aws_services}
    called_on_gke = [
        s for s in services if s.cloud == "gcp" and any(by_name[c].cloud == "aws" for c in s.callers)
    ]
    caller_ids: dict[str, list[str]] = {}
    backends: dict[str, list[Backend]] = {}
    for service in aws_services:
        ids = [workload_id(trust_domain, by_name[c]) for c in service.callers if by_name[c].cloud == "aws"]
        caller_ids[service.name] = ids + ([gateway_id(trust_domain)] if gke_callers[service.name] else [])
        backends[service.name] = [
            Backend(s.name, s.namespace, (workload_id(trust_domain, s),))
            for s in aws_services
            if service.name in s.callers
        ] + [
            Backend(remote_service_name(s), BRIDGE_NAMESPACE, (ingress_id,))
            for s in called_on_gke
            if service.name in s.callers
        ]
    bridged = [s for s in aws_services if gke_callers[s.name]]
    return Topology(
        caller_ids=caller_ids,
        backends=backends,
        called_on_gke=called_on_gke,
        bridged=bridged,
        gke_caller_ids=sorted(
            {workload_id(trust_domain, by_name[c]) for s in bridged for c in gke_callers[s.name]}
        ),
    )


def virtual_node_spec(
    service: ServiceConfig,
    policy: TrafficPolicySpec,
    cloud_map_namespace: str,
    caller_ids: Sequence[str],
    backends: Iterable[Backend],
) -> dict[str, Any]:
    return {
        "awsName": virtual_node_name(service),
        "podSelector": {"matchLabels": {"app": service.name}},
        "listeners": [
            {
                "portMapping": {"port": service.port, "protocol": service.protocol},
                **policy_render.listener_policy(service, policy),
                "tls": listener_tls(caller_ids),
            }
        ],
        "serviceDiscovery": {
            "awsCloudMap": {"namespaceName": cloud_map_namespace, "serviceName": service.name}
        },
        "backends": [
            {
                "virtualService": {
                    "virtualServiceRef": {"name": backend.name, "namespace": backend.namespace},
                    "clientPolicy": client_policy(backend.answering_ids),
                }
            }
            for backend in sorted(backends, key=lambda b: (b.namespace, b.name))
        ],
    }


def virtual_router_spec(service: ServiceConfig, policy: TrafficPolicySpec) -> dict[str, Any]:
    target = {"virtualNodeRef": {"name": service.name, "namespace": service.namespace}, "weight": 100}
    return {
        "awsName": f"{service.name}-router_{service.namespace}",
        "listeners": [{"portMapping": {"port": service.port, "protocol": service.protocol}}],
        "routes": [policy_render.route_spec(service, policy, [target])],
    }


def virtual_service_spec(service: ServiceConfig) -> dict[str, Any]:
    """Named by the host clients call, so that Envoy matches their requests to it."""
    return {
        "awsName": service_host(service),
        "provider": {
            "virtualRouter": {"virtualRouterRef": {"name": service.name, "namespace": service.namespace}}
        },
    }


# --- the bridge, EKS side ---------------------------------------------------------------------------------


def gke_ingress_node_spec(cloud_map_namespace: str) -> dict[str, Any]:
    """The Istio ingress gateway on GKE as one virtual node: found in Cloud Map (its internal IP is
    registered there), plain port mapping since no App Mesh Envoy serves it; the TLS towards it is the
    callers' client policy."""
    return {
        "awsName": f"{GKE_INGRESS_NODE}_{BRIDGE_NAMESPACE}",
        "listeners": [{"portMapping": {"port": GKE_INGRESS_PORT, "protocol": "http"}}],
        "serviceDiscovery": {
            "awsCloudMap": {"namespaceName": cloud_map_namespace, "serviceName": GKE_INGRESS_NODE}
        },
    }


def remote_service_name(service: ServiceConfig) -> str:
    """The k8s name, in the bridge namespace, of the objects standing for a GKE service."""
    return f"{service.name}-{service.namespace}"


def remote_virtual_router_spec(service: ServiceConfig, policy: TrafficPolicySpec) -> dict[str, Any]:
    """The GKE service's route: its policy's retries and timeout, towards the GKE ingress node."""
    target = {"virtualNodeRef": {"name": GKE_INGRESS_NODE, "namespace": BRIDGE_NAMESPACE}, "weight": 100}
    return {
        "awsName": f"{remote_service_name(service)}-router_{BRIDGE_NAMESPACE}",
        "listeners": [{"portMapping": {"port": service.port, "protocol": service.protocol}}],
        "routes": [policy_render.route_spec(service, policy, [target])],
    }


def remote_virtual_service_spec(service: ServiceConfig) -> dict[str, Any]:
    """A GKE service as App Mesh sees it: its Istio host, routed to the GKE ingress node. Envoy keeps
    the Host header, which the Istio gateway routes on."""
    return {
        "awsName": service_host(service),
        "provider": {
            "virtualRouter": {
                "virtualRouterRef": {"name": remote_service_name(service), "namespace": BRIDGE_NAMESPACE}
            }
        },
    }


def virtual_gateway_spec(mesh: str, caller_ids: Sequence[str], backend_ids: Sequence[str]) -> dict[str, Any]:
    """The entry for GKE callers: STRICT mutual TLS on its listener, accepting only the Istio identities
    of declared GKE callers; enforced TLS to the App Mesh services behind it."""
    return {
        "awsName": f"{VIRTUAL_GATEWAY}_{BRIDGE_NAMESPACE}",
        "namespaceSelector": {"matchLabels": {MESH_LABEL: mesh}},
        "podSelector": {"matchLabels": {"app": VIRTUAL_GATEWAY}},
        "gatewayRouteSelector": {"matchLabels": {"gateway": VIRTUAL_GATEWAY}},
        "listeners": [
            {
                "portMapping": {"port": VIRTUAL_GATEWAY_PORT, "protocol": "http"},
                "tls": listener_tls(caller_ids),
            }
        ],
        "backendDefaults": {"clientPolicy": client_policy(backend_ids)},
    }


def gateway_route_spec(service: ServiceConfig) -> dict[str, Any]:
    """Requests for the service's host, from the gateway to its virtual service (the bridge carries
    http only: config validation refuses other protocols across it)."""
    return {
        "awsName": f"{service.name}-{service.namespace}_{BRIDGE_NAMESPACE}",
        "httpRoute": {
            "match": {"prefix": "/", "hostname": {"exact": service_host(service)}},
            "action": {
                "target": {
                    "virtualService": {
                        "virtualServiceRef": {"name": service.name, "namespace": service.namespace}
                    }
                }
            },
        },
    }


def gateway_service_annotations() -> dict[str, str]:
    """An internal NLB (components.mesh.istio_specs uses the same pair for the east-west gateway)."""
    return {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    }
