"""Day-2 rules: what a change between two plans of a stack must not do, each refusal naming the safe
procedure.

`crossmesh diff` says what `pulumi up` would do; these rules say which of those changes take traffic
or data down in a way a stack file edit should never do in one step, however the edit was made:

- link-group-replaced: a tunnel group's VPN connections, customer or VPN gateways replaced in place
  (a bandwidth or ASN change): the group's tunnels go down together, every group at once when the
  setting is shared, and fixed GCP names collide half-way under create-before-delete;
- link-removed: every tunnel group deleted at once;
- root-replaced: a root CA replaced in one step (a new key algorithm, mesh ID or lifetime);
- signing-root-untrusted: the intermediates signed by a root the old plan did not trust yet (the
  rotation's trust step skipped);
- signing-root-deleted: the root that signed the intermediates deleted (the rotation's signing step
  skipped);
- trust-domain-changed: every workload's SPIFFE identity changed in one step, with no alias window;
- appmesh-identity-changed: the trust domain or meshId changed on a stack that runs App Mesh;
- istio-minor-in-place: an istiod moved to another minor version where it stands, rather than a new
  revision installed beside it;
- kubernetes-minor-skipped: the EKS cluster's Kubernetes moved back, or forward by more than one
  minor, which EKS refuses once `pulumi up` has begun (GKE's minMasterVersion is only a floor under a
  release channel that upgrades the cluster by itself: the provider never moves a control plane back
  for it, and the channel may already run the next minor, so it is not judged);
- critical-replaced / critical-deleted: any other critical resource (components/protection_specs.py)
  replaced or deleted, unless a routine change replaces it (a node group rolled onto a new one, an
  intermediate renewed) or a procedure removes it (a zone's subnets while others stay).

A delete that protect blocks or retainOnDelete keeps is not refused: `pulumi up` stops on it, or it
stays in the cloud. `crossmesh check --against OLD.json` reports refusals as mandatory violations;
`crossmesh diff` and `plan --against` print them first. Nothing here imports Pulumi.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.protection_specs import critical_of
from offline import paths
from offline.diff import DELETE, REPLACE, DiffResult, PlanSnapshot, Snapshot, Verdict

ROTATE_CA = "docs/runbooks/rotate-ca.md"
UPGRADE_ISTIO = "docs/runbooks/upgrade-istio.md"
UPGRADE_KUBERNETES = "docs/runbooks/upgrade-kubernetes.md"
CHANGE_LINK = "docs/runbooks/change-tunnel-bandwidth.md"
DAY2 = "docs/day2.md"

VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
SUBNET_TYPE = "aws:ec2/subnet:Subnet"
LINK_GROUP_TYPES = frozenset(
    {
        VPN_CONNECTION,
        "aws:ec2/customerGateway:CustomerGateway",
        "gcp:compute/haVpnGateway:HaVpnGateway",
        "gcp:compute/externalVpnGateway:ExternalVpnGateway",
    }
)
ROOT_TYPE = "tls:index/selfSignedCert:SelfSignedCert"
INTERMEDIATE_TYPE = "pulumi-python:dynamic/pki:IssuedCertificate"
ISSUER_PATH = "issuerCertPem"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
TRUST_DOMAIN_PATH = "values.meshConfig.trustDomain"
TRUST_DOMAIN_ALIASES_PATH = "values.meshConfig.trustDomainAliases"
APPMESH_TYPE_PREFIX = "kubernetes:appmesh.k8s.aws/"
APPMESH_MESH = "kubernetes:appmesh.k8s.aws/v1beta2:Mesh"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
MESH_IDENTITY = "docs/mesh.md#changing-the-meshs-identity"


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    procedure: str


RULES: Mapping[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "link-group-replaced",
            "A tunnel group's VPN connections and gateways are never replaced in place: a new group comes "
            "up beside it and the old one is removed after.",
            CHANGE_LINK,
        ),
        Rule("link-removed", "At least one tunnel group stays while others are removed.", CHANGE_LINK),
        Rule(
            "root-replaced",
            "A root CA is never replaced in one step: a new root is added, made the signer, and the old "
            "one dropped, in three `pulumi up`s.",
            ROTATE_CA,
        ),
        Rule(
            "signing-root-untrusted",
            "The intermediates are signed only by a root the mesh already trusted before this change.",
            ROTATE_CA,
        ),
        Rule(
            "signing-root-deleted",
            "The root that signed the intermediates is deleted only after another root signs them.",
            ROTATE_CA,
        ),
        Rule(
            "trust-domain-changed",
            "The trust domain changes only with the old one listed as an alias, so that identities of "
            "either count until every workload restarted.",
            MESH_IDENTITY,
        ),
        Rule(
            "appmesh-identity-changed",
            "A stack running App Mesh keeps its trust domain and meshId: App Mesh has no window for either.",
            "docs/runbooks/move-off-app-mesh.md",
        ),
        Rule(
            "istio-minor-in-place",
            "An istiod changes minor version only as a new revision beside the old one: namespaces, then "
            "gateways, move to it before the old revision goes.",
            UPGRADE_ISTIO,
        ),
        Rule(
            "kubernetes-minor-skipped",
            "The EKS cluster's Kubernetes moves one minor up at a time, never back: EKS refuses any "
            "other step.",
            UPGRADE_KUBERNETES,
        ),
        Rule(
            "critical-replaced",
            "No other critical resource is replaced: none has an in-place procedure.",
            DAY2,
        ),
        Rule(
            "critical-deleted",
            "No other critical resource is deleted by a stack file edit.",
            DAY2,
        ),
    )
}


@dataclass(frozen=True)
class Refusal:
    rule: str
    message: str
    resources: tuple[str, ...]

    @property
    def procedure(self) -> str:
        return RULES[self.rule].procedure

    def line(self) -> str:
        return f"refused ({self.rule}): {self.message}; see {self.procedure}"


@dataclass
class _Judgement:
    old: PlanSnapshot
    new: PlanSnapshot
    result: DiffResult
    claimed: set[str] = field(default_factory=set)
    refusals: list[Refusal] = field(default_factory=list)

    def of(self, kinds: Iterable[str], types: Iterable[str]) -> list[Verdict]:
        wanted_kinds, wanted_types = set(kinds), set(types)
        return [v for v in self.result.verdicts if v.kind in wanted_kinds and v.type in wanted_types]

    def refuse(self, rule: str, message: str, verdicts: Sequence[Verdict]) -> None:
        self.refusals.append(Refusal(rule, message, tuple(v.name for v in verdicts)))

    def claim(self, verdicts: Iterable[Verdict]) -> None:
        self.claimed.update(v.urn for v in verdicts)


def _names(verdicts: Sequence[Verdict], shown: int = 4) -> str:
    names = [v.name for v in verdicts]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _link_groups(judgement: _Judgement) -> None:
    replaced = judgement.of([REPLACE], LINK_GROUP_TYPES)
    judgement.claim(replaced)
    if replaced:
        forcing = next((v for v in replaced if not v.cascade), replaced[0])
        cause = forcing.causes[0].path if forcing.causes else "a change"
        judgement.refuse(
            "link-group-replaced",
            f"{len(replaced)} of the link's VPN connections and gateways would be replaced in place "
            f"({_names(replaced)}; "
            f"{cause} forces {forcing.name}): their tunnels go down together. Add a group with the new "
            "settings beside the old ones (link.groups), then remove the old groups",
            replaced,
        )
    deleted = judgement.of([DELETE], LINK_GROUP_TYPES)
    judgement.claim(deleted)
    remaining = [r for r in judgement.new.resources if r.type == VPN_CONNECTION]
    if deleted and not remaining:
        judgement.refuse(
            "link-removed",
            f"every tunnel group would be deleted ({_names(deleted)}): nothing would carry the link",
            deleted,
        )


def _zones(judgement: _Judgement) -> None:
    """A zone's subnets go with the zone (docs/runbooks/change-zone-count.md) while the VPC keeps
    others: the node group has rolled onto the remaining ones first. Every subnet at once is not a
    zone leaving."""
    deleted = judgement.of([DELETE], [SUBNET_TYPE])
    remaining = [r for r in judgement.new.resources if r.type == SUBNET_TYPE]
    if remaining:
        judgement.claim(deleted)


def _signer(plan: PlanSnapshot) -> set[str]:
    """The URNs of the roots the plan's intermediate CAs are signed by."""
    return {
        urn
        for resource in plan.resources
        if resource.type == INTERMEDIATE_TYPE and critical_of(resource.type, resource.inputs)
        for urn in resource.reads.get(ISSUER_PATH, ())
    }


