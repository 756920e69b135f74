"""EKS and GKE: the clusters, their node groups, identities, add-ons and keys."""

from __future__ import annotations

import base64
import ipaddress
from typing import Any

from offline.fake_cloud import (
    FAKE_AWS_ACCOUNT,
    FAKE_GCP_PROJECT_NUMBER,
    GCP_PUBLIC_POOL,
    FakeResource,
    fake_pem_certificate,
    invoke_result,
    outputs_for,
)

# Per add-on, the shape of the version strings EKS publishes; the fake picks a build for the
# requested Kubernetes minor version.
_ADDON_VERSIONS = {
    "vpc-cni": "v1.20.{minor}-eksbuild.1",
    "kube-proxy": "v1.{minor}.0-eksbuild.2",
    "coredns": "v1.12.{minor}-eksbuild.1",
    "aws-ebs-csi-driver": "v1.45.{minor}-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.{minor}-eksbuild.1",
    "amazon-cloudwatch-observability": "v4.4.{minor}-eksbuild.1",
}


def _ca_data(seed: str) -> str:
    return base64.b64encode(fake_pem_certificate(seed).encode()).decode()


# --- EKS ---------------------------------------------------------------------------------------------


@outputs_for("aws:eks/cluster:Cluster")
def eks_cluster(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    region = resource.aws_region
    oidc_id = resource.hex(32, "oidc").upper()
    vpc_config = dict(resource.inputs.get("vpcConfig") or {})
    vpc_config["clusterSecurityGroupId"] = f"sg-{resource.hex(17, 'cluster-sg')}"
    vpc_config["vpcId"] = f"vpc-{resource.hex(17, 'vpc')}"
    if not vpc_config.get("endpointPublicAccess"):
        vpc_config["publicAccessCidrs"] = []
    return name, {
        "name": name,
        "arn": resource.aws_arn("eks", f"cluster/{name}"),
        "endpoint": f"https://{resource.hex(32).upper()}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": _ca_data(resource.seed)},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{oidc_id}"}]}],
        "vpcConfig": vpc_config,
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "clusterId": resource.hex(36, "cluster-id"),
    }


