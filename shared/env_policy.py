"""What each environment must have and what it may skip: every per-env rule of the stack, in one place.

Components and settings checks read `env_policy(env)` instead of asking ``env is Environment.PROD``, so a
rule that prod holds and dev relaxes is written once, next to the reason, and tested once
(tests/unit/test_env_policy.py). Values AWS bounds are checked against `shared.aws_limits` when the
policy is built: a window AWS would refuse fails at import, not at deploy. Pure: no resources.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from shared.aws_limits import KMS_DELETION_WINDOW_DAYS, SECRET_RECOVERY_WINDOW_DAYS
from shared.config import Environment

CodeSigningEnforcement = Literal["Enforce", "Warn"]


@dataclass(frozen=True)
class EnvPolicy:
    """One environment's rules; every field says why prod differs from dev and staging."""

    env: Environment
    """The environment these rules are for."""
    rank: int
    """How production-like the env is, 0 = most. Envs sharing an AWS account share its per-account settings
    (the Lambda concurrency quota request, API Gateway's CloudWatch role): the most production-like of them
    owns each, so a dev destroy never strands prod's setting."""
    require_allowed_account_ids: bool
    """The env's ``config/<env>.yaml`` must list ``allowedAccountIds`` so its provider refuses any other
    account: a wrong AWS_PROFILE must not reach prod or staging. Dev may deploy wherever the developer points."""
    force_destroy_buckets: bool
    """A destroy empties and deletes our S3 buckets. Off in prod: artifacts, access logs and Config history
    are audit evidence, and S3 then refuses to delete a bucket that still holds objects."""
    retain_artifacts_on_destroy: bool
    """A compute destroy forgets the artifact bucket and its access-log bucket instead of deleting them
    (prod: the build history of a sox env); the next deploy takes them over (docs/compute.md)."""
    retain_function_logs: bool
    """Each compute lifecycle writes its functions' logs to groups of its own that outlive a destroy
    (prod: the logs are audit records); elsewhere a destroy deletes the log groups."""
    code_signing_enforcement: CodeSigningEnforcement
    """Lambda's UntrustedArtifactOnDeployment: prod refuses unsigned or tampered code ("Enforce"); dev and
    staging deploy it with a warning so a local build still deploys ("Warn")."""
    kms_deletion_window_days: int
    """Days a scheduled deletion of the keys this stack makes outside the security layer (alarm topic, VPC
    flow logs) can still be cancelled: AWS's longest in prod (a deleted key makes its data unreadable for
    good), its shortest elsewhere so a torn-down env frees its keys within a week."""
    secret_recovery_window_days: int
    """Days a deleted secret (the master credentials) can be restored: 30 in prod; 0 elsewhere (deleted at
    once) so a destroyed env can be re-created at once under the same secret name."""
    apply_immediately: bool
    """RDS applies instance changes at once rather than in the maintenance window. Off in prod: a class or
    storage change can restart the instance, which must happen in the window users were told about."""
    require_multi_az: bool
    """The primary must have a synchronous standby in a second AZ (prod: survives an AZ outage)."""
    min_read_replicas: int
    """Read replicas the data layer must keep (prod: reads scale out and a replica can be promoted)."""
    require_deletion_protection: bool
    """RDS must refuse to delete the instance while protected (prod: no destroy drops the data)."""
    min_backup_retention_days: int
    """Fewest days of automated backups (point-in-time restore): prod keeps at least a week."""
    min_api_reserved_concurrency: int
    """Fewest concurrent api executions reserved: prod must serve 1000 concurrent requests (the user's
    target), and the reservation is also the function's ceiling."""
    api_execution_logs_errors_only: bool
    """API Gateway execution logs carry errors only (executionLogLevel ERROR or OFF, no dataTrace): in prod
    INFO and data tracing would write full requests, tokens and personal data to the logs."""

    def __post_init__(self) -> None:
        if self.kms_deletion_window_days not in KMS_DELETION_WINDOW_DAYS:
            raise ValueError(f"{self.env.value}: kms_deletion_window_days {self.kms_deletion_window_days} is "
                             f"outside the {KMS_DELETION_WINDOW_DAYS.start}-{KMS_DELETION_WINDOW_DAYS.stop - 1} "
                             "days KMS ScheduleKeyDeletion accepts")
        if self.secret_recovery_window_days and self.secret_recovery_window_days not in SECRET_RECOVERY_WINDOW_DAYS:
            raise ValueError(f"{self.env.value}: secret_recovery_window_days {self.secret_recovery_window_days} "
                             f"is neither 0 (delete at once) nor {SECRET_RECOVERY_WINDOW_DAYS.start}-"
                             f"{SECRET_RECOVERY_WINDOW_DAYS.stop - 1} days (Secrets Manager DeleteSecret)")
        if self.min_read_replicas < 0 or self.min_backup_retention_days < 0 or self.min_api_reserved_concurrency < 0:
            raise ValueError(f"{self.env.value}: minimums cannot be negative")


def _relaxed(env: Environment, rank: int, require_allowed_account_ids: bool) -> EnvPolicy:
    """Dev and staging: short-lived, re-creatable envs (staging mirrors prod's shape in its stack files,
    not in these rules: a staging destroy must clean up after itself like dev's)."""
    return EnvPolicy(
        env=env,
        rank=rank,
        require_allowed_account_ids=require_allowed_account_ids,
        force_destroy_buckets=True,
        retain_artifacts_on_destroy=False,
        retain_function_logs=False,
        code_signing_enforcement="Warn",
        kms_deletion_window_days=KMS_DELETION_WINDOW_DAYS.start,
        secret_recovery_window_days=0,
        apply_immediately=True,
        require_multi_az=False,
        min_read_replicas=0,
        require_deletion_protection=False,
        min_backup_retention_days=0,
        min_api_reserved_concurrency=0,
        api_execution_logs_errors_only=False,
    )


POLICIES: dict[Environment, EnvPolicy] = {
    Environment.PROD: EnvPolicy(
        env=Environment.PROD,
        rank=0,
        require_allowed_account_ids=True,
        force_destroy_buckets=False,
        retain_artifacts_on_destroy=True,
        retain_function_logs=True,
        code_signing_enforcement="Enforce",
        kms_deletion_window_days=KMS_DELETION_WINDOW_DAYS.stop - 1,
        secret_recovery_window_days=SECRET_RECOVERY_WINDOW_DAYS.stop - 1,
        apply_immediately=False,
        require_multi_az=True,
        min_read_replicas=1,
        require_deletion_protection=True,
        min_backup_retention_days=7,
        min_api_reserved_concurrency=1000,
        api_execution_logs_errors_only=True,
    ),
    Environment.STAGING: _relaxed(Environment.STAGING, rank=1, require_allowed_account_ids=True),
    Environment.DEV: _relaxed(Environment.DEV, rank=2, require_allowed_account_ids=False),
}


def env_policy(env: Environment) -> EnvPolicy:
    """The rules of ``env``."""
    return POLICIES[env]


def most_production_like(envs: Iterable[Environment]) -> Environment:
    """The env among ``envs`` that owns their shared account's settings (lowest `EnvPolicy.rank`)."""
    present = list(envs)
    if not present:
        raise ValueError("no environment given")
    return min(present, key=lambda env: POLICIES[env].rank)
