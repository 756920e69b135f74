"""GcpObservability: traces, metrics, alert policies and a dashboard for the GCP side.

- Tracing: an OpenTelemetry collector receives the sidecars' spans over OTLP and exports them to
  Cloud Trace, as a Kubernetes service account bound through Workload Identity to a Google service
  account whose only role is Cloud Trace Agent; the mesh-wide Telemetry object turns tracing on at
  the configured rate and writes the cross-cloud access log lines (Cloud Logging keeps them).
- Metrics: Google Managed Prometheus scrapes istiod and every Istio proxy's merged metrics.
  GkeCluster turns managed collection, system and workload logging and monitoring on.
- Alert policies: Cloud VPN tunnels established and Cloud Router BGP sessions up (per tunnel and per
  session), cross-cloud 5xx share and p99 latency in PromQL. A dashboard shows the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.clusters.kube_cluster import KubeCluster
from components.config import ObservabilityConfig
from components.observability import specs
from components.observability.collector import install_collector


@dataclass(frozen=True)
class GcpTunnel:
    """One GCP end of the link: the Cloud VPN tunnel and the Cloud Router peer of its BGP session."""

    label: str
    tunnel_name: pulumi.Output[str]
    bgp_peer_name: pulumi.Output[str]


@dataclass(frozen=True)
class GcpObservabilityArgs:
    config: ObservabilityConfig
    name_prefix: str
    project: str
    cluster: KubeCluster
    workload_pool: pulumi.Output[str]
    """The cluster's Workload Identity pool (GkeCluster.workload_pool)."""
    istiod: pulumi.Resource
    remote_mesh_cluster: str
    remote_runs_istio: bool
    """Istio labels calls with destination_cluster only when the other cluster is an Istio peer."""
    tunnels: Sequence[GcpTunnel] = ()


