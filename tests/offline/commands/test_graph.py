"""`crossmesh graph`: the diagram follows the plan, in both formats, and the README's copy is current."""

from __future__ import annotations

from offline.commands.graph import README_END, README_START, architecture, readme_block, render
from offline.record import Plan, Registration
from tests.support.plans import PROJECT_DIR, planned
from tests.support.types import (
    AWS_PROVIDER,
    AWS_VPC,
    EKS_CLUSTER,
    GCP_HA_VPN_GATEWAY,
    HELM_RELEASE,
    KUBERNETES_PROVIDER,
    TGW,
)


def _resource(
    urn: str,
    type_: str,
    inputs: dict[str, object] | None = None,
    *,
    provider: str | None = None,
    data: tuple[str, ...] = (),
) -> Registration:
    return Registration(
        urn=urn,
        type=type_,
        name=urn,
        custom=True,
        parent=None,
        provider=provider,
        dependencies=list(data),
        protect=False,
        inputs=inputs or {},
        data_dependencies=list(data),
    )


def _linked_plan() -> Plan:
    tunnels = [
        {"group": group, "tunnel": tunnel, "insideCidr": f"169.254.{group}{tunnel}.0/30"}
        for group in (1, 2)
        for tunnel in (1, 2, 3, 4)
    ]
    resources = [
        _resource("aws", AWS_PROVIDER, {"region": "eu-west-1"}),
        _resource("vpc", AWS_VPC, {"cidrBlock": "10.0.0.0/16"}),
        _resource("tgw", TGW, {"amazonSideAsn": 64512}),
        _resource("ha-0", GCP_HA_VPN_GATEWAY),
        _resource("ha-1", GCP_HA_VPN_GATEWAY),
        _resource("eks", EKS_CLUSTER, {"name": "cm-prod", "version": "1.33"}),
        _resource("eks-k8s", KUBERNETES_PROVIDER, data=("eks",)),
        _resource(
            "istiod",
            HELM_RELEASE,
            {"chart": "istiod", "version": "1.28.0"},
            provider="eks-k8s",
        ),
    ]
    services = {
        "a": {"cloud": "aws", "namespace": "n", "port": 80, "protocol": "http", "callers": ["b"]},
        "b": {"cloud": "gcp", "namespace": "n", "port": 80, "protocol": "http", "callers": []},
    }
    return Plan("crossmesh", "prod", resources, {"tunnels": tunnels, "services": services})


def test_each_tunnel_is_an_edge_from_the_tgw_to_its_groups_gateway() -> None:
    edges = [
        e
        for e in architecture(_linked_plan()).edges
        if e.source == "aws_tgw" and e.label.startswith("tunnel")
    ]
    assert len(edges) == 8
    assert {e.target for e in edges if e.label.startswith("tunnel 1.")} == {"gcp_havpn_0"}
    assert {e.target for e in edges if e.label.startswith("tunnel 2.")} == {"gcp_havpn_1"}


def test_a_mesh_is_drawn_in_the_cloud_of_the_cluster_its_provider_reaches() -> None:
    arch = architecture(_linked_plan())
    assert [n.label for n in arch.groups["aws"] if n.id == "aws_mesh"] == ["Istio 1.28.0"]
    assert not [n for n in arch.groups["gcp"] if n.id == "gcp_mesh"]
    assert arch.group_labels["aws"] == "AWS eu-west-1"


def test_calls_across_the_link_are_marked() -> None:
    (call,) = [e for e in architecture(_linked_plan()).edges if e.target == "svc_a"]
    assert call.source == "svc_b" and call.label == "over the link"


def test_dev_graph_shows_every_declared_service_and_call() -> None:
    plan = planned("dev")
    text = render(plan)
    for name in plan.outputs["services"]:
        assert f'svc_{name}(["{name}<br/>' in text
    assert 'svc_checkout -->|"over the link"| svc_payment' in text
    assert "svc_frontend --> svc_checkout" in text


def test_dot_output_is_balanced_and_names_both_clouds() -> None:
    text = render(_linked_plan(), "dot")
    assert text.count("{") == text.count("}")
    assert "subgraph cluster_aws" in text and "subgraph cluster_gcp" in text
    assert text.count("dir=both") == 8


def test_readme_shows_the_current_dev_graph() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    start, end = readme.index(README_START), readme.index(README_END) + len(README_END)
    assert readme[start:end] == readme_block(planned("dev")), "run `crossmesh graph --stack dev --readme`"


def test_each_clouds_collector_is_drawn_with_its_trace_backend() -> None:
    text = render(planned("dev"))
    assert 'aws_traces("OTel collector -> X-Ray")' in text
    assert 'gcp_traces("OTel collector -> Cloud Trace")' in text
    assert 'aws_traces <-.->|"one W3C trace ID"| gcp_traces' in text
    legacy = render(planned("legacy"))
    assert "aws_traces" not in legacy and 'gcp_traces("OTel collector -> Cloud Trace")' in legacy
