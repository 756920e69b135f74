"""The CRDs' CEL rules, evaluated: every recorded rule compiles, every rule the rendered objects meet is
run, and an object changed to break a real rule is refused with that rule's message."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest

from offline.artefacts import data, kubernetes_cel, schemas
from offline.artefacts.kubernetes_cel import go_duration_seconds
from offline.artefacts.objects import api_version_and_kind, object_problems
from offline.artefacts.plan_view import PlanView
from offline.commands.check import from_plan
from tests.offline.artefacts.support import Contract, one, resources
from tests.offline.artefacts.test_objects import DR, POD_MONITORING
from tests.support.plans import STACKS, planned

AUTHORIZATION_POLICY = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
VIRTUAL_SERVICE = "kubernetes:networking.istio.io/v1:VirtualService"
TELEMETRY = "kubernetes:telemetry.istio.io/v1:Telemetry"
SERVICE_ENTRY = "kubernetes:networking.istio.io/v1:ServiceEntry"
GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
CLUSTER_POD_MONITORING = "kubernetes:monitoring.googleapis.com/v1:ClusterPodMonitoring"
MINOR = "1.35"


def validations(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        yield from node.get("x-kubernetes-validations", [])
        for child in node.values():
            yield from validations(child)
    elif isinstance(node, list):
        for child in node:
            yield from validations(child)


def test_every_recorded_rule_compiles_with_every_function_it_calls() -> None:
    per_file = {}
    for crd_file in data.crd_files():
        found = list(validations(crd_file["schemas"]))
        problems = [p for p in map(kubernetes_cel.compile_problem, found) if p is not None]
        assert problems == [], "\n".join(problems)
        per_file[schemas.source_name(crd_file)] = len(found)
    assert per_file == {
        "appmesh-controller 1.13.3": 0,
        "base 1.30.3": 147,
        "GKE managed collection v0.17.2": 28,
    }


def test_a_rule_that_cannot_be_evaluated_is_reported_by_its_text_not_passed() -> None:
    node = {"type": "string"}
    unknown = [{"rule": "self.isHostname()", "message": "never shown"}]
    broken = [{"rule": "self ==", "message": "never shown"}]
    assert [r.message for r in kubernetes_cel.refusals(unknown, "a", node)] == [
        "CEL rule 'self.isHostname()' cannot be evaluated: it calls isHostname, which no library here defines"
    ]
    (refusal,) = kubernetes_cel.refusals(broken, "a", node)
    assert refusal.message.startswith("CEL rule 'self ==' cannot be evaluated: it does not compile")


def test_transition_rules_are_skipped_on_create_unless_old_self_is_optional() -> None:
    node = {"type": "integer"}
    transition = {"rule": "self >= oldSelf", "message": "may only grow"}
    optional = {**transition, "rule": "!oldSelf.hasValue() && self > 1", "optionalOldSelf": True}
    assert list(kubernetes_cel.refusals([transition], 1, node)) == []
    assert [r.message for r in kubernetes_cel.refusals([optional], 1, node)] == ["may only grow"]
    assert list(kubernetes_cel.refusals([optional], 2, node)) == []


def test_values_are_typed_and_named_as_the_api_server_hands_them_to_cel() -> None:
    node = {
        "type": "object",
        "properties": {
            "interval": {"type": "string", "format": "duration"},
            "weight": {"type": "number"},
            "namespace": {"type": "string"},
            "x-y": {"type": "string"},
        },
    }
    value = {"interval": "1w", "weight": 2, "namespace": "a", "x-y": "b"}
    assert kubernetes_cel.as_cel(value, node) == {
        "interval": timedelta(days=7),
        "weight": 2.0,
        "__namespace__": "a",
        "x__dash__y": "b",
    }
    rules = [
        {"rule": "self.interval > duration('144h') && self.__namespace__ == 'a'", "message": "m1"},
        {
            "rule": "self.x__dash__y.substring(0, 1) == 'c'",
            "fieldPath": ".x-y",
            "reason": "FieldValueForbidden",
        },
    ]
    assert list(kubernetes_cel.refusals(rules, value, node)) == [
        kubernetes_cel.Refusal("forbidden: failed rule: self.x__dash__y.substring(0, 1) == 'c'", ("x-y",))
    ]


@pytest.mark.parametrize(
    ("text", "is_url", "scheme"),
    [
        ("https://example.com:8443/a", True, "https"),
        ("HTTP://example.com", True, "http"),
        ("/absolute/path", True, ""),
        ("mailto:someone", True, "mailto"),
        ("relative/path", False, None),
        ("example.com", False, None),
        ("http://exa mple.com", False, None),
        ("http://example.com:port", False, None),
        ("", False, None),
    ],
)
def test_urls_are_read_as_kubernetes_reads_them(text: str, is_url: bool, scheme: str | None) -> None:
    """As Go's url.ParseRequestURI: an absolute URI or an absolute path; the scheme in lower case."""

    def passes(rule: str) -> bool:
        return list(kubernetes_cel.refusals([{"rule": rule}], text, {"type": "string"})) == []

    assert passes("isURL(self)") is is_url
    assert passes(f"url(self).getScheme() == '{scheme}'") is is_url


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10s", 10.0), ("1h30m", 5400.0), ("1.5ms", 0.0015), (".5s", 0.5), ("0", 0.0), ("-2m", -120.0)],
)
def test_go_durations_parse(text: str, seconds: float) -> None:
    assert go_duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "10 seconds", "1d", "s", "1.s5", "1h-2m"])
