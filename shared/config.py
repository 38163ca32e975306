"""Typed, validated configuration: environments, the region, shared settings and per-layer settings.

Every value is checked once, here, and a bad one fails with an error that names the key, the value
and the file to fix. Two sources, one rule each:

* ``config/<env>.yaml`` (repo root): what every layer of an environment shares: tag values, the
  Pulumi organization used in stack references, the AWS accounts the env may touch.
* ``projects/<layer>/Pulumi.<env>.yaml``: ``aws:region`` and the layer's own keys, in the
  ``serverless-infra-<layer>:`` namespace, read through ``pulumi.Config``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from shared.aws_limits import LAMBDA_DEFAULT_CONCURRENCY_QUOTA, LAMBDA_UNRESERVED_MINIMUM

REPO_ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
APPLICATION_TAG = "serverless-infra"


class ConfigError(ValueError):
    """A configuration value we refuse, with the key, the value and the file that holds it."""


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"

    @classmethod
    def parse(cls, value: str, source: str = "stack name") -> Environment:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(e.value for e in cls)
            raise ConfigError(
                f"{source}: environment {value!r} is not one of {allowed}; "
                "each project has exactly the stacks dev, staging and prod"
            ) from None


def check_region(value: str | None, source: str) -> str:
    """The stack is pinned to us-east-1: refuse anything else, including an unset region."""
    if value != REGION:
        raise ConfigError(
            f"{source}: key 'aws:region' = {value!r}: this stack deploys only to {REGION}; "
            f"set `aws:region: {REGION}`"
        )
    return value


class Settings(BaseModel):
    """Base for every settings model: camelCase keys in YAML, unknown keys refused, frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class AccountSettings(Settings):
    """The AWS account an environment lives in, and the account quotas the stack is sized against.

    AWS recommends one account per environment ("Account-level separation is strongly recommended for
    isolating production environments from development and test environments", Well-Architected
    SEC01-BP01, docs.aws.amazon.com/wellarchitected/2022-03-31/framework/sec_securely_operate_multi_accounts.html),
    and the shipped config does that. Envs that name the same account share its account-level
    limits: `shared.accounts` checks them together at synth time.
    """

    id: str = Field(pattern=r"^\d{12}$", description="The 12-digit AWS account id this env deploys to.")
    lambda_concurrency_quota: int = Field(
        LAMBDA_DEFAULT_CONCURRENCY_QUOTA,
        gt=LAMBDA_UNRESERVED_MINIMUM,
        description="Lambda concurrent executions in us-east-1 (Service Quotas L-B99A9384) this account has "
        "or is asked for as code; every reservation in the account must leave 100 of it unreserved.",
    )


class SharedSettings(Settings):
    """``config/<env>.yaml``: settings every layer of one environment shares."""

    organization: str = Field(
        "organization",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Pulumi org in stack references; 'organization' on a self-managed (file/S3) backend.",
    )
    owner: str = Field(min_length=1, max_length=256, description="Owner tag: the team that runs it.")
    cost_center: str = Field(min_length=1, max_length=256, description="CostCenter tag.")
    compliance: str = Field(min_length=1, max_length=256, description="Compliance tag (e.g. internal, sox).")
    backup: str = Field(min_length=1, max_length=256, description="Backup tag: the backup policy name.")
    account: AccountSettings | None = Field(
        None, description="The account this env lives in and its quotas (required in config/<env>.yaml)."
    )
    allowed_account_ids: list[str] = Field(
        default_factory=list,
        description="If set, the AWS provider refuses any other account (guards against a wrong profile).",
    )
    monthly_budget_usd: float = Field(500.0, gt=0, description="Budget the cost model and alarms check.")

    @property
    def the_account(self) -> AccountSettings:
        """The account model; `load_shared_settings` refuses a file without one."""
        if self.account is None:
            raise ConfigError("config/<env>.yaml: key 'account' is missing: state the account id this env lives in")
        return self.account

    def model_post_init(self, _context: Any) -> None:
        for account in self.allowed_account_ids:
            if not (len(account) == 12 and account.isdigit()):
                raise ValueError(f"allowedAccountIds: {account!r} is not a 12-digit AWS account id")
        if self.account and self.allowed_account_ids and self.account.id not in self.allowed_account_ids:
            raise ValueError(
                f"allowedAccountIds {self.allowed_account_ids} does not contain account.id {self.account.id!r}: "
                "the provider would refuse the env's own account"
            )


