"""The database settings the app reads: SecureString parameters under the security layer's prefix.

Keys are fixed (``app/contract.py``: ``host``, ``port``, ``name``, ``username`` (the app role),
``reader_host``, ``replica_max_lag_seconds``): the app's config loader reads them by path. No password:
the functions sign in with IAM tokens, and the master password lives only in its break-glass secret.
Every value is encrypted with the database key, so reading them needs ``kms:Decrypt`` on that key through SSM.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from app.contract import DATABASE_KEYS
from shared.config import Environment
from shared.parameters import parameter_name, parameter_prefix

PARAMETER_KEYS = DATABASE_KEYS


def checked_prefix(prefix: str, env: Environment) -> str:
    """The security layer's database prefix, refused unless it is this env's ``/myapp/{env}/database/``."""
    expected = parameter_prefix(env, "database")
    if prefix != expected:
        raise ValueError(
            f"security publishes parameter_prefixes['database'] = {prefix!r}; the data layer "
            f"writes only under {expected!r} (shared/parameters.py)"
        )
    return prefix


def write_parameters(
    parent: pulumi.Resource,
    env: Environment,
    name: str,
    prefix: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str],
    values: Mapping[str, pulumi.Input[str]],
) -> dict[str, aws.ssm.Parameter]:
    """One SecureString per key under ``prefix``; ``values`` must hold exactly `PARAMETER_KEYS`."""
    if set(values) != set(PARAMETER_KEYS):
        raise ValueError(f"database parameters must be exactly {PARAMETER_KEYS}, got {sorted(values)}")
    keys = [parameter_name(env, "database", key).key for key in PARAMETER_KEYS]  # checks the key charset
    checked = pulumi.Output.from_input(prefix).apply(lambda p: checked_prefix(p, env))
    return {
        key: aws.ssm.Parameter(
            f"{name}-parameter-{key.replace('_', '-')}",
            name=pulumi.Output.concat(checked, key),
            type="SecureString",
            tier="Standard",
            key_id=kms_key_arn,
            value=values[key],
            description=f"Database {key} the app connects with (written by the data layer)",
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for key in keys
    }
