"""Fake provider outputs by area; importing this package registers all of them."""

from offline.fakes import appmesh, aws_base, clusters, dns, gcp_base, kubernetes, link, observability, pki

__all__ = ["appmesh", "aws_base", "clusters", "dns", "gcp_base", "kubernetes", "link", "observability", "pki"]
