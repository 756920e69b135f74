"""scripts/sdk_stubs.py: the SDK stub packages import exactly what the code uses, and with them mypy
still checks provider argument names (a planted misspelling fails), as it does with the whole SDK."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts import sdk_stubs
from tests.support.plans import PROJECT_DIR

# mypy's cache for the planted modules, kept between runs (.mypy_cache is ignored by git) and apart from
# the project's own, which these stubs would otherwise invalidate.
PLANTED_CACHE = PROJECT_DIR / ".mypy_cache" / "planted-sdk-stubs"
SNIPPET = """
import pulumi_aws as aws
import pulumi_gcp.compute
from pulumi_kubernetes.core.v1 import Namespace
from pulumi_kubernetes import apiextensions

network = pulumi_gcp.compute.Network("n")
identity: aws.eks.outputs.ClusterIdentity | None = None
resource = apiextensions.CustomResource
path = aws.__file__
"""


def test_the_names_the_code_reaches_through_imports_and_attribute_chains() -> None:
    assert sdk_stubs.used_sdk_paths(SNIPPET) == {
        "pulumi_aws",
        "pulumi_gcp.compute",
        "pulumi_gcp.compute.Network",
        "pulumi_kubernetes.core.v1.Namespace",
        "pulumi_kubernetes.apiextensions",
        "pulumi_kubernetes.apiextensions.CustomResource",
        "pulumi_aws.eks.outputs.ClusterIdentity",
        "pulumi_aws.__file__",
    }


def test_each_stub_imports_only_the_subpackages_and_modules_used() -> None:
    packages = sdk_stubs.plan_stubs(sdk_stubs.used_sdk_paths(SNIPPET))
    assert sorted(packages) == [
        "pulumi_aws",
        "pulumi_aws.eks",
        "pulumi_gcp",
        "pulumi_gcp.compute",
        "pulumi_kubernetes",
        "pulumi_kubernetes.apiextensions",
        "pulumi_kubernetes.core",
        "pulumi_kubernetes.core.v1",
    ]
    assert sdk_stubs.stub_text(packages["pulumi_aws"]).splitlines()[1:] == ["", "from . import eks as eks"]
    assert sdk_stubs.stub_text(packages["pulumi_aws.eks"]).splitlines()[2:] == [
        "from . import outputs as outputs"
    ]
    # pulumi_kubernetes names modules after their class: the class is meant, through a star import.
    assert "from .CustomResource import *" in sdk_stubs.stub_text(packages["pulumi_kubernetes.apiextensions"])
    assert "from .network import *" in sdk_stubs.stub_text(packages["pulumi_gcp.compute"])


def test_stubs_no_longer_needed_are_removed(tmp_path: Path) -> None:
    first = sdk_stubs.plan_stubs({"pulumi_aws.kms.Key", "pulumi_aws.iam.Role"})
    sdk_stubs.write_stubs(first, tmp_path)
    assert (tmp_path / "pulumi_aws" / "iam" / "__init__.pyi").is_file()
    changed = sdk_stubs.write_stubs(sdk_stubs.plan_stubs({"pulumi_aws.kms.Key"}), tmp_path)
    assert not (tmp_path / "pulumi_aws" / "iam" / "__init__.pyi").exists()
    assert sorted(path.name for path in changed) == ["__init__.pyi", "__init__.pyi"]
    assert sdk_stubs.write_stubs(sdk_stubs.plan_stubs({"pulumi_aws.kms.Key"}), tmp_path) == []


def test_with_the_stubs_mypy_still_catches_a_misspelt_provider_argument(tmp_path: Path) -> None:
    """kms.Key's real module is checked through the stub: `enable_key_rotaton` is no argument of it."""
    (tmp_path / "right.py").write_text(
        "import pulumi_aws as aws\n\n"
        'key = aws.kms.Key("k", enable_key_rotation=True, deletion_window_in_days=30)\n'
    )
    (tmp_path / "misspelt.py").write_text(
        'import pulumi_aws as aws\n\nkey = aws.kms.Key("k", enable_key_rotaton=True)\n'
        'alias = aws.kms.Alias("a", target_key_id=key.key_id, name=7)\n'
    )
    stubs = tmp_path / "stubs"
    assert (
        sdk_stubs.main(["--output", str(stubs), str(tmp_path / "right.py"), str(tmp_path / "misspelt.py")])
        == 0
    )
    (tmp_path / "mypy.ini").write_text(f"[mypy]\nstrict = True\nmypy_path = {stubs}\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(tmp_path / "mypy.ini"),
            "--cache-dir",
            str(PLANTED_CACHE),
            "right.py",
            "misspelt.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert done.returncode == 1, done.stdout + done.stderr
    assert all(line.startswith("misspelt.py:") for line in errors), errors
    assert any(":3:" in line and "enable_key_rotaton" in line for line in errors), errors
    assert any(":4:" in line and '"Alias"' in line and '"int"' in line for line in errors), errors


def test_stubs_made_from_the_same_code_are_not_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = tmp_path / "program.py"
    code.write_text("import pulumi_aws as aws\n\nkey = aws.kms.Key('k')\n")
    output = tmp_path / "stubs"
    arguments = ["--output", str(output), str(code)]
    assert sdk_stubs.main(arguments) == 0
    made = sdk_stubs.plan_stubs

    def not_again(paths: set[str]) -> dict[str, sdk_stubs.Package]:
        raise AssertionError(f"stubs made again for {sorted(paths)}")

    monkeypatch.setattr(sdk_stubs, "plan_stubs", not_again)
    assert sdk_stubs.main(arguments) == 0

    # The code changes, or a stub goes missing: the stubs are made again.
    monkeypatch.setattr(sdk_stubs, "plan_stubs", made)
    code.write_text(code.read_text() + "role = aws.iam.Role('r', assume_role_policy='{}')\n")
    assert sdk_stubs.main(arguments) == 0
    assert (output / "pulumi_aws" / "iam" / "__init__.pyi").is_file()
    (output / "pulumi_aws" / "iam" / "__init__.pyi").unlink()
    assert sdk_stubs.main(arguments) == 0
    assert (output / "pulumi_aws" / "iam" / "__init__.pyi").is_file()
