"""How a Kubernetes schema is applied: what the API server prunes is refused, what it keeps open is
open, nullable and int-or-string admit what Kubernetes admits, and a node's CEL rules are evaluated."""

from __future__ import annotations

from typing import Any

from offline.artefacts.schemas import StrictValidator, problems, strict

NODE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "pruned": {"type": "object", "properties": {"a": {"type": "string"}}},
        "bare": {"type": "object"},
        "kept": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
        "timeout": {
            "type": "string",
            "x-kubernetes-validations": [
                {"rule": "duration(self) >= duration('1ms')", "message": "must be a valid duration"},
                {"rule": "self.size() < 10", "message": "at most 9 characters"},
            ],
        },
        "mode": {"type": "string", "enum": ["A", "B"], "nullable": True},
        "match": {
            "type": "object",
            "properties": {"exact": {"type": "string"}, "prefix": {"type": "string"}},
            "oneOf": [{"required": ["exact"]}, {"required": ["prefix"]}],
        },
    },
}


def check(instance: dict[str, Any]) -> list[str]:
    return problems(StrictValidator(strict(NODE)), instance)


def test_what_a_structural_schema_prunes_is_refused_and_what_it_keeps_is_open() -> None:
    assert check({"pruned": {"a": "x", "b": 1}}) == ["pruned: unknown field 'b'"]
    assert check({"bare": {"anything": 1}}) == ["bare: unknown field 'anything'"]
    assert check({"kept": {"anything": {"deep": 1}}, "labels": {"k": "v"}}) == []
    assert check({"labels": {"k": 1}}) == ["labels.k: 1 is not of type 'string'"]
    assert check({"other": 1}) == ["(object): unknown field 'other'"]


def test_a_built_in_bare_object_is_free_form() -> None:
    schema = strict({"type": "object", "properties": {"raw": {"type": "object"}}}, prunes_bare_objects=False)
    assert problems(StrictValidator(schema), {"raw": {"any": 1}}) == []


def test_int_or_string_nullable_enum_and_one_of_branches() -> None:
    assert check({"port": 8080}) == check({"port": "http"}) == []
    assert check({"port": 1.5}) == ["port: 1.5 is not valid under any of the given schemas"]
    assert check({"mode": None}) == check({"mode": "A"}) == []
    assert check({"mode": "C"}) == ["mode: 'C' is not one of ['A', 'B', None]"]
    # The branches only require; they do not close the node to the other declared property.
    assert check({"match": {"exact": "a"}}) == []
    assert check({"match": {"exact": "a", "prefix": "b"}})[0].startswith(
        "match: {'exact': 'a', 'prefix': 'b'}"
    )


def test_every_cel_rule_of_a_node_is_evaluated_with_go_durations() -> None:
    assert check({"timeout": "1.5s"}) == []
    assert check({"timeout": "0.5ms"}) == ["timeout: '0.5ms': must be a valid duration"]
    assert check({"timeout": "10 seconds"}) == [
        "timeout: '10 seconds': at most 9 characters",
        "timeout: '10 seconds': must be a valid duration",
    ]
    # Go's grammar, which the library's own duration() does not follow.
    assert check({"timeout": "1h2m3s4ms5"}) == [
        "timeout: '1h2m3s4ms5': at most 9 characters",
        "timeout: '1h2m3s4ms5': must be a valid duration",
    ]
    assert check({"timeout": "1h-2m"}) == ["timeout: '1h-2m': must be a valid duration"]
    assert check({"timeout": "1µs1ms"}) == []
