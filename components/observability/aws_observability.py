"""AwsObservability: traces, metrics, logs, alarms and a dashboard for the AWS side.

- Tracing (Istio clusters): an OpenTelemetry collector receives the sidecars' spans over OTLP and
  exports them to X-Ray, as a service account whose IRSA role may only write traces and read
  sampling rules; the mesh-wide Telemetry object turns tracing on at the configured rate. App Mesh
  clusters keep X-Ray through the App Mesh controller (observability_specs.appmesh_tracing_values).
- Metrics and logs: the CloudWatch Observability add-on (Container Insights with its IRSA role)
  into log groups created here first, so they are retained and encrypted. Control-plane and VPN
  tunnel logs are retained by EksCluster and VpnLink.
- Cross-cloud requests: the Telemetry object also writes one access log line per request that
  left through the east-west gateway; metric filters make requests, 5xx and latency metrics of
  them. CloudWatch computes percentiles only of values it receives one by one, which a metric
  filter gives and a Prometheus histogram does not.
- Alarms: TunnelState per tunnel, named by its VPN connection and outside IP; cross-cloud 5xx
  share and p99 latency. A dashboard shows the same.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.clusters import eks_specs
from components.clusters.eks_cluster import EksIdentity
from components.clusters.kube_cluster import KubeCluster
from components.config import ObservabilityConfig
from components.network.aws_specs import partition_of
from components.observability import specs
from components.observability.collector import install_collector


@dataclass(frozen=True)
class AwsTunnel:
    """One AWS end of the link: the VPN connection and the tunnel's outside IP (AWS/VPN dimensions)."""

    label: str
    vpn_id: pulumi.Output[str]
    outside_ip: pulumi.Output[str]


@dataclass(frozen=True)
class _Collector:
    role_arn: pulumi.Output[str]
    release: k8s.helm.v3.Release


@dataclass(frozen=True)
class AwsObservabilityArgs:
    config: ObservabilityConfig
    name_prefix: str
    region: str
    cluster: KubeCluster
    eks: EksIdentity
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    mesh_engine: Literal["istio", "appmesh"]
    istiod: pulumi.Resource | None
    """The Istio control plane the Telemetry object needs first; None on App Mesh."""
    remote_mesh_cluster: str
    tunnels: Sequence[AwsTunnel] = ()


