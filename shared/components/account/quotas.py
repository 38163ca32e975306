"""The account's Lambda concurrency quota, requested as code (Service Quotas, quota L-B99A9384).

``aws.servicequotas.ServiceQuota`` submits a quota increase request when the desired value is above the
account's current value, and takes over an existing quota without import (pulumi-aws
servicequotas.ServiceQuota docs: "If the desired value is higher than the current value, a quota
increase request is submitted"; "will assume management of an existing service quota on creation").
The request is asynchronous: `pulumi up` returns once it is submitted, with ``request_status``
PENDING or CASE_OPENED, and AWS applies the value later (minutes to days). Until then Lambda refuses
reservations past the applied quota, so the rollout checks the applied value before compute
(``ops/quota.py``) and this resource lives in the security layer, deployed well before compute.

A quota cannot be lowered by deleting the request, and another env sharing the account still needs
it: ``retain_on_delete`` makes a destroy forget it without calling AWS.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.accounts import AccountBudget
from shared.aws_limits import LAMBDA_CONCURRENCY_QUOTA_CODE, LAMBDA_CONCURRENCY_SERVICE_CODE


@dataclass
class LambdaConcurrencyQuotaArgs:
    budget: AccountBudget
    """The checked budget of the account: its configured quota holds every env's reservations."""


class LambdaConcurrencyQuota(pulumi.ComponentResource):
    request_status: pulumi.Output[str]

    def __init__(
        self, name: str, args: LambdaConcurrencyQuotaArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("serverless-infra:account:LambdaConcurrencyQuota", name, None, opts)
        quota = aws.servicequotas.ServiceQuota(
            f"{name}-lambda-concurrency",
            service_code=LAMBDA_CONCURRENCY_SERVICE_CODE,
            quota_code=LAMBDA_CONCURRENCY_QUOTA_CODE,
            value=float(args.budget.quota),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        self.request_status = quota.request_status
        self.register_outputs({"request_status": self.request_status})
