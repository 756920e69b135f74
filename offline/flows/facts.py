"""What the clouds do on their own, as recorded in offline/data/network_facts.json with its sources."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from offline.flows.ranges import Net, net

FACTS_PATH = Path(__file__).resolve().parents[1] / "data" / "network_facts.json"


@cache
def facts() -> Mapping[str, Any]:
    data: Mapping[str, Any] = json.loads(FACTS_PATH.read_text())["facts"]
    return data


def ports(fact: str) -> tuple[int, ...]:
    value = facts()[fact]["ports"]
    return tuple(sorted(value.values() if isinstance(value, Mapping) else value))


def default_source(fact: str) -> Net:
    found = net(facts()[fact]["default_source"])
    assert found is not None, fact
    return found


def cloud_dns_range() -> Net:
    found = net(facts()["cloud_dns_forwarding_source"]["range"])
    assert found is not None
    return found


def first_source(fact: str) -> str:
    """The first source of a fact, as a reader finds it: a URL, or a repository and path."""
    source = facts()[fact]["source"][0]
    if "url" in source:
        return str(source["url"])
    return f"{source['repo']} {source['path']}"
