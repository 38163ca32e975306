"""The data layer's pure builders: what every instance shares, which replica the app reads, the proxy's
pool and its rds-db:connect policy, and the parameters the app reads (no rendering)."""

from __future__ import annotations

import pytest

from app.contract import DATABASE_KEYS
from shared.components.data.database import parameter_values, proxy_pool, read_replica
from shared.components.data.instances import SharedInputs, instance_common, replica_qualifiers
from shared.components.data.proxy import connect_policy
from shared.components.data.settings import DataSettings
from shared.config import Environment, validate_settings

pytestmark = pytest.mark.unit

BASE = {"instanceClass": "db.t4g.medium", "allocatedStorageGib": 50, "maxAllocatedStorageGib": 200,
        "multiAz": True, "backupRetentionDays": 7, "replicaCount": 1, "deletionProtection": True,
        "performanceInsights": True}
SHARED = SharedInputs("sg-1", "pg-1", "arn:aws:kms:us-east-1:111111111111:key/db", "arn:aws:iam::111111111111:role/mon")


def settings(**changes) -> DataSettings:
    return validate_settings(DataSettings, {**BASE, **changes}, "projects/data/Pulumi.test.yaml")


def test_instances_are_private_encrypted_and_monitored_in_every_env():
    for env in Environment:
        common = instance_common(env, settings(), SHARED)
        assert common["storage_encrypted"] and not common["publicly_accessible"]
        assert common["iam_database_authentication_enabled"]
        assert common["vpc_security_group_ids"] == ["sg-1"] and common["parameter_group_name"] == "pg-1"
        assert common["monitoring_role_arn"] == SHARED.monitoring_role_arn


def test_prod_changes_wait_for_the_maintenance_window():
    assert instance_common(Environment.PROD, settings(), SHARED)["apply_immediately"] is False
    assert instance_common(Environment.DEV, settings(), SHARED)["apply_immediately"] is True


def test_performance_insights_key_and_retention_only_when_on():
    on = instance_common(Environment.DEV, settings(performanceInsights=True), SHARED)
    assert on["performance_insights_kms_key_id"] == SHARED.kms_key_arn
    assert on["performance_insights_retention_period"] == settings().performance_insights_retention_days
    off = instance_common(Environment.DEV, settings(performanceInsights=False), SHARED)
    assert off["performance_insights_kms_key_id"] is None and off["performance_insights_retention_period"] is None


def test_replica_qualifiers_number_from_one():
    assert replica_qualifiers(0) == []
    assert replica_qualifiers(2) == ["replica-1", "replica-2"]


def test_reads_go_to_the_first_replica_only_when_routed_there_and_one_exists():
    replicas = ["first", "second"]
    assert read_replica(replicas, "replica") == "first"  # type: ignore[arg-type]
    assert read_replica(replicas, "proxy") is None  # type: ignore[arg-type]
    assert read_replica([], "replica") is None


def test_proxy_pool_carries_the_settings():
    s = settings(proxyMaxConnectionsPercent=80, proxyMaxIdleConnectionsPercent=40, proxyBorrowTimeoutSeconds=5,
                 proxyIdleClientTimeoutSeconds=600)
    pool = proxy_pool(s)
    assert (pool.max_connections_percent, pool.max_idle_connections_percent) == (80, 40)
    assert (pool.borrow_timeout_seconds, pool.idle_client_timeout_seconds) == (5, 600)


def test_proxy_connects_only_as_the_given_roles_on_the_primary():
    policy = connect_policy("111111111111", "db-ABC", ["owner", "app"])
    (statement,) = policy["Statement"]
    assert statement["Action"] == ["rds-db:connect"]
    assert statement["Resource"] == [
        "arn:aws:rds-db:us-east-1:111111111111:dbuser:db-ABC/owner",
        "arn:aws:rds-db:us-east-1:111111111111:dbuser:db-ABC/app",
    ]


def test_parameter_values_are_exactly_what_the_app_reads():
    class Port:
        def apply(self, fn):
            return fn(5432)

    values = parameter_values(settings(), "proxy.example", Port(), "replica.example")  # type: ignore[arg-type]
    assert set(values) == set(DATABASE_KEYS)
    assert values["host"] == "proxy.example" and values["reader_host"] == "replica.example"
    assert values["port"] == "5432" and values["username"] == settings().app_username
