"""The crossmesh CrossGuard pack: `pulumi preview --policy-pack policies`.

Pulumi runs this file with policies/ as the working directory, so `crossmesh_policy` imports from
here; change a rule's level with pack config (`--policy-pack-config`, e.g.
{"xc-eks-public-endpoint-disabled": "mandatory"}).
"""

from pathlib import Path

from crossmesh_policy import PACK_NAME, POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    policies=list(POLICIES),
    enforcement_level=EnforcementLevel.ADVISORY,
    readme=(Path(__file__).parent / "README.md").read_text(),
)
