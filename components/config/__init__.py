"""StackConfig: the typed, validated shape of one crossmesh stack.

`load_config` validates the raw `crossmesh:*` keys as a whole and raises `ConfigError` listing every
problem, one line each, naming the key path (`crossmesh:gcp.podsCidr`), the value and what is allowed.
The package in its parts:

- `schema`: the value types and one model per section of the stack file, with their descriptions;
- `rules`: the checks that span fields, one function per section;
- `messages`: how a problem is worded, with "did you mean" for a misspelt key or name;
- `cloud_rules`: the values the clouds refuse or retire (Kubernetes versions, the stack name), judged
  against `platform`, the recorded data in components/data/;
- `keys`: the namespaces of every key, and keys Pulumi reads other than meant;
- `load`: reading the keys from the Pulumi runtime, validating them, `ConfigError`.

Only `load` imports `pulumi`. The names below are the package's interface: import them from here.
"""

from components.config.load import (
    ConfigError,
    config_warnings,
    load_config,
    load_stack_config,
    read_all_config,
    read_stack_config,
    secret_keys,
)
from components.config.messages import innermost_model
from components.config.rules import (
    CLOUD_DNS_SOURCE,
    MAX_TRUSTED_ROOTS,
    cross_field_problems,
    named_ranges,
    overlapping_pairs,
)
from components.config.schema import (
    DEFAULT_RETRY_EVENTS,
    MAX_TUNNEL_GROUPS,
    NAMESPACE,
    PRIVATE_ASN_RANGES,
    AwsConfig,
    CaConfig,
    Cidr,
    ClustersConfig,
    ConnectionPoolSpec,
    CostConfig,
    DnsLabel,
    DurationMs,
    EksConfig,
    EnginesConfig,
    GcpConfig,
    GkeConfig,
    IamRoleArn,
    InstanceType,
    InterconnectConfig,
    LinkConfig,
    MeshConfig,
    NodeScaling,
    NotificationChannel,
    ObservabilityConfig,
    OutlierDetectionSpec,
    Percent,
    PrivateAsn,
    RetryEvent,
    RetrySpec,
    ServiceConfig,
    StackConfig,
    TrafficPolicySpec,
    check_dns_label,
    check_iam_role_arn,
    check_instance_type,
    check_private_asn,
    parse_cidr,
    parse_duration_ms,
)

__all__ = [
    "CLOUD_DNS_SOURCE",
    "DEFAULT_RETRY_EVENTS",
    "MAX_TRUSTED_ROOTS",
    "MAX_TUNNEL_GROUPS",
    "NAMESPACE",
    "PRIVATE_ASN_RANGES",
    "AwsConfig",
    "CaConfig",
    "Cidr",
    "ClustersConfig",
    "ConfigError",
    "ConnectionPoolSpec",
    "CostConfig",
    "DnsLabel",
    "DurationMs",
    "EksConfig",
    "EnginesConfig",
    "GcpConfig",
    "GkeConfig",
    "IamRoleArn",
    "InstanceType",
    "InterconnectConfig",
    "LinkConfig",
    "MeshConfig",
    "NodeScaling",
    "NotificationChannel",
    "ObservabilityConfig",
    "OutlierDetectionSpec",
    "Percent",
    "PrivateAsn",
    "RetryEvent",
    "RetrySpec",
    "ServiceConfig",
    "StackConfig",
    "TrafficPolicySpec",
    "check_dns_label",
    "check_iam_role_arn",
    "check_instance_type",
    "check_private_asn",
    "config_warnings",
    "cross_field_problems",
    "innermost_model",
    "load_config",
    "load_stack_config",
    "named_ranges",
    "overlapping_pairs",
    "parse_cidr",
    "parse_duration_ms",
    "read_all_config",
    "read_stack_config",
    "secret_keys",
]
