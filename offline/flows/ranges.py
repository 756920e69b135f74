"""Address ranges as the flow check needs them: parsing that tolerates host bits, and coverage of one
range by a set of others (what a route table, a security group or a firewall admits)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

Net = ipaddress.IPv4Network
ANYWHERE = ipaddress.IPv4Network("0.0.0.0/0")


def net(value: Any) -> Net | None:
    """The IPv4 network of a CIDR or an address (host bits allowed), or None when it is neither."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return ipaddress.IPv4Network(value.strip(), strict=False)
    except ValueError:
        return None


def nets(values: Iterable[Any]) -> list[Net]:
    return [found for found in (net(value) for value in values) if found is not None]


def uncovered(target: Net, by: Iterable[Net]) -> list[Net]:
    """The parts of target that no network of `by` contains."""
    remaining = [target]
    for cover in by:
        next_remaining: list[Net] = []
        for piece in remaining:
            if piece.subnet_of(cover):
                continue
            if cover.subnet_of(piece):
                next_remaining.extend(piece.address_exclude(cover))
            else:
                next_remaining.append(piece)
        remaining = next_remaining
        if not remaining:
            break
    return list(ipaddress.collapse_addresses(remaining))


def covered(target: Net, by: Iterable[Net]) -> bool:
    return not uncovered(target, by)


def within(inner: Net, outer: Iterable[Net]) -> bool:
    """Whether inner lies inside the union of outer (the same test as `covered`, read the other way)."""
    return covered(inner, outer)


def text(networks: Iterable[Net]) -> str:
    return ", ".join(str(network) for network in networks) or "nothing"