def _format_validation_error(error: ValidationError, source: str, values: dict[str, Any]) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(root)"
        top = str(item["loc"][0]) if item["loc"] else ""
        shown = values.get(top, "<unset>") if top else values
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (a typo? see docs/config.md for the keys this file takes)"
        lines.append(f"{source}: key {key!r} = {shown!r}: {message}")
    return "\n".join(lines)


M = TypeVar("M", bound=BaseModel)


def validate_settings(model: type[M], values: dict[str, Any], source: str) -> M:
    """Validate raw key/values into ``model``; the error names each bad key, its value and ``source``."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ConfigError(_format_validation_error(error, source, values)) from None
    except ValueError as error:  # model_post_init checks
        raise ConfigError(f"{source}: {error}") from None


def load_shared_settings(env: Environment, root: Path = REPO_ROOT) -> SharedSettings:
    path = root / "config" / f"{env.value}.yaml"
    source = str(path.relative_to(root))
    if not path.exists():
        raise ConfigError(f"{source}: missing; every environment needs its shared settings file")
    raw = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping of keys to values, got {type(raw).__name__}")
    settings = validate_settings(SharedSettings, raw, source)
    if settings.account is None:
        raise ConfigError(
            f"{source}: key 'account' is missing: state the AWS account this env lives in "
            "(account.id, account.lambdaConcurrencyQuota; see docs/config.md)"
        )
    # Imported here: shared.env_policy builds on this module's Environment.
    from shared.env_policy import env_policy

    if env_policy(env).require_allowed_account_ids and not settings.allowed_account_ids:
        raise ConfigError(
            f"{source}: key 'allowedAccountIds' = []: {env.value} must list its account "
            f"([{settings.account.id!r}]) so a wrong AWS profile cannot deploy it elsewhere"
        )
    return settings


def _namespace_values(namespace: str) -> dict[str, Any]:
    """Every key set in ``namespace`` for this stack, values JSON-decoded where they are JSON.

    pulumi.Config has no "list keys" call; the runtime's config map is what both the real engine
    (PULUMI_CONFIG) and the mocks (set_all_config) fill, so we read it to catch misspelled keys.
    """
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    values: dict[str, Any] = {}
    prefix = namespace + ":"
    for full_key, raw in merged.items():
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix) :]
        if runtime_config.is_config_secret(full_key):
            continue  # secrets are read with config.require_secret by the layer, never validated here
        try:
            values[key] = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            values[key] = raw
    return values


@dataclass(frozen=True)
class StackContext:
    """Who we are: the layer, the environment, and the settings every layer shares."""

    layer: str
    env: Environment
    shared: SharedSettings

    @property
    def project(self) -> str:
        from shared.naming import project_name  # shared.naming imports this module

        return project_name(self.layer)

    @property
    def stack_file(self) -> str:
        return f"projects/{self.layer}/Pulumi.{self.env.value}.yaml"

    def layer_settings(self, model: type[M]) -> M:
        """The layer's own keys (``serverless-infra-<layer>:*``), validated into ``model``."""
        return validate_settings(model, _namespace_values(self.project), self.stack_file)


def current_stack_context(layer: str) -> StackContext:
    """Read and check the running Pulumi stack: environment from the stack name, region, shared settings."""
    import pulumi

    env = Environment.parse(pulumi.get_stack(), source=f"projects/{layer}: stack name")
    stack_file = f"projects/{layer}/Pulumi.{env.value}.yaml"
    check_region(pulumi.Config("aws").get("region"), stack_file)
    return StackContext(layer=layer, env=env, shared=load_shared_settings(env))
