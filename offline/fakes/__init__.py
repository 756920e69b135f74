"""Fake provider outputs by area; importing this package registers all of them."""

from offline.fakes import aws_base, clusters, gcp_base, kubernetes, pki
from offline.fakes import link as link
from offline.fakes import observability as observability

__all__ = ["aws_base", "clusters", "gcp_base", "kubernetes", "pki"]
