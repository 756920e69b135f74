"""The one definition of critical resources, and the docs that list it."""

from __future__ import annotations

import re

from components.protection_specs import CRITICAL, critical_reason
from tests.support.plans import PROJECT_DIR
from tests.support.types import EKS_CLUSTER, K8S_NAMESPACE, TLS_LOCALLY_SIGNED_CERT, TLS_PRIVATE_KEY

DOCS = PROJECT_DIR / "docs" / "diff.md"


def test_a_ca_certificate_is_critical_and_a_workload_certificate_is_not() -> None:
    assert critical_reason(TLS_LOCALLY_SIGNED_CERT, {"isCaCertificate": True})
    assert critical_reason(TLS_LOCALLY_SIGNED_CERT, {"isCaCertificate": False}) is None
    assert critical_reason(TLS_LOCALLY_SIGNED_CERT, {}) is None


def test_every_resource_of_a_critical_type_without_condition_is_critical() -> None:
    assert critical_reason(EKS_CLUSTER, {}) == CRITICAL[EKS_CLUSTER].reason
    assert critical_reason(K8S_NAMESPACE, {"metadata": {"name": "shop"}})
    assert critical_reason(TLS_PRIVATE_KEY, {}) is None


def test_the_docs_list_exactly_the_critical_types() -> None:
    text = DOCS.read_text()
    listed = text[text.index("<!-- critical types") : text.index("<!-- end of critical types -->")]
    assert set(re.findall(r"`([\w.-]+:[\w./-]+:\w+)`", listed)) == set(CRITICAL)
