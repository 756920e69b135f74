"""The cross-cloud plan: no address overlap between the clouds, routes that reach the other side, and
firewalls that let the mesh and path-MTU discovery through the link. No public tool checks these."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource, Severity

from crossmesh_policy.aws import SECURITY_GROUP, SG_EGRESS, SG_INGRESS, SG_RULE, sg_rules
from crossmesh_policy.gcp import FIREWALL
from crossmesh_policy.kit import (
    MANDATORY,
    Config,
    StackView,
    as_int,
    as_list,
    covers,
    get,
    has,
    network,
    overlaps,
    stack_rule,
)

AWS_VPC = "aws:ec2/vpc:Vpc"
AWS_VPC_CIDR = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"
EKS = "aws:eks/cluster:Cluster"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
TGW = "aws:ec2transitgateway/transitGateway:TransitGateway"
SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"
GKE = "gcp:container/cluster:Cluster"
ROUTER = "gcp:compute/router:Router"
ROUTER_PEER = "gcp:compute/routerPeer:RouterPeer"
VPN_TUNNEL = "gcp:compute/vPNTunnel:VPNTunnel"
TRANSPORT = "gcp:networkconnectivity/transport:Transport"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_SERVICE = "kubernetes:core/v1:Service"

# Istio multi-network: east-west gateway mTLS passthrough (istio.io multi-primary multi-network docs).
EAST_WEST_PORT = 15443


def aws_ranges(stack: StackView) -> list[tuple[str, PolicyResource]]:
    ranges = []
    for vpc in stack.of_type(AWS_VPC, AWS_VPC_CIDR):
        if vpc.props.get("cidrBlock"):
            ranges.append((str(vpc.props["cidrBlock"]), vpc))
    for cluster in stack.of_type(EKS):
        cidr = get(cluster.props, "kubernetesNetworkConfig.serviceIpv4Cidr")
        if cidr:
            ranges.append((str(cidr), cluster))
    return ranges


def gcp_ranges(stack: StackView, advertised: bool = True) -> list[tuple[str, PolicyResource]]:
    ranges = []
    for subnet in stack.of_type(SUBNETWORK):
        if subnet.props.get("ipCidrRange"):
            ranges.append((str(subnet.props["ipCidrRange"]), subnet))
        for secondary in as_list(subnet.props.get("secondaryIpRanges")):
            if get(secondary, "ipCidrRange"):
                ranges.append((str(get(secondary, "ipCidrRange")), subnet))
    for cluster in stack.of_type(GKE):
        for path in (
            "privateClusterConfig.masterIpv4CidrBlock",
            "ipAllocationPolicy.clusterIpv4CidrBlock",
            "ipAllocationPolicy.servicesIpv4CidrBlock",
        ):
            cidr = get(cluster.props, path)
            if cidr and network(cidr) is not None:
                ranges.append((str(cidr), cluster))
    if advertised:
        for router in stack.of_type(ROUTER, ROUTER_PEER):
            block = router.props if router.resource_type == ROUTER_PEER else get(router.props, "bgp", {})
            for item in as_list(get(block, "advertisedIpRanges")):
                if get(item, "range"):
                    ranges.append((str(get(item, "range")), router))
    return ranges


@stack_rule(
    id="xc-x-cidr-no-overlap",
    anchors=["crossmesh CIDR plan (no public rule)"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=[AWS_VPC, AWS_VPC_CIDR, EKS, SUBNETWORK, GKE, ROUTER, ROUTER_PEER],
)
def cidr_no_overlap(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """No AWS range (VPC, EKS services) overlaps a GCP range (subnets, pods, services, GKE control plane,
    router advertisements)."""
    aws = aws_ranges(stack)
    for gcp_cidr, gcp_resource in gcp_ranges(stack):
        for aws_cidr, aws_resource in aws:
            if overlaps(gcp_cidr, aws_cidr):
                yield (
                    f"{gcp_cidr} of {gcp_resource.name} overlaps {aws_cidr} of {aws_resource.name}: "
                    "BGP would carry routes that blackhole.",
                    gcp_resource.urn,
                )


def _link_exists(stack: StackView) -> bool:
    return bool(stack.of_type(ROUTER_PEER, VPN_TUNNEL, TRANSPORT))


def cluster_ip_ranges(stack: StackView) -> list[tuple[str, PolicyResource]]:
    """Each GKE cluster's services range: its ClusterIPs are virtual, translated on the cluster's own
    nodes, so nothing outside the cluster reaches them."""
    ranges = []
    subnets = stack.of_type(SUBNETWORK)
    for cluster in stack.of_type(GKE):
        cidr = get(cluster.props, "ipAllocationPolicy.servicesIpv4CidrBlock")
        if cidr and network(cidr) is not None:
            ranges.append((str(cidr), cluster))
        range_name = get(cluster.props, "ipAllocationPolicy.servicesSecondaryRangeName")
        for subnet in subnets:
            for secondary in as_list(subnet.props.get("secondaryIpRanges")):
                if range_name and get(secondary, "rangeName") == range_name and get(secondary, "ipCidrRange"):
                    ranges.append((str(get(secondary, "ipCidrRange")), cluster))
    return ranges


def _within_cluster_ips(cidr: str, cluster_ips: list[tuple[str, PolicyResource]]) -> PolicyResource | None:
    return next((owner for services, owner in cluster_ips if covers(services, cidr)), None)


@stack_rule(
    id="xc-x-routes-advertised",
    anchors=["Google HA VPN to AWS guide", "AWS Transit Gateway route propagation"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[ROUTER, ROUTER_PEER, SUBNETWORK, GKE, ROUTE_TABLE, ROUTE],
)
def routes_advertised(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """Cloud Router advertises every GCP subnet range and the GKE control plane, and every private AWS
    route table routes them to the Transit Gateway; neither advertises nor routes a GKE services
    (ClusterIP) range, which nothing outside the cluster reaches."""
    if not _link_exists(stack):
        return
    cluster_ips = cluster_ip_ranges(stack)
    subnet_ranges = [
        (cidr, res)
        for cidr, res in gcp_ranges(stack, advertised=False)
        if res.resource_type == SUBNETWORK and _within_cluster_ips(cidr, cluster_ips) is None
    ]
    masters = [
        (str(get(c.props, "privateClusterConfig.masterIpv4CidrBlock")), c)
        for c in stack.of_type(GKE)
        if get(c.props, "privateClusterConfig.masterIpv4CidrBlock")
    ]
    peers = stack.of_type(ROUTER_PEER)
    for router in stack.of_type(ROUTER):
        my_peers = [p for p in peers if stack.refers_to(p, "router", router)]
        if peers and not my_peers:
            continue
        for source in my_peers or [router]:
            block = (
                source.props
                if source.resource_type == ROUTER_PEER and source.props.get("advertiseMode")
                else get(router.props, "bgp", {})
            )
            if get(block, "advertiseMode", "DEFAULT") != "CUSTOM":
                all_subnets = True
                custom: list[str] = []
            else:
                all_subnets = "ALL_SUBNETS" in as_list(get(block, "advertisedGroups"))
                custom = [str(get(item, "range")) for item in as_list(get(block, "advertisedIpRanges"))]
            needed = [] if all_subnets else subnet_ranges
            for cidr, owner in [*needed, *masters]:
                if not any(covers(adv, cidr) for adv in custom):
                    yield f"{source.name} does not advertise {cidr} ({owner.name}) to AWS.", source.urn
            for cidr in custom:
                cluster = _within_cluster_ips(cidr, cluster_ips)
                if cluster is not None:
                    yield (
                        f"{source.name} advertises {cidr}, the services (ClusterIP) range of {cluster.name}: "
                        "nothing outside the cluster reaches it.",
                        source.urn,
                    )
    yield from _aws_routes(stack, [cidr for cidr, _ in subnet_ranges + masters], cluster_ips)


def _aws_routes(
    stack: StackView, gcp_cidrs: list[str], cluster_ips: list[tuple[str, PolicyResource]]
) -> Iterator[tuple[str, str | None]]:
    if not stack.of_type(TGW):
        return
    routes = stack.of_type(ROUTE)
    for table in stack.of_type(ROUTE_TABLE):
        mine = [r for r in routes if stack.refers_to(r, "routeTableId", table)]
        if not any(has(r.props, "natGatewayId") for r in mine):
            continue  # public and isolated tables do not carry node traffic
        to_tgw = [str(r.props.get("destinationCidrBlock")) for r in mine if has(r.props, "transitGatewayId")]
        for cidr in gcp_cidrs:
            if not any(covers(dest, cidr) for dest in to_tgw):
                yield (
                    f"private route table {table.name} has no route to {cidr} via the Transit Gateway.",
                    table.urn,
                )
        for dest in to_tgw:
            cluster = _within_cluster_ips(dest, cluster_ips)
            if cluster is not None:
                yield (
                    f"private route table {table.name} routes {dest}, the services (ClusterIP) range of "
                    f"{cluster.name}, to the Transit Gateway: nothing outside the cluster reaches it.",
                    table.urn,
                )


def _fw_allows(rule: PolicyResource, protocol: str, port: int | None, sources: list[str]) -> bool:
    props = rule.props
    if props.get("disabled") is True or props.get("direction", "INGRESS") != "INGRESS":
        return False
    if not any(overlaps(src, cidr) for src in as_list(props.get("sourceRanges")) for cidr in sources):
        return False
    for allow in as_list(props.get("allows")):
        allowed = str(get(allow, "protocol", "")).lower()
        if allowed == "all":
            return True
        if allowed != protocol:
            continue
        ports = as_list(get(allow, "ports"))
        if port is None or not ports:
            return True
        for item in ports:
            low, _, high = str(item).partition("-")
            first, last = as_int(low), as_int(high or low)
            if first is not None and last is not None and first <= port <= last:
                return True
    return False


def _sg_allows(stack: StackView, protocol: str, port: int | None, sources: list[str]) -> bool:
    for resource in stack.of_type(SECURITY_GROUP, SG_RULE, SG_INGRESS, SG_EGRESS):
        for rule in sg_rules(resource.resource_type, resource.props):
            if rule.direction != "ingress" or not any(overlaps(c, s) for c in rule.cidrs for s in sources):
                continue
            if rule.protocol in ("-1", "all"):
                return True
            if protocol == "icmp" and rule.protocol in ("icmp", "1"):
                return True
            if port is not None and rule.allows_port(port):
                return True
    return False


def _mesh_present(stack: StackView) -> bool:
    if stack.of_type("kubernetes:*istio.io*"):
        return True
    return any(
        str(r.props.get("chart", "")).endswith(("istiod", "gateway"))
        for r in stack.of_type("kubernetes:helm.sh/v3:Release")
    )


# How a LoadBalancer Service asks each cloud for its load balancer (the AWS cloud provider and GKE).
LB_ANNOTATION_PREFIXES = {"aws": "service.beta.kubernetes.io/aws-load-balancer-", "gcp": "networking.gke.io/"}


def load_balancer_services(stack: StackView) -> Iterator[tuple[str, list[str], PolicyResource]]:
    """(cloud, loadBalancerSourceRanges, resource) of every LoadBalancer Service of the stack, written as
    a Service or as a Helm chart's `service` values (the Istio gateway chart's)."""
    for resource in stack.of_type(HELM_RELEASE, K8S_SERVICE):
        if resource.resource_type == HELM_RELEASE:
            service = get(resource.props, "values.service", {})
            annotations = get(service, "annotations", {})
        else:
            service = get(resource.props, "spec", {})
            annotations = get(resource.props, "metadata.annotations", {})
        if get(service, "type") != "LoadBalancer":
            continue
        for cloud, annotation in LB_ANNOTATION_PREFIXES.items():
            if any(str(key).startswith(annotation) for key in annotations or {}):
                ranges = [str(cidr) for cidr in as_list(get(service, "loadBalancerSourceRanges"))]
                yield cloud, ranges, resource


def _load_balancer_admits(stack: StackView, cloud: str, sources: list[str]) -> bool:
    return any(
        lb_cloud == cloud and any(overlaps(cidr, source) for cidr in ranges for source in sources)
        for lb_cloud, ranges, _ in load_balancer_services(stack)
    )


@stack_rule(
    id="xc-x-firewall-peer-mesh-ports",
    anchors=["Istio multi-primary multi-network ports"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[FIREWALL, SECURITY_GROUP, SG_RULE, SG_INGRESS, HELM_RELEASE, K8S_SERVICE],
)
def firewall_peer_mesh_ports(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """With a mesh over the link, each cloud admits the other: on the east-west gateway port through a
    firewall or security group rule, or through an internal load balancer whose source ranges name the
    other cloud's ranges."""
    if not (_link_exists(stack) and _mesh_present(stack)):
        return
    aws = [cidr for cidr, _ in aws_ranges(stack)]
    gcp = [cidr for cidr, _ in gcp_ranges(stack, advertised=False)]
    gcp_open = any(_fw_allows(rule, "tcp", EAST_WEST_PORT, aws) for rule in stack.of_type(FIREWALL))
    if not (gcp_open or _load_balancer_admits(stack, "gcp", aws)):
        yield (
            f"neither a GCP firewall rule (tcp/{EAST_WEST_PORT}, Istio east-west) nor a GKE internal load "
            "balancer admits the AWS VPC.",
            None,
        )
    if not (_sg_allows(stack, "tcp", EAST_WEST_PORT, gcp) or _load_balancer_admits(stack, "aws", gcp)):
        yield (
            f"neither an AWS security group rule (tcp/{EAST_WEST_PORT}, Istio east-west) nor an AWS load "
            "balancer admits the GCP ranges.",
            None,
        )


