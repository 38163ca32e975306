"""The KeyRing component: one customer-managed KMS key per category, rotated, aliased, least privilege.

Each key policy has the account's administration statement (IAM then decides who may use the key)
and lets principals use it only *through* the AWS services that category's data goes through
(``kms:ViaService``); CloudWatch Logs, which uses the key as its own principal, only for this env's
log groups (``kms:EncryptionContext:aws:logs:arn``). No statement names a ``"*"`` principal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.security.settings import SecuritySettings
from shared.config import REGION, Environment
from shared.naming import APPLICATION, kms_alias_name


@dataclass(frozen=True)
class KeyPurpose:
    description: str
    """What the key encrypts (the key's description in the console)."""
    via_services: tuple[str, ...] = ()
    """Services principals of the account may use the key through (``kms:ViaService``)."""
    grant_services: tuple[str, ...] = ()
    """Services that create grants for AWS resources (RDS storage, Lambda environment)."""
    logs: bool = False
    """CloudWatch Logs uses the key as its own principal, for this env's log groups only."""


# category -> what it protects. Parameter categories first (shared.parameters.CATEGORIES).
KEY_CATEGORIES: dict[str, KeyPurpose] = {
    "database": KeyPurpose(
        "RDS storage, Performance Insights, the DB secret and /myapp/{env}/database/",
        via_services=("ssm", "rds", "secretsmanager"),
        grant_services=("rds",),
    ),
    "api": KeyPurpose("SSM parameters under /myapp/{env}/api/", via_services=("ssm",)),
    "cache": KeyPurpose("SSM parameters under /myapp/{env}/cache/", via_services=("ssm",)),
    "logs": KeyPurpose("CloudWatch log groups serverless-infra-{env}-*", logs=True),
    "queues": KeyPurpose("SQS queue and dead-letter queue", via_services=("sqs",)),
    "artifacts": KeyPurpose("the deployment artifact bucket (SSE-KMS)", via_services=("s3",)),
    "lambda": KeyPurpose(
        "Lambda environment variables", via_services=("lambda",), grant_services=("lambda",)
    ),
}


def log_group_arn_pattern(env: Environment, account_id: str) -> str:
    """Every log group of this env, e.g. ``/aws/lambda/serverless-infra-prod-api``."""
    return f"arn:aws:logs:{REGION}:{account_id}:log-group:*{APPLICATION}-{env.value}-*"


def execution_log_group_arn_pattern(account_id: str) -> str:
    """API Gateway's execution logs: a name AWS imposes (``API-Gateway-Execution-Logs_{api id}/{stage}``)
    with an id known only after the api layer deploys, so it cannot carry the env (docs/api.md)."""
    return f"arn:aws:logs:{REGION}:{account_id}:log-group:API-Gateway-Execution-Logs_*"


def key_policy(category: str, env: Environment, account_id: str) -> dict[str, Any]:
    """The key policy of one category's key (a plain dict; pure, so tests can read it directly)."""
    purpose = KEY_CATEGORIES[category]
    statements = [iam.key_admin_statement(account_id)]
    if purpose.via_services:
        statements.append(
            iam.key_via_service_statement("UseThroughServices", account_id, purpose.via_services)
        )
    if purpose.grant_services:
        statements.append(
            iam.key_grant_statement("GrantsForAwsResources", account_id, purpose.grant_services)
        )
    if purpose.logs:
        patterns = [log_group_arn_pattern(env, account_id), execution_log_group_arn_pattern(account_id)]
        statements.append(iam.logs_key_statement(account_id, patterns))
    return iam.document(statements)


@dataclass
class KeyRingArgs:
    env: Environment
    """The environment; aliases, policies and descriptions derive from it."""
    settings: SecuritySettings
    """Validated ``serverless-infra-security:*`` settings (deletion window, rotation period)."""
    account_id: pulumi.Input[str]
    """The AWS account id, for the key policies."""


class KeyRing(pulumi.ComponentResource):
    keys: dict[str, aws.kms.Key]
    key_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: KeyRingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:security:KeyRing", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s, env = args.settings, args.env
        self.keys = {}
        for category, purpose in KEY_CATEGORIES.items():
            key = aws.kms.Key(
                f"{name}-{category}",
                description=f"{APPLICATION} {env.value}: {purpose.description.format(env=env.value)}",
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                enable_key_rotation=True,
                rotation_period_in_days=s.key_rotation_period_days,
                deletion_window_in_days=s.key_deletion_window_days,
                policy=pulumi.Output.from_input(args.account_id).apply(
                    lambda acct, c=category: json.dumps(key_policy(c, env, acct))
                ),
                opts=child,
            )
            aws.kms.Alias(
                f"{name}-{category}-alias",
                name=kms_alias_name(env, category),
                target_key_id=key.key_id,
                opts=child,
            )
            self.keys[category] = key
        self.key_arns = {category: key.arn for category, key in self.keys.items()}
        self.register_outputs({"key_arns": self.key_arns})
