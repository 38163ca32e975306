"""IAM and KMS policy documents, built one way for every layer.

Documents are plain dicts (``json.dumps`` them, or ``pulumi.Output.json_dumps`` when they hold
Outputs). Least privilege is the rule: callers pass explicit actions and resource ARNs; the only
``"*"`` resource allowed is inside a KMS key policy, where it means "this key".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.config import REGION

Statement = dict[str, Any]

# What a service needs to use a customer-managed key for envelope encryption.
KMS_USE_ACTIONS = [
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
    "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey",
]


def document(statements: Sequence[Statement]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(sid: str, actions: Sequence[str], resources: Sequence[Any], conditions: dict[str, Any] | None = None) -> Statement:
    """An identity-policy statement: explicit actions on explicit resources."""
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": list(resources)}
    if conditions:
        statement["Condition"] = conditions
    return statement


def assume_role_policy(service: str, account_id: Any, source_arn: Any | None = None) -> dict[str, Any]:
    """Trust policy for an AWS service, pinned to our account (confused-deputy guard)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return document([{
        "Sid": "TrustService", "Effect": "Allow", "Principal": {"Service": service},
        "Action": "sts:AssumeRole", "Condition": condition,
    }])


def service_trust_policy(service: str) -> dict[str, Any]:
    """Trust policy for an AWS service that documents no ``aws:SourceAccount``/``aws:SourceArn`` for the role.

    Use it where the service's own docs show an unconditioned trust (Lambda execution roles, the
    RDS Proxy role): a condition key the service does not send makes every AssumeRole fail.
    """
    return document([{
        "Sid": "TrustService", "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
    }])


def key_admin_statement(account_id: Any) -> Statement:
    """AWS's default key-policy statement: the account (through IAM) administers the key.

    Without it a key can become unmanageable; IAM policies still decide which principals of the
    account may use it. ``"kms:*"`` on ``"*"`` here means every KMS action on this one key.
    """
    return {
        "Sid": "AccountAdministersKeyThroughIam", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*", "Resource": "*",
    }


def key_service_statement(sid: str, service_principal: str, conditions: dict[str, Any]) -> Statement:
    """Let one AWS service use the key, only under ``conditions`` (encryption context, ViaService...)."""
    return {
        "Sid": sid, "Effect": "Allow", "Principal": {"Service": service_principal},
        "Action": KMS_USE_ACTIONS, "Resource": "*", "Condition": conditions,
    }


def logs_key_statement(account_id: Any, log_group_arn_pattern: Any) -> Statement:
    """CloudWatch Logs may use the key only for log groups matching ``log_group_arn_pattern``."""
    return key_service_statement(
        "CloudWatchLogsUseKey", f"logs.{REGION}.amazonaws.com",
        {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_group_arn_pattern}},
    )


def deny_insecure_transport(actions: str | Sequence[str], resources: Sequence[Any]) -> Statement:
    """A resource-policy statement refusing every request not sent over TLS (aws:SecureTransport false)."""
    return {
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
        "Action": actions if isinstance(actions, str) else list(actions), "Resource": list(resources),
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def key_via_service_statement(
    sid: str, account_id: Any, services: Sequence[str], actions: Sequence[str] = tuple(KMS_USE_ACTIONS),
) -> Statement:
    """Principals of this account may use the key only through the named AWS services.

    ``services`` are short names (``ssm``, ``rds``, ...), turned into ``kms:ViaService`` values of
    this region. The principal is the account, never ``"*"``: IAM policies still decide who.
    """
    return {
        "Sid": sid, "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": list(actions), "Resource": "*",
        "Condition": {"StringEquals": {
            "kms:CallerAccount": account_id,
            "kms:ViaService": [f"{service}.{REGION}.amazonaws.com" for service in services],
        }},
    }


def key_grant_statement(sid: str, account_id: Any, services: Sequence[str]) -> Statement:
    """Services that encrypt resources with grants (RDS, Lambda) may create grants for AWS resources only."""
    statement = key_via_service_statement(
        sid, account_id, services, ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"))
    statement["Condition"]["Bool"] = {"kms:GrantIsForAWSResource": "true"}
    return statement


def rds_db_user_arn(account_id: str, resource_id: str, username: str) -> str:
    """``arn:aws:rds-db:<region>:<acct>:dbuser:<resource-id>/<user>``: a ``db-`` (instance) or ``prx-`` id
    (RDS User Guide, UsingWithRDS.IAMDBAuth.IAMPolicy)."""
    if not resource_id.startswith(("db-", "prx-")):
        raise ValueError(f"{resource_id!r} is not a DB instance (db-...) or proxy (prx-...) resource id")
    return f"arn:aws:rds-db:{REGION}:{account_id}:dbuser:{resource_id}/{username}"
