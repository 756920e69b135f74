"""Which Availability Zones the AWS VPC uses, by zone ID, pure.

A zone's name (us-east-1a) maps to a different physical zone in different accounts of the older
regions; its ID (use1-az1) names the same zone everywhere
(https://docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html). EKS refuses cluster
subnets in a few zones, known by ID (components/data/aws_az_exclusions.json), and every private subnet
here is a cluster subnet. So zones are judged by ID: the ones a stack pins (`aws.availabilityZoneIds`),
in the order given; otherwise the account's zones in name order, skipping the excluded IDs. The
second rule chooses what the name-only rule always chose wherever that one could deploy, so a deployed
stack keeps its subnets where they are.

Subnets keep naming their zone by name (`availabilityZone`), resolved from the ID in the account that
runs `pulumi up`: moving the input to `availabilityZoneId` would make the provider replace every
deployed subnet, for the same zone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

EXCLUSIONS_PATH = Path(__file__).resolve().parents[1] / "data" / "aws_az_exclusions.json"
# An AZ ID: the region's short code and the zone's number, e.g. use1-az3, apse2-az1, usgw1-az2.
ZONE_ID = re.compile(r"^[a-z]{2,}[0-9]+-az[0-9]+$")


@dataclass(frozen=True)
class Zone:
    name: str
    id: str


class ZoneChoiceError(ValueError):
    """The region, as this account sees it, cannot give the zones the stack asks for."""


@cache
def excluded_zone_ids() -> Mapping[str, str]:
    """Every excluded zone ID, with why it is excluded."""
    data = json.loads(EXCLUSIONS_PATH.read_text())
    return {entry["zone_id"]: entry["why"] for entry in data["zones"]}


def choose_zones(
    region: str, names: Sequence[str], ids: Sequence[str], count: int, pinned: Sequence[str] | None = None
) -> list[Zone]:
    """The zones of the VPC's subnets, subnet index by subnet index. `names` and `ids` are the region's
    available zones as the account sees them (DescribeAvailabilityZones), in the same order."""
    if len(names) != len(ids):
        raise ValueError(f"{len(names)} zone names but {len(ids)} zone IDs")
    offered = [Zone(name, zone_id) for name, zone_id in zip(names, ids, strict=True)]
    if pinned:
        by_id = {zone.id: zone for zone in offered}
        missing = [zone_id for zone_id in pinned if zone_id not in by_id]
        if missing:
            raise ZoneChoiceError(
                f"crossmesh:aws.availabilityZoneIds: {', '.join(missing)} not among the zones {region} "
                f"offers this account: {_listing(offered)}"
            )
        return [by_id[zone_id] for zone_id in pinned]
    excluded = excluded_zone_ids()
    usable = sorted((zone for zone in offered if zone.id not in excluded), key=lambda zone: zone.name)
    if len(usable) < count:
        raise ZoneChoiceError(
            f"crossmesh:aws.azCount is {count} but {region} offers this account {len(usable)} zones that "
            f"EKS accepts: {_listing(usable)}"
        )
    return usable[:count]


def _listing(zones: Sequence[Zone]) -> str:
    return ", ".join(f"{zone.id} ({zone.name})" for zone in zones) or "none"
