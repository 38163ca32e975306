"""Security layer: KMS keys per category, the SSM parameter hierarchy, the shared config-read policy.

Also the account's Lambda concurrency quota request, in the env that owns it (shared/accounts.py):
the security layer deploys before data and compute, so the asynchronous request starts early.
Reads nothing upstream; publishes the security contract (shared/contracts.py).
"""

import pulumi

from shared.accounts import account_budget
from shared.components.account.quotas import LambdaConcurrencyQuota, LambdaConcurrencyQuotaArgs
from shared.components.security import Security, SecurityArgs, SecuritySettings
from shared.config import current_stack_context
from shared.providers import aws_provider, caller_account_id
from shared.stacks import publish

ctx = current_stack_context("security")
settings = ctx.layer_settings(SecuritySettings)
provider = aws_provider(ctx)
account_id = caller_account_id(provider)

security = Security(
    "security",
    SecurityArgs(env=ctx.env, settings=settings, account_id=account_id),
    opts=pulumi.ResourceOptions(providers=[provider]),
)
budget = account_budget(ctx.env)  # every env of the account checked together; refuses what cannot fit
if budget.owner is ctx.env:
    LambdaConcurrencyQuota(
        "account-quota",
        LambdaConcurrencyQuotaArgs(budget=budget),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )

publish(ctx, {
    "kms_key_arns": security.key_arns,
    "parameter_prefixes": security.parameter_prefixes,
    "config_read_policy_arn": security.config_read_policy_arn,
})
