"""The six tags every taggable resource carries, and how to read a resource's effective tags.

Tags are applied once, through the AWS provider's ``default_tags`` (see `shared.providers`): a
resource cannot forget them, and a resource's own ``tags`` only add to them.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.config import APPLICATION_TAG, StackContext

REQUIRED_TAG_KEYS = ("Environment", "CostCenter", "Owner", "Application", "Backup", "Compliance")


def standard_tags(ctx: StackContext) -> dict[str, str]:
    """The required tags for one stack, plus ``Layer`` so a bill can be split by layer."""
    tags = {
        "Environment": ctx.env.value,
        "CostCenter": ctx.shared.cost_center,
        "Owner": ctx.shared.owner,
        "Application": APPLICATION_TAG,
        "Backup": ctx.shared.backup,
        "Compliance": ctx.shared.compliance,
        "Layer": ctx.layer,
    }
    missing = [k for k in REQUIRED_TAG_KEYS if not tags.get(k)]
    if missing:  # the settings model already refuses empty values; this guards the list itself
        raise ValueError(f"required tags without a value: {missing}")
    return tags


def effective_tags(default_tags: Mapping[str, str] | None, resource_tags: Mapping[str, str] | None) -> dict[str, str]:
    """What AWS stores on a resource: the provider's default tags overlaid with the resource's own."""
    return {**(default_tags or {}), **(resource_tags or {})}