def _roots(plan: PlanSnapshot) -> set[str]:
    return {r.urn for r in plan.resources if r.type == ROOT_TYPE and critical_of(r.type, r.inputs)}


def _pki(judgement: _Judgement) -> None:
    replaced_roots = [v for v in judgement.of([REPLACE], [ROOT_TYPE]) if v.critical]
    judgement.claim(replaced_roots)
    if replaced_roots:
        forcing = replaced_roots[0]
        cause = forcing.causes[0].path if forcing.causes else "a change"
        judgement.refuse(
            "root-replaced",
            f"the root CA {forcing.name} would be replaced ({cause}): workloads holding certificates of "
            "the old root and of the new one cannot verify each other until every one restarts. "
            "Rotate through mesh.ca.roots and mesh.ca.signingRoot instead",
            replaced_roots,
        )
    old_roots, new_signers = _roots(judgement.old), _signer(judgement.new)
    intermediates = [v for v in judgement.of([REPLACE], [INTERMEDIATE_TYPE]) if v.critical]
    judgement.claim(intermediates)
    untrusted = sorted(new_signers - old_roots)
    if untrusted and old_roots and not replaced_roots:
        judgement.refuse(
            "signing-root-untrusted",
            f"the intermediates would be signed by {_urn_names(judgement.new, untrusted)}, which the "
            "workloads do not trust yet: a `pulumi up` with both roots trusted and the old one "
            "signing comes first (step 1)",
            intermediates,
        )
    deleted_roots = [v for v in judgement.of([DELETE], [ROOT_TYPE]) if v.critical]
    judgement.claim(deleted_roots)
    old_signers = _signer(judgement.old)
    dropped_signer = [v for v in deleted_roots if v.urn in old_signers]
    if dropped_signer:
        judgement.refuse(
            "signing-root-deleted",
            f"{_names(dropped_signer)} signed the intermediates until this change and would be deleted: "
            "certificates it signed stop verifying. Make the other root the signer first (step 2), "
            "restart the workloads, then drop it (step 3)",
            dropped_signer,
        )


