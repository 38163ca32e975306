"""Account-level singletons across envs: the AWS Config recorder and the billing alarm.

One AWS account can hold several envs (config/<env>.yaml ``account.id``, see `shared.accounts`). A
Config recorder is one per account and region, and EstimatedCharges is the account's: two envs of one
account must not both create a recorder, and at most one should own the billing alarm. This reads every
env's files, so the error comes at synth/preview time, naming both envs, instead of from AWS mid-deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from shared.config import REPO_ROOT, ConfigError, Environment, load_shared_settings

PROJECT = "serverless-infra-observability"


def _layer_values(env: Environment) -> dict[str, Any]:
    path = REPO_ROOT / "projects" / "observability" / f"Pulumi.{env.value}.yaml"
    raw = (yaml.safe_load(path.read_text()) or {}).get("config", {}) or {}
    return {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith(f"{PROJECT}:")}


def singletons(values: Mapping[str, Any]) -> dict[str, bool]:
    """Which account-level singletons an env's observability settings create."""
    return {
        "an AWS Config recorder (awsConfig.recorder: create)":
            (values.get("awsConfig") or {}).get("recorder") == "create",
        "the billing alarm (billingAlarm.enabled: true)": bool((values.get("billingAlarm") or {}).get("enabled")),
    }


def check_account_singletons(
    accounts: Mapping[Environment, list[str]], settings: Mapping[Environment, Mapping[str, Any]]
) -> None:
    """Refuse two envs sharing an account that would both create the same account-level singleton."""
    envs = list(accounts)
    for i, first in enumerate(envs):
        for second in envs[i + 1:]:
            shared = sorted(set(accounts[first]) & set(accounts[second]))
            if not shared:
                continue
            mine, theirs = singletons(settings[first]), singletons(settings[second])
            both = [what for what in mine if mine[what] and theirs[what]]
            if both:
                raise ConfigError(
                    f"envs {first.value} and {second.value} share account {', '.join(shared)} and both create "
                    f"{' and '.join(both)}: there is one per account. Keep it in one env and set the other's "
                    f"projects/observability/Pulumi.{second.value}.yaml to awsConfig.recorder: existing / "
                    "billingAlarm.enabled: false")


def check_repo_account_singletons() -> None:
    """`check_account_singletons` over the repo's config/<env>.yaml and observability stack files."""
    accounts = {env: [load_shared_settings(env).the_account.id] for env in Environment}
    check_account_singletons(accounts, {env: _layer_values(env) for env in Environment})
