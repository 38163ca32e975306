"""Is the account's Lambda concurrency quota applied? The rollout asks before it deploys compute.

The quota is requested as code by the security layer (shared/components/account/quotas.py); AWS applies
it asynchronously. Until the *applied* value holds every reservation of the envs in the account plus
the 100 unreserved, Lambda refuses the reservations (PutFunctionConcurrency), so compute would fail
halfway. This check fails first, with the request's status. Runnable alone:
``python -m ops.quota --env prod``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from shared.accounts import AccountBudget, account_budget
from shared.aws_limits import LAMBDA_CONCURRENCY_QUOTA_CODE, LAMBDA_CONCURRENCY_SERVICE_CODE
from shared.config import REGION, Environment

OPEN_REQUEST = ("PENDING", "CASE_OPENED")


class QuotaNotApplied(RuntimeError):
    """The account's applied Lambda concurrency cannot hold the configured reservations yet."""


def check_applied_quota(budget: AccountBudget, client: Any) -> str:
    """Return a one-line OK, or raise `QuotaNotApplied` naming applied, needed and any open request."""
    quota = client.get_service_quota(
        ServiceCode=LAMBDA_CONCURRENCY_SERVICE_CODE, QuotaCode=LAMBDA_CONCURRENCY_QUOTA_CODE
    )["Quota"]
    applied = int(quota["Value"])
    envs = ", ".join(u.env.value for u in budget.envs)
    if applied >= budget.needed:
        return f"account {budget.account_id}: Lambda concurrency {applied} applied, {budget.needed} needed ({envs})"
    history = client.list_requested_service_quota_change_history_by_quota(
        ServiceCode=LAMBDA_CONCURRENCY_SERVICE_CODE, QuotaCode=LAMBDA_CONCURRENCY_QUOTA_CODE
    ).get("RequestedQuotas", [])
    open_requests = [r for r in history if r.get("Status") in OPEN_REQUEST]
    if open_requests:
        r = open_requests[0]
        state = f"request {r.get('Id')} for {int(r.get('DesiredValue', 0))} is {r.get('Status')}: wait for AWS to apply it"
    else:
        state = (f"no open request: deploy the security layer of {budget.owner.value} (it requests "
                 f"{budget.quota}), or request it in the Service Quotas console")
    raise QuotaNotApplied(
        f"account {budget.account_id}: Lambda concurrency quota applied is {applied}, but {envs} reserve "
        f"{budget.reserved_total} + 100 unreserved = {budget.needed}; {state}, then deploy compute again"
    )


def main(argv: list[str] | None = None, client: Any = None) -> int:
    parser = argparse.ArgumentParser(description="Check the account's applied Lambda concurrency quota.")
    parser.add_argument("--env", required=True)
    args = parser.parse_args(argv)
    try:
        env = Environment.parse(args.env, source="--env")
        if client is None:
            import boto3

            client = boto3.client("service-quotas", region_name=REGION)
        print(check_applied_quota(account_budget(env), client))
    except Exception as error:  # noqa: BLE001 - config, credentials or the quota: one clear line
        print(f"quota: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