@outputs_for("aws:eks/nodeGroup:NodeGroup")
def eks_node_group(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    cluster = resource.inputs.get("clusterName")
    name = str(resource.inputs.get("nodeGroupName") or f"{resource.name}-{resource.hex(7)}")
    return f"{cluster}:{name}", {
        "nodeGroupName": name,
        "arn": resource.aws_arn("eks", f"nodegroup/{cluster}/{name}/{resource.hex(8)}"),
        "status": "ACTIVE",
        "resources": [{"autoscalingGroups": [{"name": f"eks-{name}-{resource.hex(8, 'asg')}"}]}],
    }


@outputs_for("aws:eks/addon:Addon")
def eks_addon(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    cluster, addon = resource.inputs.get("clusterName"), resource.inputs.get("addonName")
    return f"{cluster}:{addon}", {
        "arn": resource.aws_arn("eks", f"addon/{cluster}/{addon}/{resource.hex(8)}")
    }


@outputs_for("aws:eks/accessEntry:AccessEntry")
def eks_access_entry(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    cluster, principal = resource.inputs.get("clusterName"), resource.inputs.get("principalArn")
    return f"{cluster}:{principal}", {
        "accessEntryArn": resource.aws_arn("eks", f"access-entry/{cluster}/role/{resource.hex(8)}")
    }


@outputs_for("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
def eks_access_policy(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    inputs = resource.inputs
    return f"{inputs.get('clusterName')}#{inputs.get('principalArn')}#{inputs.get('policyArn')}", {}


@outputs_for("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
def oidc_provider(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    host = str(resource.inputs.get("url", "")).removeprefix("https://")
    arn = f"arn:aws:iam::{FAKE_AWS_ACCOUNT}:oidc-provider/{host}"
    return arn, {"arn": arn}


@outputs_for("aws:kms/alias:Alias")
def kms_alias(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name"))
    return name, {"arn": resource.aws_arn("kms", name)}


@invoke_result("aws:eks/getAddonVersion:getAddonVersion")
def addon_version(args: dict[str, Any], provider: dict[str, Any]) -> dict[str, Any]:
    addon = str(args.get("addonName"))
    kubernetes_version = str(args.get("kubernetesVersion"))
    if addon not in _ADDON_VERSIONS:
        raise ValueError(f"the fake EKS has no add-on named {addon!r}")
    minor = kubernetes_version.split(".")[1]
    return {
        "id": addon,
        "addonName": addon,
        "kubernetesVersion": kubernetes_version,
        "mostRecent": args.get("mostRecent"),
        "version": _ADDON_VERSIONS[addon].format(minor=minor),
    }


# --- GKE ---------------------------------------------------------------------------------------------


@outputs_for("gcp:container/cluster:Cluster")
def gke_cluster(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    project = resource.gcp_project
    location = str(resource.inputs.get("location") or resource.gcp_region)
    private = dict(resource.inputs.get("privateClusterConfig") or {})
    master = ipaddress.IPv4Network(str(private.get("masterIpv4CidrBlock", "172.16.0.0/28")))
    private_ip = str(master.network_address + 2)
    public_ip = resource.cloud.public_ip(GCP_PUBLIC_POOL, resource.seed)
    private.update(
        {
            "privateEndpoint": private_ip,
            "publicEndpoint": public_ip,
            "peeringName": f"gke-n{resource.hex(14, 'peering')}-{resource.hex(4, 'peer')}-peer",
        }
    )
    master_auth = dict(resource.inputs.get("masterAuth") or {})
    master_auth["clusterCaCertificate"] = _ca_data(resource.seed)
    resource_id = f"projects/{project}/locations/{location}/clusters/{name}"
    endpoints = dict(resource.inputs.get("controlPlaneEndpointsConfig") or {})
    dns = dict(endpoints.get("dnsEndpointConfig") or {})
    # A name of its own for each cluster GKE creates.
    dns["endpoint"] = f"gke-{resource.hex(32, 'dns')}-{FAKE_GCP_PROJECT_NUMBER}.{location}.gke.goog"
    endpoints["dnsEndpointConfig"] = dns
    return resource_id, {
        "controlPlaneEndpointsConfig": endpoints,
        "name": name,
        "location": location,
        "endpoint": private_ip if private.get("enablePrivateEndpoint") else public_ip,
        "masterAuth": master_auth,
        "privateClusterConfig": private,
        "selfLink": f"https://container.googleapis.com/v1/{resource_id}",
        "masterVersion": "1.33.5-gke.1000000",
        "servicesIpv4Cidr": "",
        "labelFingerprint": resource.hex(8, "labels"),
    }


@outputs_for("gcp:container/nodePool:NodePool")
def gke_node_pool(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    location = str(resource.inputs.get("location") or resource.gcp_region)
    cluster = resource.inputs.get("cluster")
    return f"{resource.gcp_project}/{location}/{cluster}/{name}", {
        "name": name,
        "version": "1.33.5-gke.1000000",
        "instanceGroupUrls": [
            f"https://www.googleapis.com/compute/v1/projects/{resource.gcp_project}/zones/{location}-{zone}/"
            f"instanceGroupManagers/gke-{name}-{resource.hex(8, zone)}-grp"
            for zone in "abc"
        ],
    }


@outputs_for("gcp:serviceaccount/account:Account")
def service_account(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    account_id = str(resource.inputs.get("accountId"))
    project = resource.gcp_project
    email = f"{account_id}@{project}.iam.gserviceaccount.com"
    return f"projects/{project}/serviceAccounts/{email}", {
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": f"projects/{project}/serviceAccounts/{email}",
        "uniqueId": str(int(resource.hex(15), 16) % 10**21),
    }


@outputs_for("gcp:kms/keyRing:KeyRing")
def key_ring(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    location = str(resource.inputs.get("location"))
    return f"projects/{resource.gcp_project}/locations/{location}/keyRings/{name}", {"name": name}


@outputs_for("gcp:kms/cryptoKey:CryptoKey")
def crypto_key(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name"))
    return f"{resource.inputs.get('keyRing')}/cryptoKeys/{name}", {"name": name}


@outputs_for(
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    "gcp:projects/iAMMember:IAMMember",
)
def iam_member(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    inputs = resource.inputs
    target = inputs.get("cryptoKeyId") or inputs.get("project")
    return f"{target}/{inputs.get('role')}/{inputs.get('member')}", {"etag": f"BwY{resource.hex(10)}="}