def _urn_names(plan: PlanSnapshot, urns: Iterable[str]) -> str:
    return ", ".join(plan.by_urn[urn].name if urn in plan.by_urn else urn for urn in urns)


def _trust_domain(judgement: _Judgement) -> None:
    changed = []
    for verdict, old, new in _changed(judgement, HELM_RELEASE):
        before, after = _at(old, TRUST_DOMAIN_PATH), _at(new, TRUST_DOMAIN_PATH)
        aliases = _at(new, TRUST_DOMAIN_ALIASES_PATH) or []
        if _set_and_changed(before, after) and before not in aliases:
            changed.append((verdict, before, after))
    if changed:
        verdict, before, after = changed[0]
        judgement.refuse(
            "trust-domain-changed",
            f"the trust domain would change from {before!r} to {after!r} with no alias for {before!r}: "
            "each workload's identity and each policy's principals change together, and a workload not "
            f"yet restarted is denied by the new policies. List {before!r} in mesh.trustDomainAliases "
            "for the change, and remove it once every workload restarted",
            [v for v, _, _ in changed],
        )


def _appmesh_identity(judgement: _Judgement) -> None:
    """App Mesh checks exact identities and names its mesh after meshId: no window for either."""
    if not any(resource.type.startswith(APPMESH_TYPE_PREFIX) for resource in judgement.new.resources):
        return
    renamed = judgement.of([REPLACE], [APPMESH_MESH])
    moved = [
        verdict
        for verdict, old, new in _changed(judgement, HELM_RELEASE)
        if _set_and_changed(_at(old, TRUST_DOMAIN_PATH), _at(new, TRUST_DOMAIN_PATH))
    ]
    if renamed or moved:
        judgement.refuse(
            "appmesh-identity-changed",
            "App Mesh's virtual nodes accept callers by their exact SPIFFE identities and its mesh and "
            "Cloud Map namespace are named after meshId: a new trust domain or meshId breaks every App "
            "Mesh call until all its workloads restart. Move the stack off App Mesh first",
            [*renamed, *moved],
        )


