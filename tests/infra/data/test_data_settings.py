"""Data layer settings and the RDS values the offline synth refuses as AWS would (no rendering)."""

from __future__ import annotations

import pytest

from shared.components.data.database import replica_zones
from shared.components.data.settings import DataSettings, check_environment_policy, windows_overlap
from shared.config import ConfigError, Environment, validate_settings
from shared.synth.aws_rules import AwsValidationError, validate

pytestmark = pytest.mark.unit

BASE = {
    "instanceClass": "db.t4g.medium",
    "allocatedStorageGib": 50,
    "maxAllocatedStorageGib": 200,
    "multiAz": True,
    "backupRetentionDays": 7,
    "replicaCount": 1,
    "deletionProtection": True,
    "performanceInsights": True,
}
SOURCE = "projects/data/Pulumi.prod.yaml"


def settings(**changes) -> DataSettings:
    return validate_settings(DataSettings, {**BASE, **changes}, SOURCE)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"instanceClass": "t4g.medium"}, "'instanceClass' = 't4g.medium'"),
        ({"backupRetentionDays": 36}, "'backupRetentionDays' = 36"),
        ({"allocatedStorageGib": 10}, "'allocatedStorageGib' = 10"),
        ({"maxAllocatedStorageGib": 52}, "at least 10% above"),
        ({"backupWindow": "3:00-3:30"}, "'backupWindow' = '3:00-3:30'"),
        ({"backupWindow": "03:00-03:15"}, "at least 30 minutes"),
        ({"maintenanceWindow": "Sun:04:30-Sun:05:00"}, "'maintenanceWindow'"),
        ({"maintenanceWindow": "tue:03:10-tue:03:40"}, "overlaps backupWindow"),
        ({"instanceClass": "db.t4g.micro"}, "Performance Insights is not available on db.t4g.micro"),
        ({"replicaCount": 2, "backupRetentionDays": 0}, "read replicas need automated backups"),
        ({"monitoringIntervalSeconds": 0}, "'monitoringIntervalSeconds' = 0"),
        ({"masterUsername": "rdsadmin"}, "RDS reserves"),
        ({"proxyMaxIdleConnectionsPercent": 90, "proxyMaxConnectionsPercent": 50}, "cannot exceed"),
        ({"readerRouting": "replica", "replicaCount": 0}, "needs replicaCount >= 1"),
        ({"proxyIamAuth": "DISABLED"}, "proxyIamAuth"),
        ({"appUsername": "app_admin"}, "four different users"),
        ({"readerUsername": "app_user"}, "four different users"),
        ({"readerRouting": "replica"}, "needs a cap of direct replica connections >= 1"),
        ({"readerConnectionLimit": 100}, "only readerRouting 'replica' connects to the replica directly"),
        ({"readerRouting": "replica", "readerConnectionLimit": 5001}, "'readerConnectionLimit' = 5001"),
        ({"ownerUsername": "rdsowner"}, "RDS reserves"),
        ({"replicaCuont": 1}, "unknown key"),
    ],
)
def test_bad_values_name_the_key_and_the_file(changes, expected):
    with pytest.raises(ConfigError) as caught:
        settings(**changes)
    assert SOURCE in str(caught.value) and expected in str(caught.value)


def test_defaults_are_valid_and_the_family_follows_the_major():
    s = settings()
    assert s.parameter_group_family == "postgres17" and s.replica_class == "db.t4g.medium"
    assert not windows_overlap(s.backup_window, s.maintenance_window)


def test_windows_overlap_across_midnight_and_the_week_boundary():
    assert windows_overlap("23:45-00:15", "mon:00:00-mon:00:30")
    assert windows_overlap("23:45-00:15", "sun:23:50-mon:00:20")
    assert not windows_overlap("03:00-03:30", "sun:23:50-mon:00:20")


def test_prod_policy_refuses_a_single_az_unprotected_database():
    with pytest.raises(ConfigError) as caught:
        check_environment_policy(
            settings(multiAz=False, deletionProtection=False, replicaCount=0), Environment.PROD, SOURCE
        )
    message = str(caught.value)
    assert "'multiAz' = False" in message and "'deletionProtection' = False" in message
    assert "'replicaCount' = 0" in message
    check_environment_policy(settings(multiAz=False, replicaCount=0), Environment.DEV, SOURCE)


def test_replica_zones_avoid_the_primary_and_standby():
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert replica_zones(zones, 2, multi_az=True) == ["us-east-1c", "us-east-1c"]
    assert replica_zones(zones[:2], 1, multi_az=False) == ["us-east-1b"]
    with pytest.raises(ValueError, match="need a third AZ"):
        replica_zones(zones[:2], 1, multi_az=True)


VALID_INSTANCE = {
    "instanceClass": "db.t4g.micro",
    "storageType": "gp3",
    "allocatedStorage": 20,
    "maxAllocatedStorage": 50,
    "backupRetentionPeriod": 7,
    "backupWindow": "03:00-03:30",
    "maintenanceWindow": "sun:04:30-sun:05:00",
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "x-final",
    "engine": "postgres",
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"instanceClass": "m5.large"}, "instanceClass"),
        ({"backupRetentionPeriod": 36}, "backupRetentionPeriod"),
        ({"backupWindow": "03:00"}, "backupWindow"),
        ({"maintenanceWindow": "sunday:04:30-sunday:05:00"}, "maintenanceWindow"),
        ({"allocatedStorage": 19}, "allocatedStorage"),
        ({"maxAllocatedStorage": 20}, "maxAllocatedStorage"),
        ({"multiAz": True, "availabilityZone": "us-east-1a"}, "availabilityZone"),
        ({"finalSnapshotIdentifier": None}, "finalSnapshotIdentifier"),
        ({"performanceInsightsEnabled": True}, "performanceInsightsEnabled"),
        ({"performanceInsightsRetentionPeriod": 30}, "performanceInsightsRetentionPeriod"),
    ],
)
def test_synth_refuses_rds_values_aws_refuses(changes, field):
    validate("aws:rds/instance:Instance", "db", VALID_INSTANCE)
    with pytest.raises(AwsValidationError, match=field):
        validate("aws:rds/instance:Instance", "db", {**VALID_INSTANCE, **changes})


def test_synth_refuses_proxy_pool_and_auth_values_aws_refuses():
    with pytest.raises(AwsValidationError, match="maxConnectionsPercent"):
        validate(
            "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup",
            "pool",
            {"connectionPoolConfig": {"maxConnectionsPercent": 101}},
        )
    with pytest.raises(AwsValidationError, match="iamAuth"):
        validate(
            "aws:rds/proxy:Proxy", "proxy", {"engineFamily": "POSTGRESQL", "auths": [{"iamAuth": "YES"}]}
        )
