"""The one AWS provider every resource of a layer uses: region pinned, default tags, account guard."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from shared.config import REGION, StackContext
from shared.tags import standard_tags


def aws_provider(ctx: StackContext) -> aws.Provider:
    """An explicit provider, so no resource can fall back to an untagged or mis-regioned default one.

    Pass it to a layer's top component as ``ResourceOptions(providers=[provider])``: children
    created with ``parent=self`` inherit it.
    """
    return aws.Provider(
        "aws",
        region=REGION,
        default_tags=aws.ProviderDefaultTagsArgs(tags=standard_tags(ctx)),
        allowed_account_ids=ctx.shared.allowed_account_ids or None,
    )


def caller_account_id(provider: aws.Provider) -> pulumi.Output[str]:
    """The account ``provider`` deploys to: key policies, trust conditions and ARNs need it."""
    return aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
