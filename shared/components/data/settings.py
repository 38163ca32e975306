"""Typed settings of the data layer (``serverless-infra-data:*`` in the stack files).

Every rule AWS enforces on these values is checked here, so a bad value fails at `invoke synth`
with the key, the value and the file, instead of minutes into `pulumi up`. Rules that depend on
the environment (prod must be Multi-AZ, ...) live in `check_environment_policy`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from app.contract import READER_CONNECTION_LIMIT
from shared import aws_limits as limits
from shared.config import ConfigError, Environment, Settings
from shared.env_policy import env_policy

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK_MINUTES = 7 * 24 * 60
RESERVED_USERNAMES = frozenset({"rdsadmin", "rdsrepladmin", "rdstopmgr", "rds_superuser", "postgres_fdw"})


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def maintenance_interval(window: str) -> tuple[int, int]:
    """``ddd:hh24:mi-ddd:hh24:mi`` -> (start, end) minutes of the week; end may pass the week's end."""
    start_text, end_text = window.split("-")
    start_day, start_time = start_text.split(":", 1)
    end_day, end_time = end_text.split(":", 1)
    start = DAYS.index(start_day) * 1440 + _minutes(start_time)
    end = DAYS.index(end_day) * 1440 + _minutes(end_time)
    return start, end if end > start else end + WEEK_MINUTES


def backup_interval(window: str) -> tuple[int, int]:
    """``hh24:mi-hh24:mi`` -> (start, end) minutes of the day; end may pass midnight."""
    start_text, end_text = window.split("-")
    start, end = _minutes(start_text), _minutes(end_text)
    return start, end if end > start else end + 1440


def windows_overlap(backup_window: str, maintenance_window: str) -> bool:
    """Whether the daily backup window meets the weekly maintenance window on any day (UTC)."""
    m_start, m_end = maintenance_interval(maintenance_window)
    b_start, b_end = backup_interval(backup_window)
    maintenance = {minute % WEEK_MINUTES for minute in range(m_start, m_end)}
    return any(
        (day * 1440 + minute) % WEEK_MINUTES in maintenance
        for day in range(7)
        for minute in range(b_start, b_end)
    )


