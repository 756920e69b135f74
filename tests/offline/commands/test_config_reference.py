"""docs/configuration.md is generated from StackConfig and must match it."""

from __future__ import annotations

from components.config import StackConfig
from offline.commands.config_reference import REFERENCE_PATH, render_reference
from tests.support.plans import PROJECT_DIR as ROOT


def test_configuration_reference_is_current() -> None:
    committed = (ROOT / REFERENCE_PATH).read_text()
    assert committed == render_reference(ROOT), (
        "docs/configuration.md is stale: run `.venv/bin/crossmesh config-docs` and commit the result"
    )


def test_reference_documents_every_top_level_key_and_leaf() -> None:
    reference = render_reference(ROOT)
    for name, field in StackConfig.model_fields.items():
        assert f"## `crossmesh:{field.alias or name}`" in reference
    for leaf in ("aws.vpcCidr", "link.tunnelBandwidth", "services[].callers", "mesh.ca.earlyRenewalDays"):
        assert f"| `{leaf}` |" in reference


def test_section_defaults_override_model_defaults() -> None:
    reference = render_reference(ROOT)
    assert "| `clusters.gke.nodes.max` | integer | `3` |" in reference
    assert "| `clusters.eks.nodes.max` | integer | `6` |" in reference


def test_durations_are_shown_as_users_write_them() -> None:
    reference = render_reference(ROOT)
    assert "| `trafficPolicy.timeout` | duration (`250ms`, `15s`, `5m`, `1h`) | `15s` |" in reference


def test_keys_of_an_optional_section_are_required_only_within_it() -> None:
    reference = render_reference(ROOT)
    assert "| `link.interconnect.awsAccountId` | string | required in `link.interconnect` |" in reference
