"""Observability: CloudWatch alarms, metric filters and dashboards; Cloud Monitoring alert policies and
dashboards; service-account IAM bindings; Istio Telemetry and Managed Prometheus scrape objects.

IDs take the shapes the APIs give: an alarm and a dashboard are known by their names, an alert policy
by `projects/<project>/alertPolicies/<number>`, a Monitoring dashboard by the project number and a
generated ID.
"""

from __future__ import annotations

import uuid
from typing import Any

from offline.fake_cloud import FAKE_GCP_PROJECT_NUMBER, FakeResource, outputs_for
from offline.fakes.kubernetes import kubernetes_object

CUSTOM_KINDS = (
    "kubernetes:telemetry.istio.io/v1:Telemetry",
    "kubernetes:monitoring.googleapis.com/v1:PodMonitoring",
    "kubernetes:monitoring.googleapis.com/v1:ClusterPodMonitoring",
)


@outputs_for(*CUSTOM_KINDS)
def custom_object(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    return kubernetes_object(resource)


@outputs_for("aws:cloudwatch/metricAlarm:MetricAlarm")
def metric_alarm(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    return name, {"name": name, "arn": resource.aws_arn("cloudwatch", f"alarm:{name}")}


@outputs_for("aws:cloudwatch/logMetricFilter:LogMetricFilter")
def log_metric_filter(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    return name, {"name": name}


@outputs_for("aws:cloudwatch/dashboard:Dashboard")
def cloudwatch_dashboard(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("dashboardName"))
    return name, {"dashboardArn": resource.aws_arn("cloudwatch", f"dashboard/{name}", regional=False)}


@outputs_for("gcp:monitoring/alertPolicy:AlertPolicy")
def alert_policy(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = f"projects/{resource.gcp_project}/alertPolicies/{int(resource.hex(15), 16) % 10**19}"
    return name, {
        "name": name,
        "creationRecords": [{"mutatedBy": "pulumi", "mutateTime": "2026-01-01T00:00:00Z"}],
    }


@outputs_for("gcp:monitoring/dashboard:Dashboard")
def monitoring_dashboard(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    return f"projects/{FAKE_GCP_PROJECT_NUMBER}/dashboards/{uuid.UUID(resource.hex(32))}", {}


@outputs_for("gcp:serviceaccount/iAMMember:IAMMember")
def service_account_member(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    inputs = resource.inputs
    return (
        f"{inputs.get('serviceAccountId')}/{inputs.get('role')}/{inputs.get('member')}",
        {"etag": f"BwY{resource.hex(10)}="},
    )
