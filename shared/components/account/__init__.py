"""Account-level resources: one per account, owned by one env's stack (shared/accounts.py picks it)."""

from shared.components.account.quotas import LambdaConcurrencyQuota

__all__ = ["LambdaConcurrencyQuota"]