def test_what_is_not_a_go_duration(text: str) -> None:
    assert go_duration_seconds(text) is None


@pytest.mark.parametrize(
    ("text", "seconds"), [("1w", 604800.0), ("7d", 604800.0), ("1d12h", 129600.0), ("30s", 30.0)]
)
def test_format_durations_also_take_days_and_weeks(text: str, seconds: float) -> None:
    assert kubernetes_cel.format_duration_seconds(text) == pytest.approx(seconds)
    assert kubernetes_cel.format_duration_seconds(text + "x") is None


# --- every rule the rendered objects meet is evaluated ------------------------------------------------


def met(schema: Mapping[str, Any], value: Any) -> Iterator[str]:
    """The rules on every node of `schema` that `value` reaches, walked apart from the evaluator."""
    if value is None:
        return
    for validation in schema.get("x-kubernetes-validations", []):
        if "oldSelf" not in validation["rule"]:
            yield validation["rule"]
    if isinstance(value, Mapping):
        properties, extra = schema.get("properties"), schema.get("additionalProperties")
        for key, child in value.items():
            if properties is not None and key in properties:
                yield from met(properties[key], child)
            elif properties is None and isinstance(extra, Mapping):
                yield from met(extra, child)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for item in value:
            yield from met(schema["items"], item)


def rendered_custom_objects() -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """(CRD file, CRD, inputs) of every custom object of every stack."""
    for stack in STACKS:
        for resource in PlanView(from_plan(planned(stack)).resources).objects():
            api_version, kind = api_version_and_kind(resource)
            for crd_file in data.crd_files():
                crd = schemas.recorded_crd(schemas.source_name(crd_file), api_version, kind)
                if crd is not None:
                    yield schemas.source_name(crd_file), crd, resource.inputs


def test_every_rule_the_rendered_objects_meet_is_evaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    run: list[str] = []
    execute = kubernetes_cel.execute

    def recorded(program: Any, variables: dict[str, Any]) -> Any:
        run.append(program.source)
        return execute(program, variables)

    monkeypatch.setattr(kubernetes_cel, "execute", recorded)
    evaluated: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    for source, crd, inputs in rendered_custom_objects():
        run.clear()
        validator = schemas.custom_validator(source, crd["schema"], MINOR)
        assert validator is not None
        assert schemas.problems(validator, inputs) == []
        rules = list(met(data_schema(source, crd["schema"]), inputs))
        assert sorted(run) == sorted(r.replace("duration(", "goDuration(") for r in rules), crd["kind"]
        evaluated[source] += len(run)
        expected[source] += len(rules)
    assert evaluated == expected
    # Over dev, prod and legacy: Istio's duration, selector, principal and port rules; GMP's per endpoint.
    assert evaluated == {
        "base 1.30.3": 170,
        "GKE managed collection v0.17.2": 36,
        "appmesh-controller 1.13.3": 0,
    }


def data_schema(source: str, schema_key: str) -> Mapping[str, Any]:
    crd_file = next(f for f in data.crd_files() if schemas.source_name(f) == source)
    schema: Mapping[str, Any] = crd_file["schemas"][schema_key]
    return schema


# --- real rules, broken on a rendered object -----------------------------------------------------------


def cel_findings(stack: str, *plants: Callable[[Contract], None]) -> list[tuple[str, str]]:
    """The kubernetes-object-schema findings of the stack's saved plan with `plants` applied."""

    def plant(saved: Contract) -> None:
        for change in plants:
            change(saved)

    view = PlanView(resources(stack, plant))
    return [(r.name, problem) for r in view.objects() for problem in object_problems(view, r)]


