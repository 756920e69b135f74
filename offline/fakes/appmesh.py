"""App Mesh and its bridge: Cloud Map, App Mesh custom resources, load-balanced Services, Deployments.

Cloud Map returns its IDs in its own shapes (`ns-`, `srv-` followed by 16 characters) and a private
DNS namespace its Route 53 hosted zone. An App Mesh object comes back with the status the controller
writes once it has created the object in App Mesh (its ARN). A Service of type LoadBalancer comes back
with the address its cloud gives: an internal NLB hostname on AWS, the requested internal IP on GKE.
"""

from __future__ import annotations

from typing import Any

from offline.fake_cloud import FakeResource, outputs_for
from offline.fakes.kubernetes import kubernetes_object

APPMESH_KINDS = ("Mesh", "VirtualNode", "VirtualRouter", "VirtualService", "VirtualGateway", "GatewayRoute")
APPMESH_API = "kubernetes:appmesh.k8s.aws/v1beta2"


def _cloud_map_id(prefix: str, resource: FakeResource) -> str:
    return f"{prefix}-{resource.hex(16)}"


@outputs_for("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace")
def private_dns_namespace(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    namespace_id = _cloud_map_id("ns", resource)
    return namespace_id, {
        "arn": resource.aws_arn("servicediscovery", f"namespace/{namespace_id}"),
        "hostedZone": "Z" + resource.hex(20, "zone").upper(),
    }


@outputs_for("aws:servicediscovery/service:Service")
def discovery_service(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    service_id = _cloud_map_id("srv", resource)
    return service_id, {"arn": resource.aws_arn("servicediscovery", f"service/{service_id}")}


@outputs_for("aws:servicediscovery/instance:Instance")
def discovery_instance(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    return str(resource.inputs["instanceId"]), {}


def _appmesh_path(kind: str, name: str, spec: dict[str, Any], mesh: str) -> str:
    if kind == "Mesh":
        return f"mesh/{spec.get('awsName', name)}"
    collection = kind[0].lower() + kind[1:]
    return f"mesh/{mesh}/{collection}/{spec.get('awsName', name)}"


@outputs_for(*(f"{APPMESH_API}:{kind}" for kind in APPMESH_KINDS))
def appmesh_object(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    resource_id, outputs = kubernetes_object(resource)
    kind = resource.type.rsplit(":", 1)[-1]
    spec = dict(resource.inputs.get("spec") or {})
    metadata = outputs["metadata"]
    # The controller names the ARN field after the kind: meshARN, virtualNodeARN, ...
    arn_key = kind[0].lower() + kind[1:] + "ARN"
    mesh = str(resource.inputs.get("metadata", {}).get("labels", {}).get("mesh", "mesh"))
    outputs["status"] = {
        arn_key: resource.aws_arn("appmesh", _appmesh_path(kind, str(metadata["name"]), spec, mesh)),
        "observedGeneration": 1,
        "conditions": [{"type": f"{kind}Active", "status": "True"}],
    }
    return resource_id, outputs


@outputs_for(
    "kubernetes:networking.istio.io/v1:ServiceEntry",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:policy/v1:PodDisruptionBudget",
)
def plain_object(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    return kubernetes_object(resource)


@outputs_for("kubernetes:core/v1:Service")
def service(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    resource_id, outputs = kubernetes_object(resource)
    spec = dict(resource.inputs.get("spec") or {})
    annotations = dict(resource.inputs.get("metadata", {}).get("annotations") or {})
    cluster_ip = f"172.20.{int(resource.hex(2), 16)}.{int(resource.hex(2, 'ip'), 16) % 254 + 1}"
    outputs["spec"] = {**spec, "clusterIP": cluster_ip}
    if spec.get("type") == "LoadBalancer":
        if any(key.startswith("service.beta.kubernetes.io/aws-load-balancer") for key in annotations):
            scheme = (
                "internal-"
                if annotations.get("service.beta.kubernetes.io/aws-load-balancer-scheme") == "internal"
                else ""
            )
            hostname = f"{scheme}{resource.hex(32, 'nlb')}.elb.{resource.aws_region}.amazonaws.com"
            ingress: dict[str, Any] = {"hostname": hostname}
        else:
            ingress = {"ip": str(spec.get("loadBalancerIP") or "10.255.255.253")}
        outputs["status"] = {"loadBalancer": {"ingress": [ingress]}}
    return resource_id, outputs
