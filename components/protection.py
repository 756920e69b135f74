"""Protection from the one definition of critical resources (components/protection_specs.py).

A resource transformation on the root component reaches every resource of the stack as it is
declared: critical ones are protected when the stack protects and retained on delete where their
deletion loses data, whichever component declares them. What a component sets itself is kept.
"""

from __future__ import annotations

import pulumi

from components.protection_specs import protection


def keep_critical(stack_protects: bool) -> pulumi.ResourceTransformation:
    """The transformation that protects and retains the critical resources of a stack."""

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        wanted = protection(args.type_, args.props, stack_protects)
        if not (wanted.protect or wanted.retain_on_delete):
            return None
        opts = pulumi.ResourceOptions.merge(
            args.opts,
            pulumi.ResourceOptions(
                protect=bool(args.opts.protect) or wanted.protect,
                retain_on_delete=bool(args.opts.retain_on_delete) or wanted.retain_on_delete,
            ),
        )
        return pulumi.ResourceTransformationResult(args.props, opts)

    return transform