def spec(saved: Contract, type_token: str, name: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = one(saved, type_token, name)["inputs"]["spec"]
    return found


def test_istio_authorization_policy_rules() -> None:
    def both_selector_and_target_refs(saved: Contract) -> None:
        spec(saved, AUTHORIZATION_POLICY, "istio-aws-ledger-callers")["targetRefs"] = [
            {"group": "", "kind": "Service", "name": "ledger"}
        ]

    def service_accounts_beside_principals(saved: Contract) -> None:
        rule = spec(saved, AUTHORIZATION_POLICY, "istio-aws-ledger-callers")["rules"][0]
        rule["from"][0]["source"]["serviceAccounts"] = ["payments/payment"]

    assert cel_findings("dev", both_selector_and_target_refs, service_accounts_beside_principals) == [
        (
            "istio-aws-ledger-callers",
            "spec.rules.0.from.0.source: Cannot set serviceAccounts with namespaces or principals",
        ),
        ("istio-aws-ledger-callers", "spec: only one of targetRefs or selector can be set"),
    ]


def test_istio_destination_rule_and_virtual_service_rules() -> None:
    def sub_millisecond_interval(saved: Contract) -> None:
        spec(saved, DR, "istio-aws-checkout-dr")["trafficPolicy"]["outlierDetection"]["interval"] = "500us"

    def not_a_go_duration(saved: Contract) -> None:
        spec(saved, VIRTUAL_SERVICE, "istio-aws-checkout-vs")["http"][0]["timeout"] = "1h-2m"

    def wildcard_selector(saved: Contract) -> None:
        spec(saved, DR, "istio-bridge-orders-from-storefront")["workloadSelector"]["matchLabels"] = {
            "app": "*"
        }

    assert cel_findings("dev", sub_millisecond_interval, not_a_go_duration) == [
        (
            "istio-aws-checkout-dr",
            "spec.trafficPolicy.outlierDetection.interval: '500us': "
            "must be a valid duration greater than 1ms",
        ),
        ("istio-aws-checkout-vs", "spec.http.0.timeout: '1h-2m': must be a valid duration greater than 1ms"),
    ]
    assert cel_findings("legacy", wildcard_selector) == [
        (
            "istio-bridge-orders-from-storefront",
            "spec.workloadSelector.matchLabels.app: '*': wildcard not allowed in label value match",
        )
    ]


def test_istio_telemetry_service_entry_and_gateway_rules() -> None:
    def selector_beside_target_refs(saved: Contract) -> None:
        telemetry = spec(saved, TELEMETRY, "aws-observability-telemetry")
        telemetry["selector"] = {"matchLabels": {"app": "checkout"}}
        telemetry["targetRefs"] = [{"kind": "Service", "name": "checkout"}]

    def cidr_with_dns_resolution(saved: Contract) -> None:
        spec(saved, SERVICE_ENTRY)["addresses"] = ["240.241.27.0/24"]

    def two_kinds_of_credential(saved: Contract) -> None:
        spec(saved, GATEWAY, "istio-bridge-ingress-gateway")["servers"][0]["tls"]["credentialNames"] = ["a"]

    assert cel_findings("dev", selector_beside_target_refs) == [
        ("aws-observability-telemetry", "spec: only one of targetRefs or selector can be set")
    ]
    assert cel_findings("legacy", cidr_with_dns_resolution, two_kinds_of_credential) == [
        (
            "istio-bridge-ingress-gateway",
            "spec.servers.0.tls: only one of credentialName or credentialNames can be set",
        ),
        (
            "istio-bridge-orders-appmesh-entry",
            "spec: CIDR addresses are allowed only for NONE/STATIC resolution types",
        ),
    ]


def test_gmp_rules_with_their_message_expressions() -> None:
    def timeout_over_interval(saved: Contract) -> None:
        spec(saved, POD_MONITORING)["endpoints"][0]["timeout"] = "1m"

    def onto_a_protected_label(saved: Contract) -> None:
        endpoint = spec(saved, CLUSTER_POD_MONITORING)["endpoints"][0]
        endpoint["metricRelabeling"] = [{"action": "replace", "targetLabel": "cluster", "replacement": "x"}]

    def proxy_with_credentials(saved: Contract) -> None:
        spec(saved, POD_MONITORING)["endpoints"][0]["proxyUrl"] = "http://user:secret@proxy:3128"

    assert sorted(
        cel_findings("dev", timeout_over_interval, onto_a_protected_label, proxy_with_credentials)
    ) == [
        (
            "gcp-observability-istiod-metrics",
            "spec.endpoints.0.proxyUrl: 'http://user:secret@proxy:3128': failed rule: "
            "isURL(self) && !self.matches('@')",
        ),
        (
            "gcp-observability-istiod-metrics",
            "spec.endpoints.0: scrape timeout (60s) must not be greater than scrape interval (30s)",
        ),
        (
            "gcp-observability-proxy-metrics",
            "spec.endpoints.0.metricRelabeling.0.targetLabel: 'cluster': "
            'cannot relabel onto protected label "cluster"',
        ),
    ]

    def a_longer_interval(saved: Contract) -> None:
        timeout_over_interval(saved)
        spec(saved, POD_MONITORING)["endpoints"][0]["interval"] = "2m"

    assert cel_findings("dev", a_longer_interval) == []
