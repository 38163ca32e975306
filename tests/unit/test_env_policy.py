"""The environment policy: what prod must have, what dev and staging may skip, and AWS's bounds on both.

The components read these values (shared/env_policy.py); the rendered graphs show them applied
(tests/infra/*). Here: the rules themselves, the bounds AWS sets, and the checks built on them.
"""

from __future__ import annotations

import dataclasses

import pytest

from shared.aws_limits import KMS_DELETION_WINDOW_DAYS, SECRET_RECOVERY_WINDOW_DAYS
from shared.components.compute.signing import signing_policy
from shared.components.data.settings import DataSettings, check_environment_policy
from shared.config import ConfigError, Environment, validate_settings
from shared.env_policy import POLICIES, EnvPolicy, env_policy, most_production_like

pytestmark = pytest.mark.unit

PROD, STAGING, DEV = (env_policy(e) for e in (Environment.PROD, Environment.STAGING, Environment.DEV))


def test_every_env_has_a_policy_and_a_rank_of_its_own():
    assert set(POLICIES) == set(Environment)
    assert all(policy.env is env for env, policy in POLICIES.items())
    assert len({p.rank for p in POLICIES.values()}) == len(POLICIES)


def test_prod_keeps_what_the_others_may_throw_away():
    for relaxed in (STAGING, DEV):
        assert not PROD.force_destroy_buckets and relaxed.force_destroy_buckets
        assert PROD.retain_artifacts_on_destroy and not relaxed.retain_artifacts_on_destroy
        assert PROD.retain_function_logs and not relaxed.retain_function_logs
        assert PROD.kms_deletion_window_days > relaxed.kms_deletion_window_days
        assert PROD.secret_recovery_window_days > relaxed.secret_recovery_window_days
        assert not PROD.apply_immediately and relaxed.apply_immediately


def test_a_wrong_profile_cannot_reach_prod_or_staging():
    assert PROD.require_allowed_account_ids and STAGING.require_allowed_account_ids
    assert not DEV.require_allowed_account_ids


def test_prod_requires_what_the_others_may_skip():
    for relaxed in (STAGING, DEV):
        assert PROD.code_signing_enforcement == "Enforce" and relaxed.code_signing_enforcement == "Warn"
        assert PROD.require_multi_az > relaxed.require_multi_az
        assert PROD.require_deletion_protection > relaxed.require_deletion_protection
        assert PROD.min_read_replicas >= 1 > relaxed.min_read_replicas
        assert PROD.min_backup_retention_days >= 7
        assert PROD.min_api_reserved_concurrency == 1000  # the user's "1000 concurrent requests"
        assert PROD.api_execution_logs_errors_only and not relaxed.api_execution_logs_errors_only


def test_windows_sit_inside_what_aws_accepts():
    for policy in POLICIES.values():
        assert policy.kms_deletion_window_days in KMS_DELETION_WINDOW_DAYS
        assert policy.secret_recovery_window_days == 0 or policy.secret_recovery_window_days in SECRET_RECOVERY_WINDOW_DAYS
    # AWS's longest windows in prod, its shortest (or none, for secrets) elsewhere.
    assert PROD.kms_deletion_window_days == 30 and DEV.kms_deletion_window_days == 7
    assert PROD.secret_recovery_window_days == 30 and DEV.secret_recovery_window_days == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kms_deletion_window_days": 6}, "7-30 days KMS ScheduleKeyDeletion"),
        ({"kms_deletion_window_days": 31}, "7-30 days KMS ScheduleKeyDeletion"),
        ({"secret_recovery_window_days": 3}, "neither 0"),
        ({"secret_recovery_window_days": 31}, "neither 0"),
        ({"min_read_replicas": -1}, "cannot be negative"),
    ],
)
def test_a_window_aws_would_refuse_fails_when_the_policy_is_built(change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(PROD, **change)


def test_the_most_production_like_env_owns_a_shared_account():
    assert most_production_like([Environment.DEV, Environment.STAGING]) is Environment.STAGING
    assert most_production_like({Environment.DEV, Environment.PROD, Environment.STAGING}) is Environment.PROD
    assert most_production_like([Environment.DEV]) is Environment.DEV
    with pytest.raises(ValueError, match="no environment"):
        most_production_like([])


def test_signing_follows_the_policy():
    assert {env: signing_policy(env) for env in Environment} == {
        env: POLICIES[env].code_signing_enforcement for env in Environment
    }


DATA = {"instanceClass": "db.t4g.medium", "allocatedStorageGib": 50, "maxAllocatedStorageGib": 200,
        "multiAz": True, "backupRetentionDays": 7, "replicaCount": 1, "deletionProtection": True}


def data_settings(**changes) -> DataSettings:
    return validate_settings(DataSettings, {**DATA, **changes}, "projects/data/Pulumi.x.yaml")


def test_prod_data_settings_need_a_week_of_backups_but_dev_does_not():
    with pytest.raises(ConfigError, match="'backupRetentionDays' = 3: prod keeps at least 7 days of backups"):
        check_environment_policy(data_settings(backupRetentionDays=3), Environment.PROD, "projects/data/Pulumi.prod.yaml")
    check_environment_policy(data_settings(backupRetentionDays=3), Environment.DEV, "projects/data/Pulumi.dev.yaml")
    check_environment_policy(data_settings(), Environment.PROD, "projects/data/Pulumi.prod.yaml")


def test_the_policy_type_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROD.force_destroy_buckets = True  # type: ignore[misc]
    assert isinstance(PROD, EnvPolicy)
