"""Day-2 edits of the clusters, planned against the plan before them as `crossmesh plan --against` does:
each changes exactly what its case says, the way its case says (tests/support/day2_clusters.py)."""

from __future__ import annotations

import pytest

from offline.diff import diff_plans, plan_snapshot
from offline.urns import make_urn
from tests.support.day2_clusters import ADMINS, CLUSTER_CASES, WITH_ADMINS, Day2Case, verdicts_of
from tests.support.plans import planned, planned_against
from tests.support.types import EKS_ACCESS_ENTRY, EKS_ACCESS_POLICY_ASSOCIATION, EKS_NODE_GROUP, GKE_NODE_POOL


@pytest.mark.parametrize("case", CLUSTER_CASES, ids=[case.id for case in CLUSTER_CASES])
def test_a_day2_edit_of_the_clusters_changes_what_its_case_says_and_nothing_else(case: Day2Case) -> None:
    before = planned(case.stack, case.before).to_contract()
    after = planned_against(case.stack, case.edit, case.before).to_contract()
    result = diff_plans(plan_snapshot(before), plan_snapshot(after))
    assert verdicts_of(result) == dict(case.expected)


def test_an_admin_entry_takes_over_the_entry_its_position_named_in_earlier_versions() -> None:
    # Entries were named eks-admin-<position>; a stack that takes this version with its list unchanged
    # keeps every entry (the alias), rather than deleting each and creating it again under the role's
    # name, which EKS refuses while the old entry of that role exists.
    plan = planned("dev", WITH_ADMINS)
    for type_token in (EKS_ACCESS_ENTRY, EKS_ACCESS_POLICY_ASSOCIATION):
        by_role = {resource.inputs["principalArn"]: resource for resource in plan.of_type(type_token)}
        assert sorted(by_role) == sorted(ADMINS)
        for position, role_arn in enumerate(ADMINS):
            resource = by_role[role_arn]
            assert resource.name == f"eks-admin-111122223333-{role_arn.rsplit('/', 1)[-1]}"
            former = make_urn("dev", "crossmesh", resource.parent, type_token, f"eks-admin-{position}")
            assert resource.options["aliases"] == [former]


def test_desired_sizes_start_new_groups_and_change_nothing_deployed() -> None:
    (case,) = [case for case in CLUSTER_CASES if case.id == "node-bounds-and-desired"]
    plan = planned_against(case.stack, case.edit, case.before)
    # The plan carries the new sizes, but ignoreChanges keeps them from deployed groups: the diff of the
    # case lists neither the EKS group nor the pool's initial count.
    assert plan.one(EKS_NODE_GROUP).inputs["scalingConfig"]["desiredSize"] == 5
    assert plan.one(GKE_NODE_POOL).inputs["initialNodeCount"] == 2
    assert plan.one(GKE_NODE_POOL).inputs["autoscaling"]["minNodeCount"] == 1