@stack_rule(
    id="xc-x-icmp-pmtu",
    anchors=["Cloud VPN MTU guidance", "AWS Site-to-Site VPN MTU guidance"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[FIREWALL, SECURITY_GROUP, SG_RULE, SG_INGRESS],
)
def icmp_pmtu(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """Both clouds admit ICMP from the other so path-MTU discovery works over the tunnels."""
    if not _link_exists(stack):
        return
    aws = [cidr for cidr, _ in aws_ranges(stack)]
    gcp = [cidr for cidr, _ in gcp_ranges(stack, advertised=False)]
    if not any(_fw_allows(rule, "icmp", None, aws) for rule in stack.of_type(FIREWALL)):
        yield "no GCP firewall rule admits ICMP from AWS: path-MTU discovery over the tunnels breaks.", None
    if not _sg_allows(stack, "icmp", None, gcp):
        yield (
            "no AWS security group rule admits ICMP from GCP: path-MTU discovery over the tunnels breaks.",
            None,
        )


KMS_KEYS = ("aws:kms/key:Key", "gcp:kms/cryptoKey:CryptoKey", "gcp:kms/keyRing:KeyRing")
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ALERT_POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"


def _protected_stack(stack: StackView) -> bool:
    """A stack that protects anything (crossmesh:protect) is one whose loss would hurt: production."""
    return any(resource.opts.protect for resource in stack.resources)


@stack_rule(
    id="xc-x-kms-protected",
    anchors=["CKV_GCP_82", "Pulumi protect (Terraform prevent_destroy)"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=KMS_KEYS,
)
def kms_protected(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """In a stack that protects resources, every KMS key and key ring is protected too: deleting a key
    makes everything it encrypted unreadable (Pulumi's protect is Terraform's prevent_destroy)."""
    if not _protected_stack(stack):
        return
    for key in stack.of_type(*KMS_KEYS):
        if not key.opts.protect:
            yield (
                f"{key.resource_type.split(':')[-1]} {key.name} is not protected in a protected stack.",
                key.urn,
            )


@stack_rule(
    id="xc-x-alarms-notify",
    anchors=["CloudWatch alarm actions", "Cloud Monitoring notification channels"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[METRIC_ALARM, ALERT_POLICY],
)
def alarms_notify(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """In a stack that protects resources, every CloudWatch alarm has alarm actions and every Cloud
    Monitoring alert policy has notification channels: an alarm that notifies nobody is not an alarm."""
    if not _protected_stack(stack):
        return
    for alarm in stack.of_type(METRIC_ALARM):
        if not as_list(alarm.props.get("alarmActions")):
            yield f"CloudWatch alarm {alarm.name} has no alarmActions: it notifies nobody.", alarm.urn
    for policy in stack.of_type(ALERT_POLICY):
        if not as_list(policy.props.get("notificationChannels")):
            yield f"alert policy {policy.name} has no notificationChannels: it notifies nobody.", policy.urn
