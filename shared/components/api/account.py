"""Which stack owns API Gateway's account-and-region CloudWatch role setting.

The setting (``aws_api_gateway_account``) is one per account and Region: two stacks managing it would
overwrite each other's role, and destroying either would strand the other's logging. Envs that name the
same ``account.id`` in ``config/<env>.yaml`` share it; the most production-like of them owns it (the
same rank the account model uses for the Lambda quota request, shared/accounts.py). With one account
per env (AWS's recommendation) every env owns its own. Pure: reads config files, creates nothing.
"""

from __future__ import annotations

from pathlib import Path

from shared.config import REPO_ROOT, Environment, load_shared_settings
from shared.env_policy import most_production_like


def account_settings_owner(env: Environment, root: Path = REPO_ROOT) -> Environment:
    """The env whose api stack manages the API Gateway account setting of ``env``'s account."""
    mine = load_shared_settings(env, root).account
    if mine is None:
        return env  # no account named: nothing to share with (the config model requires one outside dev)
    sharing = {
        other
        for other in Environment
        if (settings := load_shared_settings(other, root).account) is not None and settings.id == mine.id
    }
    return most_production_like(sharing)
