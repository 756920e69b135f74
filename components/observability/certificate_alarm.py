"""CertificateAlarm: a CloudWatch alarm that fires when a mesh certificate is overdue for renewal.

pulumi-tls and `IssuedCertificate` renew only when `pulumi up` runs (pulumi-tls #39); the deploy
workflow runs it weekly. If those runs stop, nothing in a cluster notices until a certificate expires.
Per certificate, an EventBridge Scheduler schedule starts at its deadline and then writes 1 to the
`CertificateRenewalOverdue` metric every day; the alarm fires on it. The deadline is the expiry output
(`meshCaExpiry`, `appMeshCertificateExpiry`) less the lead: for what `pulumi up` renews, the
early-renewal window less two weekly runs of grace (certificate_specs.overdue_lead_hours); for a
root, `rootEarlyRenewalDays`, when its staged rotation must start. A renewal moves
the certificate's end, so the next `pulumi up` moves the schedule's start into the future again.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

import pulumi
import pulumi_aws as aws

from components.mesh.certificate_specs import parse_rfc3339, rfc3339

METRIC = "CertificateRenewalOverdue"
# EventBridge Scheduler's universal target for the CloudWatch PutMetricData API.
PUT_METRIC_DATA_TARGET = "arn:aws:scheduler:::aws-sdk:cloudwatch:putMetricData"
DAY_SECONDS = 86_400
MAX_SCHEDULE_NAME = 64


@dataclass(frozen=True)
class WatchedCertificate:
    expiry: pulumi.Output[str]
    """RFC 3339 end of validity, an expiry output."""
    lead_hours: int
    """The alarm starts this long before the end."""


@dataclass(frozen=True)
class CertificateAlarmArgs:
    name_prefix: str
    namespace: str
    """The stack's CloudWatch namespace."""
    certificates: Mapping[str, WatchedCertificate]
    """By a label that names the certificate in the metric's dimension."""
    alarm_actions: Sequence[str] = ()


def start_of(lead_hours: int, expiry: str) -> str:
    """The deadline: the end less the lead. Only the certificates themselves move it, so a plan is the
    same from run to run."""
    return rfc3339((parse_rfc3339(expiry) - timedelta(hours=lead_hours)).replace(microsecond=0))


def schedule_name(prefix: str, label: str) -> str:
    """EventBridge Scheduler names are at most 64 characters: a long one keeps a digest of the rest."""
    name = f"{prefix}-cert-{label}"
    if len(name) <= MAX_SCHEDULE_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_SCHEDULE_NAME - 9]}-{digest}"


def metric_data(namespace: str, label: str) -> str:
    """The PutMetricData request: one point the alarm reads, one naming the certificate."""
    point = {"MetricName": METRIC, "Value": 1, "Unit": "Count"}
    return json.dumps(
        {
            "Namespace": namespace,
            "MetricData": [point, {**point, "Dimensions": [{"Name": "Certificate", "Value": label}]}],
        }
    )


class CertificateAlarm(pulumi.ComponentResource):
    alarm_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: CertificateAlarmArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crossmesh:observability:CertificateAlarm", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-scheduler",
            name=f"{args.name_prefix}-certificate-alarm",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "scheduler.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            opts=child,
        )
        # PutMetricData has no resource-level permissions; the namespace condition is its only scope.
        aws.iam.RolePolicy(
            f"{name}-put-metric",
            role=role.id,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "cloudwatch:PutMetricData",
                            "Resource": "*",
                            "Condition": {"StringEquals": {"cloudwatch:namespace": args.namespace}},
                        }
                    ],
                }
            ),
            opts=child,
        )
        for label, watched in args.certificates.items():
            aws.scheduler.Schedule(
                f"{name}-{label}",
                name=schedule_name(args.name_prefix, label),
                description=f"Mesh certificate {label} is overdue for renewal: run pulumi up",
                schedule_expression="rate(1 day)",
                start_date=watched.expiry.apply(functools.partial(start_of, watched.lead_hours)),
                flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
                target=aws.scheduler.ScheduleTargetArgs(
                    arn=PUT_METRIC_DATA_TARGET, role_arn=role.arn, input=metric_data(args.namespace, label)
                ),
                opts=child,
            )
        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-overdue",
            name=f"{args.name_prefix}-mesh-certificate-renewal-overdue",
            alarm_description=(
                "A mesh certificate was not renewed in time: the scheduled pulumi up has stopped, or a "
                "root is due for its staged rotation (docs/runbooks/rotate-ca.md). The Certificate "
                "dimension names it."
            ),
            namespace=args.namespace,
            metric_name=METRIC,
            statistic="Maximum",
            period=DAY_SECONDS,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=list(args.alarm_actions),
            ok_actions=list(args.alarm_actions),
            opts=child,
        )
        self.alarm_name = alarm.name
        self.register_outputs({"alarmName": self.alarm_name})
