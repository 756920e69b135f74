"""The certificate renewal alarm: a schedule per certificate starting at its deadline, read off the
expiry outputs, feeding one CloudWatch alarm."""

from __future__ import annotations

import json

from components.mesh.certificate_specs import overdue_lead_hours, parse_rfc3339
from components.observability.certificate_alarm import (
    METRIC,
    PUT_METRIC_DATA_TARGET,
    schedule_name,
    start_of,
)
from offline.record import Plan
from tests.support.plans import planned
from tests.support.types import CLOUDWATCH_METRIC_ALARM, IAM_ROLE_POLICY, SCHEDULER_SCHEDULE

DAY = 24


def schedules(plan: Plan) -> dict[str, dict[str, object]]:
    return {
        r.name.removeprefix("certificate-alarm-"): r.plain_inputs for r in plan.of_type(SCHEDULER_SCHEDULE)
    }


def days_before(expiry: str, start: object) -> float:
    return (parse_rfc3339(expiry) - parse_rfc3339(str(start))).total_seconds() / 86_400


def test_a_renewed_certificate_is_overdue_two_weekly_runs_into_its_window() -> None:
    assert overdue_lead_hours(60 * DAY) == 46 * DAY
    assert overdue_lead_hours(30 * DAY) == 16 * DAY
    assert overdue_lead_hours(7 * DAY) == 0


def test_every_dev_ca_has_a_schedule_starting_at_its_deadline(dev_plan: Plan) -> None:
    expiry = dev_plan.outputs["meshCaExpiry"]
    found = schedules(dev_plan)
    assert sorted(found) == ["intermediate-aws", "intermediate-gcp", "root-g1"]
    assert days_before(expiry["root-g1"], found["root-g1"]["startDate"]) == 730
    for cloud in ("aws", "gcp"):
        assert days_before(expiry[cloud], found[f"intermediate-{cloud}"]["startDate"]) == 46
    for inputs in found.values():
        assert inputs["scheduleExpression"] == "rate(1 day)"
        assert inputs["flexibleTimeWindow"] == {"mode": "OFF"}
        target = inputs["target"]
        assert isinstance(target, dict) and target["arn"] == PUT_METRIC_DATA_TARGET


def test_legacy_watches_its_file_based_leaves_too() -> None:
    plan = planned("legacy")
    found = schedules(plan)
    leaves = plan.outputs["appMeshCertificateExpiry"]
    assert {f"appmesh-{name}" for name in leaves} | {"bridge-ingress", "bridge-storefront"} <= set(found)
    for name, end in leaves.items():
        assert days_before(end, found[f"appmesh-{name}"]["startDate"]) == 16


def test_the_schedules_write_the_metric_the_alarm_reads_in_the_stacks_namespace(dev_plan: Plan) -> None:
    alarm = next(
        r for r in dev_plan.of_type(CLOUDWATCH_METRIC_ALARM) if r.name == "certificate-alarm-overdue"
    )
    namespace = alarm.inputs["namespace"]
    assert (alarm.inputs["metricName"], alarm.inputs["treatMissingData"]) == (METRIC, "notBreaching")
    for inputs in schedules(dev_plan).values():
        request = json.loads(inputs["target"]["input"])  # type: ignore[index]
        assert request["Namespace"] == namespace
        assert [point["MetricName"] for point in request["MetricData"]] == [METRIC, METRIC]
        assert "Dimensions" not in request["MetricData"][0]
    policy = json.loads(dev_plan.one(IAM_ROLE_POLICY, "certificate-alarm-put-metric").inputs["policy"])
    (statement,) = policy["Statement"]
    assert statement["Action"] == "cloudwatch:PutMetricData"
    assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": namespace}}
    assert dev_plan.outputs["certificateRenewalAlarm"] == alarm.outputs["name"]


def test_the_start_is_the_end_less_the_lead_in_whole_seconds() -> None:
    assert start_of(16 * DAY, "2030-03-01T00:00:00.5Z") == "2030-02-13T00:00:00Z"


def test_long_schedule_names_stay_within_64_characters_and_distinct() -> None:
    long_names = {schedule_name("cm-legacy", f"appmesh-{'s' * 60}{i}") for i in range(3)}
    assert len(long_names) == 3 and all(len(name) <= 64 for name in long_names)
    assert schedule_name("cm-dev", "root-g1") == "cm-dev-cert-root-g1"
