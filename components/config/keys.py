"""The config keys of a stack, before their values: namespaces, and keys Pulumi reads other than meant.

Pulumi passes the program every key of the stack file as `namespace:key`. A key in a namespace that
is neither the project's nor a provider's is read by nobody, so a misspelt `crosmesh:protect: true`
would leave protection silently off: it is an error, with the closest namespace. A dotted key written
literally (`crossmesh:link.tunnelGroups`, the form of `pulumi config set --path`) is one key to Pulumi,
not a path into `crossmesh:link`: it is explained rather than reported as unknown.

Pure: no `pulumi` import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from components.config.messages import did_you_mean
from components.config.schema import NAMESPACE, StackConfig

# Namespaces whose keys are someone else's to read: the providers the program uses and Pulumi itself
# (pulumi:tags, pulumi:disable-default-providers, ...). Their keys are allowed and not checked here.
PROVIDER_NAMESPACES = ("aws", "gcp", "kubernetes", "pulumi", "random", "tls")

_PATH_SYNTAX = re.compile(r"[.\[]")


def split_keys(full_config: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The project's keys without their namespace, and one problem line per key nobody would read."""
    own: dict[str, Any] = {}
    problems: list[str] = []
    for full_key, value in full_config.items():
        # A key without a namespace is the project's, as Pulumi reads it.
        namespace, _, key = full_key.partition(":") if ":" in full_key else (NAMESPACE, ":", full_key)
        if namespace == NAMESPACE and _PATH_SYNTAX.search(key):
            problems.append(_literal_path_problem(full_key, key))
        elif namespace == NAMESPACE:
            own[key] = value
        elif namespace not in PROVIDER_NAMESPACES:
            problems.append(_namespace_problem(full_key, namespace, key))
    return own, problems


def _namespace_problem(full_key: str, namespace: str, key: str) -> str:
    known = [NAMESPACE, *PROVIDER_NAMESPACES]
    close = next((name for name in known if name == namespace.strip().lower()), None)
    suggestion = f"; did you mean '{close}'?" if close else did_you_mean(namespace, known)
    field = f" ('{key}' is a {NAMESPACE} key)" if key.split(".")[0] in top_level_keys() else ""
    return (
        f"{full_key}: unknown namespace '{namespace}'{field}{suggestion}; no one reads this key. Keys are "
        f"{NAMESPACE}:<key>, or a provider's ({', '.join(PROVIDER_NAMESPACES)})"
    )


def _literal_path_problem(full_key: str, key: str) -> str:
    head = _PATH_SYNTAX.split(key, maxsplit=1)[0]
    return (
        f"{full_key}: one literal key to Pulumi, not a path into {NAMESPACE}:{head}; nest it under "
        f"{NAMESPACE}:{head} in the stack file, or set it with `pulumi config set --path '{NAMESPACE}:{key}' "
        "<value>`"
    )


def top_level_keys() -> list[str]:
    return [info.alias or name for name, info in StackConfig.model_fields.items()]


def misplaced_keys(top_level: Iterable[str]) -> list[str]:
    """Keys at the top of a stack file that are config keys: they belong under `config:`."""
    own = set(top_level_keys())
    return [key for key in top_level if ":" in key or key in own]