class DataSettings(Settings):
    """One PostgreSQL primary (Multi-AZ or not), its read replicas, RDS Proxy and the app's parameters."""

    engine_major_version: limits.RdsPostgresMajorVersion = Field(
        17, description="PostgreSQL major; minors auto-upgrade in the maintenance window."
    )
    instance_class: limits.RdsInstanceClass = Field(description="Primary's class, e.g. db.t4g.medium.")
    replica_instance_class: limits.RdsInstanceClass | None = Field(
        None, description="Replicas' class; default: the primary's."
    )
    allocated_storage_gib: limits.RdsGp3StorageGib = Field(
        description="gp3 storage at creation (gp3 minimum 20 GiB)."
    )
    max_allocated_storage_gib: limits.RdsMaxAllocatedStorageGib = Field(description="Storage autoscaling ceiling.")
    multi_az: bool = Field(description="A synchronous standby in a second AZ (doubles the instance price).")
    backup_retention_days: limits.RdsBackupRetentionDays = Field(
        description="Automated backups (PITR) kept, 0-35 days."
    )
    replica_count: limits.RdsReadReplicaCount = Field(
        0, description="Read replicas, each in an AZ other than the primary's."
    )
    backup_window: limits.RdsBackupWindow = Field(
        "03:00-03:30",
        description="Daily automated backup window, UTC hh:mm-hh:mm (at least 30 min, not overlapping maintenance)."
    )
    maintenance_window: limits.RdsMaintenanceWindow = Field(
        "sun:04:30-sun:05:00",
        description="Weekly maintenance window, UTC ddd:hh:mm-ddd:hh:mm (minor upgrades, pending-reboot changes)."
    )
    deletion_protection: bool = Field(False, description="RDS refuses to delete the instance while true (prod: required).")
    final_snapshot: bool = Field(
        True,
        description="Take a final snapshot when the primary is deleted (its id is unique per instance "
        "lifecycle); false skips it, for envs whose data is disposable (dev).",
    )
    performance_insights: bool = Field(
        False, description="Performance Insights (not on micro/small classes)."
    )
    performance_insights_retention_days: limits.RdsPiRetentionDays = Field(
        7, description="Days Performance Insights keeps data (7 is the free tier)."
    )
    monitoring_interval_seconds: limits.RdsMonitoringInterval = Field(
        60, gt=0, description="Enhanced monitoring granularity (1-60 s; on in every env, so not 0)."
    )
    log_min_duration_ms: int = Field(500, ge=-1, description="Log statements slower than this; -1 disables.")
    database_name: limits.RdsIdentifier = Field(
        "app", description="Database created on the primary; the app's db name."
    )
    master_username: limits.RdsIdentifier = Field(
        "app_admin",
        description="RDS master user: break-glass and the one-time bootstrap; password in the master-credentials secret."
    )
    proxy_max_connections_percent: limits.RdsProxyMaxConnectionsPercent = Field(
        75, description="Share of max_connections the proxy may open."
    )
    proxy_max_idle_connections_percent: limits.RdsProxyMaxIdleConnectionsPercent = Field(
        25, description="Share of max_connections the proxy keeps idle (<= proxyMaxConnectionsPercent)."
    )
    proxy_borrow_timeout_seconds: limits.RdsProxyBorrowTimeoutSeconds = Field(
        10, description="Wait for a pooled connection before failing."
    )
    proxy_idle_client_timeout_seconds: limits.RdsProxyIdleClientTimeoutSeconds = Field(
        1800,
        description="Seconds an idle client connection to the proxy lives.",
    )
    owner_username: limits.RdsIdentifier = Field(
        "app_owner", description="Role that owns the tables; migrations run as it."
    )
    app_username: limits.RdsIdentifier = Field(
        "app_user", description="Role the functions sign in as (DML only)."
    )
    proxy_iam_auth: Literal["REQUIRED"] = Field(
        "REQUIRED",
        description="End-to-end IAM: clients sign IAM tokens for the proxy, and the proxy for the database "
        "(the only mode since the roles hold rds_iam, which refuses passwords).",
    )
    reader_routing: Literal["proxy", "replica"] = Field(
        "proxy",
        description="Where reads go: the proxy (the primary, pooled) or the first replica (direct, IAM, "
        "with fallback to the primary); docs/data.md weighs them.",
    )
    reader_connection_limit: int = Field(
        READER_CONNECTION_LIMIT.default,
        ge=READER_CONNECTION_LIMIT.minimum,
        le=READER_CONNECTION_LIMIT.maximum,
        validate_default=True,  # readerRouting 'replica' without a cap must be refused, not read as 0
        description="The replica's hard cap of direct app connections (the reader role's CONNECTION LIMIT, "
        "set by the migrate step); environments past it read from the primary through the proxy. "
        "readerRouting 'replica' only.",
    )
    reader_username: str = Field(
        "app_reader", pattern=r"^[a-z][a-z0-9_]{0,62}$",
        description="Role the api signs in as on the replica (SELECT only; carries the cap).",
    )
    master_rotation_days: int = Field(
        30,
        ge=0,
        le=limits.SECRETS_ROTATION_DAYS.stop - 1,
        description="Secrets Manager rotates the break-glass master password every this many days (0: never).",
    )
    replica_max_lag_seconds: float = Field(
        5.0, ge=0, le=3600, description="A replica further behind than this serves no reads (the primary does)."
    )
    log_retention_days: limits.LogRetentionDays = Field(30, description="Retention of the exported PostgreSQL logs.")
    replica_backup_retention_days: limits.RdsBackupRetentionDays = Field(
        0,
        description="Automated backups of each read replica (RDS for PostgreSQL 14.1+ supports them); 0 = none.",
    )

    @field_validator("max_allocated_storage_gib")
    @classmethod
    def _autoscaling_ceiling(cls, value: int, info: ValidationInfo) -> int:
        allocated = info.data.get("allocated_storage_gib")
        # RDS storage autoscaling wants the ceiling at least 10% above the allocated storage.
        if allocated is not None and value < allocated * 1.1:
            raise ValueError(
                f"must be at least 10% above allocatedStorageGib ({allocated}), "
                f"i.e. >= {int(allocated * 1.1 + 0.999)}"
            )
        return value

    @field_validator("replica_count")
    @classmethod
    def _replicas_need_backups(cls, value: int, info: ValidationInfo) -> int:
        if value and not info.data.get("backup_retention_days"):
            raise ValueError(
                "read replicas need automated backups on the primary: set backupRetentionDays >= 1"
            )
        return value

    @field_validator("backup_window", "maintenance_window")
    @classmethod
    def _window_length(cls, value: str, info: ValidationInfo) -> str:
        start, end = (backup_interval if info.field_name == "backup_window" else maintenance_interval)(value)
        if end - start < limits.RDS_MIN_WINDOW_MINUTES:
            raise ValueError(f"a window must last at least {limits.RDS_MIN_WINDOW_MINUTES} minutes")
        backup = info.data.get("backup_window")
        if info.field_name == "maintenance_window" and backup and windows_overlap(backup, value):
            raise ValueError(f"overlaps backupWindow {backup!r}; RDS refuses overlapping windows")
        return value

    @field_validator("performance_insights")
    @classmethod
    def _pi_supported(cls, value: bool, info: ValidationInfo) -> bool:
        size = str(info.data.get("instance_class", "")).rsplit(".", 1)[-1]
        if value and size in limits.RDS_PI_UNSUPPORTED_SIZES:
            raise ValueError(
                f"Performance Insights is not available on {info.data.get('instance_class')} "
                f"({'/'.join(sorted(limits.RDS_PI_UNSUPPORTED_SIZES))} classes); use a medium or larger"
            )
        return value

    @field_validator("master_username")
    @classmethod
    def _username(cls, value: str) -> str:
        if value in RESERVED_USERNAMES or value.startswith(("rds", "pg_")):
            raise ValueError("RDS reserves this name (rds*, pg_*)")
        return value

    @field_validator("proxy_max_idle_connections_percent")
    @classmethod
    def _idle_below_max(cls, value: int, info: ValidationInfo) -> int:
        ceiling = info.data.get("proxy_max_connections_percent")
        if ceiling is not None and value > ceiling:
            raise ValueError(f"cannot exceed proxyMaxConnectionsPercent ({ceiling})")
        return value

    @field_validator("reader_routing")
    @classmethod
    def _replica_to_route_to(cls, value: str, info: ValidationInfo) -> str:
        if value == "replica" and not info.data.get("replica_count"):
            raise ValueError("readerRouting 'replica' needs replicaCount >= 1")
        return value

    @field_validator("reader_connection_limit")
    @classmethod
    def _cap_with_replica_reads(cls, value: int, info: ValidationInfo) -> int:
        routing = info.data.get("reader_routing")
        if routing == "replica" and value < 1:
            raise ValueError("readerRouting 'replica' needs a cap of direct replica connections >= 1 "
                             "(docs/data.md, Connection budget)")
        if routing == "proxy" and value:
            raise ValueError("only readerRouting 'replica' connects to the replica directly: set it, or 0")
        return value

    @field_validator("owner_username", "app_username", "reader_username")
    @classmethod
    def _distinct_roles(cls, value: str, info: ValidationInfo) -> str:
        if value in RESERVED_USERNAMES or value.startswith(("rds", "pg_")):
            raise ValueError("RDS reserves this name (rds*, pg_*)")
        others = ("master_username", "owner_username", "app_username")
        taken = {info.data.get(key) for key in others if key != info.field_name} - {None}
        if value in taken:
            raise ValueError("the master, owner, app and reader roles must be four different users")
        return value

    @property
    def parameter_group_family(self) -> str:
        return f"postgres{self.engine_major_version}"

    @property
    def replica_class(self) -> str:
        return self.replica_instance_class or self.instance_class


def check_environment_policy(settings: DataSettings, env: Environment, source: str) -> None:
    """What the env's policy requires, whatever its stack file says (prod: HA, a replica, protection, a
    week of backups; `shared.env_policy`)."""
    policy = env_policy(env)
    rules = [
        ("multiAz", settings.multi_az, settings.multi_az or not policy.require_multi_az,
         f"{env.value} runs Multi-AZ"),
        ("replicaCount", settings.replica_count, settings.replica_count >= policy.min_read_replicas,
         f"{env.value} keeps at least {policy.min_read_replicas} read replica(s)"),
        ("deletionProtection", settings.deletion_protection,
         settings.deletion_protection or not policy.require_deletion_protection,
         f"{env.value} is deletion-protected"),
        ("backupRetentionDays", settings.backup_retention_days,
         settings.backup_retention_days >= policy.min_backup_retention_days,
         f"{env.value} keeps at least {policy.min_backup_retention_days} days of backups"),
    ]
    problems = [f"{source}: key {key!r} = {value!r}: {why}" for key, value, ok, why in rules if not ok]
    if problems:
        raise ConfigError("\n".join(problems))
