"""GcpNetwork under the offline engine."""

from __future__ import annotations

from components.network.gcp_network import PODS_RANGE_NAME, SERVICES_RANGE_NAME
from tests.support.plans import planned
from tests.support.types import COMPONENT_AWS_NETWORK, COMPONENT_GCP_NETWORK, GCP_PROVIDER

GCP = "gcp:compute"


def test_vpc_is_custom_mode_with_global_dynamic_routing() -> None:
    network = planned("dev").one(f"{GCP}/network:Network").inputs
    assert network["autoCreateSubnetworks"] is False
    assert network["routingMode"] == "GLOBAL"


def test_subnet_carries_the_configured_primary_and_gke_secondary_ranges() -> None:
    plan = planned("dev")
    subnet = plan.one(f"{GCP}/subnetwork:Subnetwork").inputs
    assert subnet["ipCidrRange"] == "10.20.0.0/20"
    assert subnet["region"] == "us-east4"
    assert subnet["network"] == plan.one(f"{GCP}/network:Network").id
    assert {r["rangeName"]: r["ipCidrRange"] for r in subnet["secondaryIpRanges"]} == {
        PODS_RANGE_NAME: "10.24.0.0/14",
        SERVICES_RANGE_NAME: "10.28.0.0/20",
    }


def test_subnet_has_private_google_access_and_full_flow_logs() -> None:
    subnet = planned("dev").one(f"{GCP}/subnetwork:Subnetwork").inputs
    assert subnet["privateIpGoogleAccess"] is True
    assert subnet["logConfig"]["metadata"] == "INCLUDE_ALL_METADATA"
    assert 0 < subnet["logConfig"]["flowSampling"] <= 1


def test_router_speaks_bgp_with_the_configured_asn_and_advertises_only_what_aws_can_reach() -> None:
    for stack, asn in (("dev", 65515), ("prod", 65520)):
        bgp = planned(stack).one(f"{GCP}/router:Router").inputs["bgp"]
        assert bgp["asn"] == asn
        assert bgp["advertiseMode"] == "CUSTOM"
        # ALL_SUBNETS would add the GKE services range, whose ClusterIPs nothing outside the cluster reaches.
        assert "advertisedGroups" not in bgp
    ranges = [
        r["range"] for r in planned("dev").one(f"{GCP}/router:Router").inputs["bgp"]["advertisedIpRanges"]
    ]
    assert ranges == ["10.20.0.0/20", "10.24.0.0/14", "172.16.0.0/28", "35.199.192.0/19"]


def test_cloud_nat_serves_only_the_cluster_subnet_and_logs_errors() -> None:
    plan = planned("dev")
    nat = plan.one(f"{GCP}/routerNat:RouterNat").inputs
    assert nat["router"] == plan.one(f"{GCP}/router:Router").outputs["name"]
    assert nat["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    assert [s["name"] for s in nat["subnetworks"]] == [plan.one(f"{GCP}/subnetwork:Subnetwork").id]
    assert nat["logConfig"] == {"enable": True, "filter": "ERRORS_ONLY"}


def test_gcp_resources_use_the_stack_project_through_the_explicit_provider() -> None:
    plan = planned("dev")
    provider = plan.one(GCP_PROVIDER)
    assert provider.inputs["project"] == "crossmesh-dev-000000" and provider.inputs["region"] == "us-east4"
    assert all(r.provider == provider.urn for r in plan.resources if r.type.startswith("gcp:"))


def test_the_networks_of_the_two_clouds_do_not_depend_on_each_other() -> None:
    plan = planned("dev")
    networks = {plan.one(COMPONENT_AWS_NETWORK).urn, plan.one(COMPONENT_GCP_NETWORK).urn}
    for resource in (r for r in plan.resources if r.parent in networks):
        clouds = {plan.by_urn(dependency).type.split(":")[0] for dependency in resource.dependencies}
        own = resource.type.split(":")[0]
        assert clouds <= {own}, f"{resource.urn} depends on {clouds - {own}}"
