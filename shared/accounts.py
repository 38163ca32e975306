"""The account model: which envs share an AWS account, and whether that account's Lambda quota holds them.

Each env names its account in ``config/<env>.yaml`` (``account.id``, ``account.lambdaConcurrencyQuota``).
Lambda's concurrency quota and its 100-unreserved floor are per account and Region, not per env: envs
that share an account share one budget, and the env deployed last is the one AWS refuses
(PutFunctionConcurrency: "decreases account's UnreservedConcurrentExecution below its minimum value of
[100]", docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). So every env's
reservations are read from its compute stack file and checked together, at synth time, before
anything is deployed. Pure: reads files, creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.aws_limits import LAMBDA_UNRESERVED_MINIMUM
from shared.components.compute.settings import ComputeSettings
from shared.config import REPO_ROOT, ConfigError, Environment, SharedSettings, load_shared_settings, validate_settings
from shared.env_policy import env_policy, most_production_like

COMPUTE_NAMESPACE = "serverless-infra-compute:"


@dataclass(frozen=True)
class EnvUsage:
    """What one env takes from its account's Lambda concurrency."""

    env: Environment
    account_id: str
    quota: int
    reserved: dict[str, int]
    provisioned_max: int

    @property
    def reserved_total(self) -> int:
        return sum(self.reserved.values())


@dataclass(frozen=True)
class AccountBudget:
    """One account's Lambda concurrency: its quota, the envs in it and what they reserve together."""

    account_id: str
    quota: int
    envs: tuple[EnvUsage, ...]

    @property
    def reserved_total(self) -> int:
        return sum(u.reserved_total for u in self.envs)

    @property
    def needed(self) -> int:
        """The smallest quota that holds every reservation plus Lambda's unreserved floor."""
        return self.reserved_total + LAMBDA_UNRESERVED_MINIMUM

    @property
    def owner(self) -> Environment:
        """The env whose stack requests the account's quota (one owner: two stacks, one quota)."""
        return most_production_like(u.env for u in self.envs)


def compute_stack_values(env: Environment, root: Path = REPO_ROOT) -> tuple[dict[str, Any], str]:
    """The ``serverless-infra-compute:*`` keys of ``projects/compute/Pulumi.<env>.yaml`` and its path."""
    path = root / "projects" / "compute" / f"Pulumi.{env.value}.yaml"
    source = str(path.relative_to(root))
    if not path.exists():
        raise ConfigError(f"{source}: missing; every env has a compute stack file")
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    values = {k.removeprefix(COMPUTE_NAMESPACE): v for k, v in config.items() if k.startswith(COMPUTE_NAMESPACE)}
    return values, source


def env_usage(env: Environment, shared: SharedSettings, compute: ComputeSettings) -> EnvUsage:
    pc = compute.provisioned_concurrency
    return EnvUsage(
        env=env,
        account_id=shared.the_account.id,
        quota=shared.the_account.lambda_concurrency_quota,
        reserved={fn: f.reserved_concurrency for fn, f in compute.functions.items()},
        provisioned_max=pc.max_capacity if pc else 0,
    )


def load_usages(root: Path = REPO_ROOT, current: tuple[Environment, ComputeSettings] | None = None) -> list[EnvUsage]:
    """Every env's usage from its files; ``current`` (the env being deployed and the settings its program
    actually validated, overrides included) replaces what its file says."""
    usages = []
    for env in Environment:
        if current is not None and current[0] is env:
            compute = current[1]
        else:
            values, source = compute_stack_values(env, root)
            compute = validate_settings(ComputeSettings, values, source)
        usages.append(env_usage(env, load_shared_settings(env, root), compute))
    return usages


def check_budgets(usages: list[EnvUsage]) -> dict[str, AccountBudget]:
    """Group envs by account and refuse any account whose quota cannot hold them; return the budgets."""
    by_account: dict[str, list[EnvUsage]] = {}
    for usage in usages:
        by_account.setdefault(usage.account_id, []).append(usage)
    budgets = {}
    for account_id, envs in by_account.items():
        quotas = {u.env.value: u.quota for u in envs}
        if len(set(quotas.values())) > 1:
            raise ConfigError(
                f"account {account_id} is shared by {', '.join(quotas)}, whose config/<env>.yaml disagree on "
                f"account.lambdaConcurrencyQuota ({quotas}): an account has one quota, set the same value in each"
            )
        budget = AccountBudget(account_id, envs[0].quota, tuple(envs))
        if budget.needed > budget.quota:
            shares = ", ".join(f"{u.env.value} {u.reserved_total} ({_spell(u.reserved)})" for u in envs)
            raise ConfigError(
                f"account {account_id}: Lambda concurrency quota {budget.quota} cannot hold the reservations of "
                f"{', '.join(u.env.value for u in envs)}: {shares} = {budget.reserved_total}, plus the "
                f"{LAMBDA_UNRESERVED_MINIMUM} Lambda keeps unreserved = {budget.needed}. Raise "
                "account.lambdaConcurrencyQuota (the quota is requested as code), lower reservedConcurrency in "
                "projects/compute/Pulumi.<env>.yaml, or give each env its own account (AWS's recommendation)"
            )
        budgets[account_id] = budget
    for usage in usages:
        _check_env(usage)
    return budgets


def _check_env(usage: EnvUsage) -> None:
    api, minimum = usage.reserved.get("api", 0), env_policy(usage.env).min_api_reserved_concurrency
    if api < minimum:
        raise ConfigError(
            f"projects/compute/Pulumi.{usage.env.value}.yaml: key 'functions.api.reservedConcurrency' = {api}: "
            f"{usage.env.value} must run at least {minimum} concurrent api executions, and the reservation is "
            "the ceiling"
        )


def _spell(reserved: dict[str, int]) -> str:
    return " + ".join(f"{fn} {n}" for fn, n in reserved.items())


def account_budget(
    env: Environment, root: Path = REPO_ROOT, compute: ComputeSettings | None = None
) -> AccountBudget:
    """The checked budget of ``env``'s account (every env's files read and checked together); pass the
    ``compute`` settings the running program validated to check those rather than the file's."""
    usages = load_usages(root, (env, compute) if compute is not None else None)
    account_id = next(u.account_id for u in usages if u.env is env)
    return check_budgets(usages)[account_id]