class AwsObservability(pulumi.ComponentResource):
    collector_role_arn: pulumi.Output[str] | None
    tunnel_alarm_names: list[pulumi.Output[str]]
    dashboard_name: pulumi.Output[str] | None
    metrics_namespace: str

    def __init__(
        self, name: str, args: AwsObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crossmesh:observability:AwsObservability", name, None, opts)
        self._name, self._args = name, args
        config = args.config
        self._child = pulumi.ResourceOptions(parent=self)
        self._alarm_actions = [config.sns_topic_arn] if config.sns_topic_arn else []
        self.metrics_namespace = f"CrossMesh/{args.name_prefix}"
        istio = args.mesh_engine == "istio"

        self.collector_role_arn = None
        telemetry_after: list[pulumi.Resource] = [args.istiod] if args.istiod is not None else []
        if config.tracing and istio:
            collector = self._collector()
            self.collector_role_arn = collector.role_arn
            # Sidecars export to the collector's Service as soon as the Telemetry object exists.
            telemetry_after.append(collector.release)

        application_logs: aws.cloudwatch.LogGroup | None = None
        if config.container_insights:
            application_logs = self._container_insights()

        # The access log feeds the metric filters, which read Container Insights' log group.
        access_log = config.alarms and application_logs is not None and istio
        if istio and args.istiod is not None and (self.collector_role_arn is not None or access_log):
            args.cluster.custom_object(
                resource_name=f"{name}-telemetry",
                api_version=specs.TELEMETRY_API,
                kind="Telemetry",
                name="mesh-default",
                namespace="istio-system",
                spec=specs.telemetry_spec(
                    config.sampling_percent,
                    tracing=self.collector_role_arn is not None,
                    access_log=access_log,
                ),
                parent=self,
                depends_on=telemetry_after,
            )

        self.tunnel_alarm_names = []
        if config.alarms:
            self.tunnel_alarm_names = [self._tunnel_alarm(tunnel) for tunnel in args.tunnels]
            if application_logs is not None and istio:
                self._request_alarms(application_logs)

        self.dashboard_name = None
        if config.dashboards:
            self.dashboard_name = self._dashboard()

        self.register_outputs(
            {
                "collectorRoleArn": self.collector_role_arn,
                "tunnelAlarmNames": self.tunnel_alarm_names,
                "dashboardName": self.dashboard_name,
            }
        )

    def _irsa_role(self, purpose: str, namespace: str, account: str) -> aws.iam.Role:
        eks = self._args.eks
        return aws.iam.Role(
            f"{self._name}-{purpose}",
            description=f"{self._args.name_prefix}-eks: {namespace}/{account} through IRSA",
            assume_role_policy=eks.irsa_trust_policy(namespace, account),
            opts=self._child,
        )

    def _collector(self) -> _Collector:
        role = self._irsa_role("collector", specs.COLLECTOR_NAMESPACE, specs.COLLECTOR_NAME)
        grant = aws.iam.RolePolicy(
            f"{self._name}-collector-xray",
            role=role.id,
            policy=specs.xray_write_policy(),
            opts=self._child,
        )
        release = install_collector(
            self._args.cluster,
            name=self._name,
            values=role.arn.apply(
                lambda arn: specs.collector_values(
                    specs.xray_exporter(self._args.region), specs.irsa_annotation(arn)
                )
            ),
            parent=self,
            depends_on=[grant],
        )
        return _Collector(role_arn=role.arn, release=release)

    def _container_insights(self) -> aws.cloudwatch.LogGroup:
        args = self._args
        log_groups = {
            kind: aws.cloudwatch.LogGroup(
                f"{self._name}-insights-{kind}",
                name=args.eks.cluster_name.apply(
                    functools.partial(specs.container_insights_log_group, kind=kind)
                ),
                retention_in_days=args.log_retention_days,
                kms_key_id=args.logs_key_arn,
                opts=self._child,
            )
            for kind in specs.CONTAINER_INSIGHTS_LOG_GROUPS
        }
        namespace, account = specs.CONTAINER_INSIGHTS_ACCOUNT
        role = self._irsa_role("container-insights", namespace, account)
        grant = aws.iam.RolePolicyAttachment(
            f"{self._name}-container-insights",
            role=role.name,
            policy_arn=eks_specs.managed_policy_arn(
                partition_of(args.region), specs.CONTAINER_INSIGHTS_POLICY
            ),
            opts=self._child,
        )
        version = aws.eks.get_addon_version_output(
            addon_name=specs.CONTAINER_INSIGHTS_ADDON,
            kubernetes_version=args.eks.kubernetes_version,
            most_recent=True,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        aws.eks.Addon(
            f"{self._name}-container-insights",
            cluster_name=args.eks.cluster_name,
            addon_name=specs.CONTAINER_INSIGHTS_ADDON,
            addon_version=version.version,
            service_account_role_arn=role.arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[grant, args.eks.node_group, *log_groups.values()]
            ),
        )
        return log_groups["application"]

    def _tunnel_alarm(self, tunnel: AwsTunnel) -> pulumi.Output[str]:
        prefix = self._args.name_prefix
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-tunnel-{tunnel.label}",
            name=tunnel.outside_ip.apply(lambda ip: f"{prefix}-vpn-tunnel-{ip}-down"),
            alarm_description=tunnel.outside_ip.apply(
                lambda ip: (
                    f"{prefix}: VPN tunnel {ip} to GCP (group-tunnel {tunnel.label}) or its BGP "
                    f"session is down; traffic shifts to the other tunnels. Runbook: {specs.LINK_RUNBOOK}"
                )
            ),
            namespace="AWS/VPN",
            metric_name="TunnelState",
            dimensions={"VpnId": tunnel.vpn_id, "TunnelIpAddress": tunnel.outside_ip},
            statistic="Maximum",
            period=specs.TUNNEL_PERIOD_SECONDS,
            evaluation_periods=specs.TUNNEL_EVALUATION_PERIODS,
            threshold=1,
            comparison_operator="LessThanThreshold",
            # AWS/VPN reports every tunnel of a connection; no data means no tunnel.
            treat_missing_data="breaching",
            alarm_actions=self._alarm_actions,
            ok_actions=self._alarm_actions,
            opts=self._child,
        )
        return alarm.name

    def _request_alarms(self, application_logs: aws.cloudwatch.LogGroup) -> None:
        args, config, ns = self._args, self._args.config, self.metrics_namespace
        filters = {
            specs.REQUESTS_METRIC: (specs.cross_cloud_log_pattern(), "1", "Count"),
            specs.ERRORS_METRIC: (specs.cross_cloud_log_pattern(errors_only=True), "1", "Count"),
            specs.LATENCY_METRIC: (
                specs.cross_cloud_log_pattern(),
                "$.log_processed.duration",
                "Milliseconds",
            ),
        }
        made = [
            aws.cloudwatch.LogMetricFilter(
                f"{self._name}-{metric.lower()}",
                log_group_name=application_logs.name,
                pattern=pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    namespace=ns, name=metric, value=value, unit=unit
                ),
                opts=self._child,
            )
            for metric, (pattern, value, unit) in filters.items()
        ]
        after = pulumi.ResourceOptions(parent=self, depends_on=made)
        target = args.remote_mesh_cluster
        aws.cloudwatch.MetricAlarm(
            f"{self._name}-cross-cloud-errors",
            name=f"{args.name_prefix}-cross-cloud-5xx",
            alarm_description=(
                f"{args.name_prefix}: more than {config.cross_cloud_error_percent}% of calls from "
                f"{args.cluster.mesh_cluster_name} to {target} failed with a 5xx"
            ),
            metric_queries=[
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id=query_id,
                    metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                        namespace=ns, metric_name=metric, period=specs.REQUEST_PERIOD_SECONDS, stat="Sum"
                    ),
                )
                for query_id, metric in (("errors", specs.ERRORS_METRIC), ("requests", specs.REQUESTS_METRIC))
            ]
            + [
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="errorPercent",
                    expression="IF(requests > 0, 100 * errors / requests, 0)",
                    label="Cross-cloud 5xx %",
                    return_data=True,
                )
            ],
            threshold=config.cross_cloud_error_percent,
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=specs.REQUEST_EVALUATION_PERIODS,
            # No cross-cloud traffic is not an error.
            treat_missing_data="notBreaching",
            alarm_actions=self._alarm_actions,
            ok_actions=self._alarm_actions,
            opts=after,
        )
        aws.cloudwatch.MetricAlarm(
            f"{self._name}-cross-cloud-latency",
            name=f"{args.name_prefix}-cross-cloud-p99",
            alarm_description=(
                f"{args.name_prefix}: p99 latency of calls from {args.cluster.mesh_cluster_name} to "
                f"{target} above {config.cross_cloud_latency_p99_ms} ms"
            ),
            namespace=ns,
            metric_name=specs.LATENCY_METRIC,
            extended_statistic="p99",
            period=specs.REQUEST_PERIOD_SECONDS,
            evaluation_periods=specs.REQUEST_EVALUATION_PERIODS,
            threshold=config.cross_cloud_latency_p99_ms,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=self._alarm_actions,
            ok_actions=self._alarm_actions,
            opts=after,
        )

    def _dashboard(self) -> pulumi.Output[str]:
        args = self._args
        pairs = [pulumi.Output.all(t.vpn_id, t.outside_ip) for t in args.tunnels]
        note = (
            f"Traces: X-Ray, {args.config.sampling_percent}% of requests sampled at the first sidecar; "
            "find a cross-cloud trace by its traceparent ID (docs/observability.md)."
            if args.mesh_engine == "istio"
            else "Traces: X-Ray through the App Mesh controller."
        )
        body = pulumi.Output.all(*pairs).apply(
            lambda resolved: specs.cloudwatch_dashboard(
                args.region, [(str(v), str(ip)) for v, ip in resolved], self.metrics_namespace, note
            )
        )
        dashboard = aws.cloudwatch.Dashboard(
            f"{self._name}-dashboard",
            dashboard_name=f"{args.name_prefix}-crossmesh",
            dashboard_body=body,
            opts=self._child,
        )
        return dashboard.dashboard_name