def _set_and_changed(before: Any, after: Any) -> bool:
    return before is not None and after is not None and before != after


def _changed(judgement: _Judgement, type_: str) -> Iterator[tuple[Verdict, Snapshot, Snapshot]]:
    """Each resource of a type that the change updates or replaces, with its old and new snapshot."""
    for verdict in judgement.of(["update", REPLACE], [type_]):
        old = judgement.old.by_urn.get(verdict.renamed_from or verdict.urn)
        new = judgement.new.by_urn.get(verdict.urn)
        if old is not None and new is not None:
            yield verdict, old, new


def _minor(version: Any) -> tuple[str, ...]:
    return tuple(str(version).split(".")[:2])


def _istio_minor(judgement: _Judgement) -> None:
    moved = []
    for verdict, old, new in _changed(judgement, HELM_RELEASE):
        if new.inputs.get("chart") != "istiod":
            continue
        before, after = old.inputs.get("version"), new.inputs.get("version")
        if _minor(before) != _minor(after):
            moved.append((verdict, before, after))
    if moved:
        verdict, before, after = moved[0]
        judgement.refuse(
            "istio-minor-in-place",
            f"{verdict.name} would move from Istio {before} to {after} in place: every sidecar and gateway "
            "meets the new control plane at once, with no way back but another in-place change. Install "
            f"{after} as a second revision in mesh.istio.revisions instead",
            [v for v, _, _ in moved],
        )


def _at(resource: Snapshot, path: str) -> Any:
    present, value = paths.get(resource.inputs, path)
    return value if present else None


def _kubernetes_minor(version: Any) -> tuple[int, int] | None:
    """(major, minor) of an EKS version (`1.34`)."""
    parts = str(version).split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def _kubernetes_versions(judgement: _Judgement) -> None:
    key = "clusters.eks.version"
    for verdict, old, new in _changed(judgement, EKS_CLUSTER):
        before, after = old.inputs.get("version"), new.inputs.get("version")
        start, end = _kubernetes_minor(before), _kubernetes_minor(after)
        if start is None or end is None or end == start:
            continue
        if end < start:
            why = f"a control plane never moves back a minor: keep {key} at {before}"
        elif end[0] != start[0] or end[1] - start[1] > 1:
            why = (
                f"a control plane moves one minor at a time: set {key} to {start[0]}.{start[1] + 1}, "
                "and the next minor in a later `pulumi up`"
            )
        else:
            continue
        judgement.refuse(
            "kubernetes-minor-skipped",
            f"{verdict.name} would go from Kubernetes {before} to {after}, which EKS refuses once "
            f"`pulumi up` has begun; {why}",
            [verdict],
        )


def _critical(judgement: _Judgement) -> None:
    for verdict in judgement.result.verdicts:
        if verdict.urn in judgement.claimed or not verdict.critical:
            continue
        plan = judgement.old if verdict.kind == DELETE else judgement.new
        resource = plan.by_urn.get(verdict.urn)
        definition = critical_of(verdict.type, resource.inputs) if resource is not None else None
        if definition is not None and definition.replaced_routinely:
            # A node group rolls onto a new one under a new name, an intermediate renews: routine.
            continue
        if verdict.kind == REPLACE:
            cause = verdict.causes[0].path if verdict.causes else "a change"
            judgement.refuse(
                "critical-replaced",
                f"{verdict.name} ({verdict.type}) would be replaced ({cause}): {verdict.critical}",
                [verdict],
            )
        elif verdict.kind == DELETE:
            judgement.refuse(
                "critical-deleted",
                f"{verdict.name} ({verdict.type}) would be deleted: {verdict.critical}",
                [verdict],
            )


CHECKS: Sequence[Callable[[_Judgement], None]] = (
    _link_groups,
    _zones,
    _pki,
    _trust_domain,
    _appmesh_identity,
    _istio_minor,
    _kubernetes_versions,
    _critical,
)


def refusals(old: PlanSnapshot, new: PlanSnapshot, result: DiffResult) -> list[Refusal]:
    """What the day-2 rules refuse in going from `old` to `new` (whose diff is `result`)."""
    judgement = _Judgement(old, new, result)
    for check in CHECKS:
        check(judgement)
    return judgement.refusals
