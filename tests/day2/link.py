"""The link's replace-only settings: a tunnel group's bandwidth changes by new groups beside the old
ones, never in place; the BGP ASNs have no in-place procedure."""

from __future__ import annotations

from tests.support.day2 import Case, Config, Expect, Step
from tests.support.types import (
    AWS_CUSTOMER_GATEWAY,
    AWS_VPN_CONNECTION,
    GCP_EXTERNAL_VPN_GATEWAY,
    GCP_HA_VPN_GATEWAY,
)

RUNBOOK = "docs/runbooks/change-tunnel-bandwidth.md"
OTHER = {"standard": "large", "large": "standard"}
GROUP_TYPES = (AWS_CUSTOMER_GATEWAY, AWS_VPN_CONNECTION, GCP_HA_VPN_GATEWAY, GCP_EXTERNAL_VPN_GATEWAY)


def _groups(config: Config) -> list[dict[str, object]]:
    link = config["link"]
    if "groups" in link:
        return [dict(group) for group in link["groups"]]
    bandwidth = link.get("tunnelBandwidth", "standard")
    return [{"id": number, "bandwidth": bandwidth} for number in range(link.get("tunnelGroups", 1))]


def _explicit(config: Config, groups: list[dict[str, object]]) -> None:
    link = {k: v for k, v in config["link"].items() if k not in ("tunnelGroups", "tunnelBandwidth")}
    config["link"] = {**link, "groups": groups}


def bandwidth_in_place(config: Config) -> None:
    link = config["link"]
    link["tunnelBandwidth"] = OTHER[link.get("tunnelBandwidth", "standard")]


def new_groups_beside(config: Config) -> None:
    """As many groups again, numbered after the existing ones, of the other bandwidth."""
    groups = _groups(config)
    first = max(int(str(group["id"])) for group in groups) + 1
    added = [
        {"id": first + index, "bandwidth": OTHER[str(group["bandwidth"])]}
        for index, group in enumerate(groups)
    ]
    _explicit(config, groups + added)


def old_groups_removed(config: Config) -> None:
    groups = _groups(config)
    newest = groups[-1]["bandwidth"]
    _explicit(config, [group for group in groups if group["bandwidth"] == newest])


def gcp_asn(config: Config) -> None:
    config["link"]["gcpAsn"] = config["link"].get("gcpAsn", 65515) + 1


REPLACED_IN_PLACE = (
    Expect("replace", AWS_VPN_CONNECTION),
    Expect("replace", GCP_EXTERNAL_VPN_GATEWAY),
)

CASES: tuple[Case, ...] = (
    Case(
        "tunnel-bandwidth-in-place",
        "Change link.tunnelBandwidth in place",
        (
            Step(
                "link.tunnelBandwidth: the other bandwidth",
                bandwidth_in_place,
                "would replace every group's VPN connections and, through their new addresses, every "
                "external gateway, tunnel, interface and BGP peer: the whole link down at once",
                critical=REPLACED_IN_PLACE,
                refused=("link-group-replaced",),
            ),
        ),
        stacks=("dev", "prod"),
        issue_case=3,
        procedure=RUNBOOK,
    ),
    Case(
        "tunnel-bandwidth-group-by-group",
        "Change the tunnel bandwidth group by group",
        (
            Step(
                "link.groups: the groups, and as many new ones of the new bandwidth",
                new_groups_beside,
                "creates the new groups beside the old ones (their own names and inside addresses); "
                "ECMP spreads traffic over all tunnels",
            ),
            Step(
                "link.groups: the new groups only",
                old_groups_removed,
                "deletes the old groups; their traffic moves to the new ones as their BGP sessions close",
                critical=tuple(Expect("delete", kind) for kind in GROUP_TYPES),
                by_hand="`crossmesh verify`: every new tunnel UP, every new BGP session Established; in a "
                "protected stack, unprotect the old groups' resources",
            ),
        ),
        stacks=("dev", "prod"),
        issue_case=3,
        procedure=RUNBOOK,
    ),
    Case(
        "gcp-asn",
        "Change link.gcpAsn",
        (
            Step(
                "link.gcpAsn: + 1",
                gcp_asn,
                "would replace every customer gateway and move every VPN connection onto the new ones: "
                "every tunnel renegotiates at once",
                critical=(Expect("replace", AWS_CUSTOMER_GATEWAY),),
                refused=("link-group-replaced",),
            ),
        ),
        stacks=("dev",),
        issue_case=3,
        procedure=RUNBOOK,
    ),
)
