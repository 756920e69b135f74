"""Google Cloud: the project and the network resources."""

from __future__ import annotations

import ipaddress
from typing import Any

from offline.fake_cloud import FAKE_GCP_PROJECT_NUMBER, FakeResource, invoke_result, outputs_for

COMPUTE_API = "https://www.googleapis.com/compute/v1/"

# Compute collections: (collection, regional?)
_COMPUTE = {
    "gcp:compute/network:Network": ("networks", False),
    "gcp:compute/firewall:Firewall": ("firewalls", False),
    "gcp:compute/subnetwork:Subnetwork": ("subnetworks", True),
    "gcp:compute/router:Router": ("routers", True),
    "gcp:compute/address:Address": ("addresses", True),
}


@outputs_for(*_COMPUTE)
def compute_resource(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    collection, regional = _COMPUTE[resource.type]
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    project = resource.gcp_project
    location = f"regions/{resource.gcp_region}" if regional else "global"
    resource_id = f"projects/{project}/{location}/{collection}/{name}"
    outputs: dict[str, Any] = {
        "name": name,
        "project": project,
        "selfLink": COMPUTE_API + resource_id,
        # Numeric IDs are what the Compute API calls generatedId / networkId.
        "numericId": str(int(resource.hex(15), 16) % 10**19),
    }
    if regional:
        outputs["region"] = resource.gcp_region
    if resource.type == "gcp:compute/subnetwork:Subnetwork":
        outputs["gatewayAddress"] = _first_host(str(resource.inputs.get("ipCidrRange", "")))
    return resource_id, outputs


@outputs_for("gcp:compute/routerNat:RouterNat")
def router_nat(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    router = resource.inputs.get("router")
    return f"{resource.gcp_project}/{resource.gcp_region}/{router}/{name}", {"name": name}


@invoke_result("gcp:organizations/getProject:getProject")
def project(args: dict[str, Any], provider: dict[str, Any]) -> dict[str, Any]:
    project_id = args.get("projectId") or provider.get("project", "crossmesh-plan")
    return {"projectId": project_id, "number": FAKE_GCP_PROJECT_NUMBER, "id": f"projects/{project_id}"}


def _first_host(cidr: str) -> str:
    return str(next(ipaddress.IPv4Network(cidr).hosts())) if cidr else ""