class GcpObservability(pulumi.ComponentResource):
    collector_account_email: pulumi.Output[str] | None
    alert_policy_names: list[pulumi.Output[str]]
    dashboard_id: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: GcpObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crossmesh:observability:GcpObservability", name, None, opts)
        self._name, self._args = name, args
        config = args.config
        self._child = pulumi.ResourceOptions(parent=self)

        self.collector_account_email = None
        telemetry_after: list[pulumi.Resource] = [args.istiod]
        if config.tracing:
            self.collector_account_email, release = self._collector()
            # Sidecars export to the collector's Service as soon as the Telemetry object exists.
            telemetry_after.append(release)
        # Cloud Logging collects every container's stdout, so the access log needs nothing else here.
        args.cluster.custom_object(
            resource_name=f"{name}-telemetry",
            api_version=specs.TELEMETRY_API,
            kind="Telemetry",
            name="mesh-default",
            namespace="istio-system",
            spec=specs.telemetry_spec(config.sampling_percent, tracing=config.tracing, access_log=True),
            parent=self,
            depends_on=telemetry_after,
        )
        if config.managed_prometheus:
            self._scrape_istio()

        self.alert_policy_names = []
        if config.alarms:
            self.alert_policy_names = self._link_policies() + self._request_policies()

        self.dashboard_id = self._dashboard() if config.dashboards else None
        self.register_outputs(
            {
                "collectorAccountEmail": self.collector_account_email,
                "alertPolicyNames": self.alert_policy_names,
                "dashboardId": self.dashboard_id,
            }
        )

    def _collector(self) -> tuple[pulumi.Output[str], k8s.helm.v3.Release]:
        args = self._args
        account = gcp.serviceaccount.Account(
            f"{self._name}-collector",
            account_id=specs.trace_account_id(args.name_prefix),
            display_name=f"{args.name_prefix}: OpenTelemetry collector (Cloud Trace writer)",
            opts=self._child,
        )
        grants = [
            gcp.projects.IAMMember(
                f"{self._name}-collector-trace",
                project=args.project,
                role=specs.CLOUD_TRACE_ROLE,
                member=account.member,
                opts=self._child,
            ),
            gcp.serviceaccount.IAMMember(
                f"{self._name}-collector-workload-identity",
                service_account_id=account.name,
                role="roles/iam.workloadIdentityUser",
                # Read from the cluster: the pool exists only once the cluster does.
                member=args.workload_pool.apply(
                    lambda pool: specs.workload_identity_member(
                        pool, specs.COLLECTOR_NAMESPACE, specs.COLLECTOR_NAME
                    )
                ),
                opts=self._child,
            ),
        ]
        release = install_collector(
            args.cluster,
            name=self._name,
            version=self._args.config.collector_chart_version,
            values=account.email.apply(
                lambda email: specs.collector_values(
                    specs.cloud_trace_exporter(args.project), specs.workload_identity_annotation(email)
                )
            ),
            parent=self,
            depends_on=grants,
        )
        return account.email, release

    def _scrape_istio(self) -> None:
        # The CRDs come with GKE's managed collection; istio-system with the mesh.
        cluster, istiod = self._args.cluster, self._args.istiod
        cluster.custom_object(
            resource_name=f"{self._name}-istiod-metrics",
            api_version=specs.GMP_API,
            kind="PodMonitoring",
            name="istiod",
            namespace="istio-system",
            spec=specs.istiod_pod_monitoring_spec(),
            parent=self,
            depends_on=[istiod],
        )
        cluster.custom_object(
            resource_name=f"{self._name}-proxy-metrics",
            api_version=specs.GMP_API,
            kind="ClusterPodMonitoring",
            name="istio-proxies",
            spec=specs.sidecar_cluster_pod_monitoring_spec(),
            parent=self,
            depends_on=[istiod],
        )

    def _policy(
        self,
        suffix: str,
        display_name: str,
        conditions: Sequence[gcp.monitoring.AlertPolicyConditionArgs],
        runbook: str,
    ) -> pulumi.Output[str]:
        policy = gcp.monitoring.AlertPolicy(
            f"{self._name}-{suffix}",
            project=self._args.project,
            display_name=f"{self._args.name_prefix}: {display_name}",
            combiner="OR",
            conditions=list(conditions),
            notification_channels=list(self._args.config.gcp_notification_channels),
            documentation=gcp.monitoring.AlertPolicyDocumentationArgs(
                content=runbook, mime_type="text/markdown"
            ),
            severity="CRITICAL" if suffix in ("vpn-tunnels", "bgp-sessions") else "ERROR",
            user_labels={"crossmesh-alert": suffix},
            opts=self._child,
        )
        return policy.name

    def _link_policies(self) -> list[pulumi.Output[str]]:
        tunnels = self._args.tunnels
        if not tunnels:
            return []
        names = pulumi.Output.all(*[t.tunnel_name for t in tunnels]).apply(
            lambda values: specs.tunnel_established_filter([str(v) for v in values])
        )
        peers = pulumi.Output.all(*[t.bgp_peer_name for t in tunnels]).apply(
            lambda values: specs.bgp_session_filter([str(v) for v in values])
        )

        def per_series(
            aligner: str, group_by: str
        ) -> list[gcp.monitoring.AlertPolicyConditionConditionThresholdAggregationArgs]:
            return [
                gcp.monitoring.AlertPolicyConditionConditionThresholdAggregationArgs(
                    alignment_period=f"{specs.TUNNEL_PERIOD_SECONDS}s",
                    per_series_aligner=aligner,
                    cross_series_reducer="REDUCE_MIN",
                    group_by_fields=[group_by],
                )
            ]

        window = f"{specs.TUNNEL_PERIOD_SECONDS * specs.TUNNEL_EVALUATION_PERIODS}s"
        tunnel_policy = self._policy(
            "vpn-tunnels",
            "Cloud VPN tunnel to AWS down",
            [
                gcp.monitoring.AlertPolicyConditionArgs(
                    display_name="Tunnel not established",
                    condition_threshold=gcp.monitoring.AlertPolicyConditionConditionThresholdArgs(
                        filter=names,
                        comparison="COMPARISON_LT",
                        threshold_value=1,
                        duration=window,
                        aggregations=per_series("ALIGN_MIN", "metric.label.tunnel_name"),
                    ),
                ),
                # A deleted or wedged tunnel stops reporting instead of reporting 0.
                gcp.monitoring.AlertPolicyConditionArgs(
                    display_name="Tunnel reports nothing",
                    condition_absent=gcp.monitoring.AlertPolicyConditionConditionAbsentArgs(
                        filter=names,
                        duration=window,
                        aggregations=[
                            gcp.monitoring.AlertPolicyConditionConditionAbsentAggregationArgs(
                                alignment_period=f"{specs.TUNNEL_PERIOD_SECONDS}s",
                                per_series_aligner="ALIGN_MIN",
                                cross_series_reducer="REDUCE_MIN",
                                group_by_fields=["metric.label.tunnel_name"],
                            )
                        ],
                    ),
                ),
            ],
            "A Cloud VPN tunnel to AWS is down; ECMP moves its flows to the others. The AWS side's "
            f"TunnelState alarm names the same tunnel. Runbook: {specs.LINK_RUNBOOK}",
        )
        bgp_policy = self._policy(
            "bgp-sessions",
            "Cloud Router BGP session to AWS down",
            [
                gcp.monitoring.AlertPolicyConditionArgs(
                    display_name="BGP session down",
                    condition_threshold=gcp.monitoring.AlertPolicyConditionConditionThresholdArgs(
                        filter=peers,
                        comparison="COMPARISON_LT",
                        threshold_value=1,
                        duration=window,
                        aggregations=per_series(specs.BGP_SESSION_ALIGNER, specs.BGP_SESSION_LABEL),
                    ),
                )
            ],
            "A BGP session to an AWS tunnel end is down, so its routes are withdrawn although the tunnel "
            f"may be up. Runbook: {specs.LINK_RUNBOOK}",
        )
        return [tunnel_policy, bgp_policy]

    def _request_policies(self) -> list[pulumi.Output[str]]:
        args, config = self._args, self._args.config
        if not config.managed_prometheus or not args.remote_runs_istio:
            return []
        local, remote = args.cluster.mesh_cluster_name, args.remote_mesh_cluster

        def promql(query: str, rule: str) -> gcp.monitoring.AlertPolicyConditionArgs:
            return gcp.monitoring.AlertPolicyConditionArgs(
                display_name=rule,
                condition_prometheus_query_language=gcp.monitoring.AlertPolicyConditionConditionPrometheusQueryLanguageArgs(
                    query=query,
                    duration=f"{specs.REQUEST_PERIOD_SECONDS}s",
                    evaluation_interval="60s",
                    alert_rule=rule,
                ),
            )

        errors = self._policy(
            "cross-cloud-errors",
            f"cross-cloud 5xx above {config.cross_cloud_error_percent}%",
            [
                promql(
                    f"{specs.cross_cloud_error_percent_query(local, remote)} "
                    f"> {config.cross_cloud_error_percent}",
                    "CrossCloudErrorRate",
                )
            ],
            f"Calls from {local} to {remote} fail. Response flags UF/URX in the cross-cloud access log "
            "point at the link or the east-west gateway; 5xx without flags at the service.",
        )
        latency = self._policy(
            "cross-cloud-latency",
            f"cross-cloud p99 above {config.cross_cloud_latency_p99_ms} ms",
            [
                promql(
                    f"{specs.cross_cloud_p99_query(local, remote)} > {config.cross_cloud_latency_p99_ms}",
                    "CrossCloudLatencyP99",
                )
            ],
            f"Calls from {local} to {remote} are slow. Compare with the tunnels' throughput on the "
            "dashboard and find slow traces in Cloud Trace.",
        )
        return [errors, latency]

    def _dashboard(self) -> pulumi.Output[str]:
        args = self._args
        tunnels = args.tunnels
        body = pulumi.Output.all(
            pulumi.Output.all(*[t.tunnel_name for t in tunnels]),
            pulumi.Output.all(*[t.bgp_peer_name for t in tunnels]),
        ).apply(
            lambda resolved: specs.gcp_dashboard(
                f"{args.name_prefix}: crossmesh link and cross-cloud calls",
                [str(v) for v in resolved[0]],
                [str(v) for v in resolved[1]],
                args.cluster.mesh_cluster_name,
                args.remote_mesh_cluster,
            )
        )
        dashboard = gcp.monitoring.Dashboard(
            f"{self._name}-dashboard", project=args.project, dashboard_json=body, opts=self._child
        )
        return dashboard.id
