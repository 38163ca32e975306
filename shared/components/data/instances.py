"""Builders of the database instances and what they need first: subnet groups, the parameter group, the
export log groups, the enhanced-monitoring role and the final snapshot's name.

Each takes its inputs and returns what it made; the `Database` component wires them in order. Placement:
the primary (and its Multi-AZ standby) live in the first two database subnets; replicas are pinned to the
other AZs, so no replica shares an AZ with the primary or the standby when the network spans three AZs
(AWS forbids choosing the AZ of a Multi-AZ instance, so the subnet group is what pins it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from shared import iam
from shared.components.data.settings import DataSettings
from shared.config import REGION, Environment
from shared.env_policy import env_policy
from shared.naming import log_group_name, resource_name

POSTGRES_PORT = 5432
LOG_EXPORTS = ["postgresql", "upgrade"]
# RDS forbids '/', '"', '@' and ' ' in master passwords; these are the specials we allow.
PASSWORD_SPECIALS = "!#$%&*()-_=+[]{}<>:?"
MONITORING_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
LogGroups = dict[str | None, list[aws.cloudwatch.LogGroup]]


class InstanceCommon(TypedDict):
    """What the primary and every replica share, typed so a misspelled argument is a type error."""

    storage_type: str
    max_allocated_storage: int
    storage_encrypted: bool
    vpc_security_group_ids: list[pulumi.Input[str]]
    publicly_accessible: bool
    parameter_group_name: pulumi.Input[str]
    iam_database_authentication_enabled: bool
    auto_minor_version_upgrade: bool
    maintenance_window: str
    copy_tags_to_snapshot: bool
    deletion_protection: bool
    performance_insights_enabled: bool
    performance_insights_kms_key_id: pulumi.Input[str] | None
    performance_insights_retention_period: int | None
    monitoring_interval: int
    monitoring_role_arn: pulumi.Input[str]
    enabled_cloudwatch_logs_exports: list[str]
    ca_cert_identifier: str
    apply_immediately: bool


@dataclass(frozen=True)
class SharedInputs:
    """The resources every instance points at, made before any instance."""

    security_group_id: pulumi.Input[str]
    parameter_group_name: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    monitoring_role_arn: pulumi.Input[str]


def rds_name(env: Environment, resource_type: str, qualifier: str | None = None, service: str = "rds") -> str:
    return resource_name(env, resource_type, qualifier, service=service)


def replica_qualifiers(count: int) -> list[str]:
    """``replica-1`` ... ``replica-<count>``: the suffix of each replica's identifier and logical name."""
    return [f"replica-{i + 1}" for i in range(count)]


def replica_zones(zones: Sequence[str], count: int, multi_az: bool) -> list[str]:
    """The AZ of each replica: never the primary's (zones[0]) nor, with Multi-AZ, the standby's (zones[1])."""
    if count == 0:
        return []
    others = list(zones[2:]) if multi_az or len(zones) > 2 else list(zones[1:])
    if not others:
        raise ValueError(
            f"{count} read replica(s) with a Multi-AZ primary need a third AZ (the primary and standby use "
            f"{list(zones[:2])}): set serverless-infra-network:azCount to 3"
        )
    return [others[i % len(others)] for i in range(count)]


def instance_common(env: Environment, s: DataSettings, shared: SharedInputs) -> InstanceCommon:
    """The arguments the primary and every replica share: private, encrypted, TLS-only, monitored."""
    insights = s.performance_insights
    return {
        "storage_type": "gp3",
        "max_allocated_storage": s.max_allocated_storage_gib,
        "storage_encrypted": True,
        "vpc_security_group_ids": [shared.security_group_id],
        "publicly_accessible": False,
        "parameter_group_name": shared.parameter_group_name,
        "iam_database_authentication_enabled": True,
        "auto_minor_version_upgrade": True,
        "maintenance_window": s.maintenance_window,
        "copy_tags_to_snapshot": True,
        "deletion_protection": s.deletion_protection,
        "performance_insights_enabled": insights,
        "performance_insights_kms_key_id": shared.kms_key_arn if insights else None,
        "performance_insights_retention_period": s.performance_insights_retention_days if insights else None,
        "monitoring_interval": s.monitoring_interval_seconds,
        "monitoring_role_arn": shared.monitoring_role_arn,
        "enabled_cloudwatch_logs_exports": LOG_EXPORTS,
        "ca_cert_identifier": CA_CERTIFICATE,
        "apply_immediately": env_policy(env).apply_immediately,
    }


def master_password(parent: pulumi.Resource, name: str) -> random.RandomPassword:
    """The master user's first password (rotation owns it afterwards: credentials.py)."""
    return random.RandomPassword(
        f"{name}-master-password",
        length=32,
        special=True,
        override_special=PASSWORD_SPECIALS,
        min_lower=2,
        min_upper=2,
        min_numeric=2,
        min_special=2,
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class SubnetGroupKind:
    """One of the two subnet groups: its logical-name part, its qualifier in the RDS name, why it holds what."""

    logical: str
    qualifier: str
    description: str


PRIMARY_SUBNETS = SubnetGroupKind(
    "primary", "primary", "Primary and Multi-AZ standby: the first two isolated database subnets")
REPLICA_SUBNETS = SubnetGroupKind(
    "replica", "replicas", "Read replicas: every isolated database subnet (each replica pins its AZ)")


def subnet_group(
    parent: pulumi.Resource, name: str, env: Environment, kind: SubnetGroupKind, subnet_ids: pulumi.Input[Sequence[str]]
) -> aws.rds.SubnetGroup:
    """The primary's subnet group (give it the first two subnets: it and its Multi-AZ standby live there) or
    the replicas' (every subnet: each replica pins its own AZ)."""
    return aws.rds.SubnetGroup(
        f"{name}-{kind.logical}-subnets",
        name=rds_name(env, "db", kind.qualifier),
        description=kind.description,
        subnet_ids=subnet_ids,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def parameter_group(parent: pulumi.Resource, name: str, env: Environment, s: DataSettings) -> aws.rds.ParameterGroup:
    """TLS only, slow statements logged."""
    return aws.rds.ParameterGroup(
        f"{name}-parameters",
        name=rds_name(env, "db", s.parameter_group_family),
        family=s.parameter_group_family,
        description="TLS only, slow statements logged",
        parameters=[
            # rds.force_ssl is a static parameter in RDS for PostgreSQL: AWS refuses "immediate" for it
            # ("cannot use immediate apply method for static parameter"). A new instance boots with it.
            aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1", apply_method="pending-reboot"),
            aws.rds.ParameterGroupParameterArgs(
                name="log_min_duration_statement", value=str(s.log_min_duration_ms), apply_method="immediate"
            ),
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def monitoring_role(
    parent: pulumi.Resource, name: str, env: Environment, account_id: pulumi.Input[str]
) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
    """Enhanced monitoring publishes OS metrics through this role (trust pinned to our instances)."""
    pattern = f"arn:aws:rds:{REGION}:{{account}}:db:{rds_name(env, 'db')}*"
    role = aws.iam.Role(
        f"{name}-monitoring-role",
        name=rds_name(env, "role", "rds-monitoring", "iam"),
        description="RDS enhanced monitoring of the database instances",
        assume_role_policy=pulumi.Output.from_input(account_id).apply(
            lambda acct: json.dumps(
                iam.assume_role_policy("monitoring.rds.amazonaws.com", acct, pattern.format(account=acct))
            )
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    attachment = aws.iam.RolePolicyAttachment(
        f"{name}-monitoring-policy",
        role=role.name,
        policy_arn=MONITORING_POLICY_ARN,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return role, attachment


def export_log_groups(
    parent: pulumi.Resource,
    name: str,
    env: Environment,
    qualifiers: Sequence[str | None],
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
) -> LogGroups:
    """The export log groups of each instance (None: the primary), made first so RDS does not create them
    with infinite retention."""
    groups: LogGroups = {}
    for qualifier in qualifiers:
        base = log_group_name("/aws/rds/instance", env, "db", qualifier)
        groups[qualifier] = [
            aws.cloudwatch.LogGroup(
                f"{name}-{qualifier or 'primary'}-{export}-logs",
                name=f"{base}/{export}",
                retention_in_days=retention_days,
                kms_key_id=kms_key_arn,
                opts=pulumi.ResourceOptions(parent=parent),
            )
            for export in LOG_EXPORTS
        ]
    return groups


def final_snapshot_identifier(
    parent: pulumi.Resource, name: str, identifier: str, kms_key_arn: pulumi.Input[str], s: DataSettings
) -> pulumi.Output[str] | None:
    """``<identifier>-final-<8 hex>``: new with each instance lifecycle, or None where none is taken.

    A fixed name fails the second destroy of an env with DBSnapshotAlreadyExists (snapshot ids are
    unique per account and Region). The suffix is a RandomId created with the instance and kept with
    the inputs that replace it (identifier, key, database, user), so a recreated or replaced instance
    gets a new one. Snapshot ids: 1-255 letters, digits and hyphens, a letter first, no "--", no
    trailing hyphen (CreateDBSnapshot / DeleteDBInstance FinalDBSnapshotIdentifier).
    """
    if not s.final_snapshot:
        return None
    suffix = random.RandomId(
        f"{name}-final-snapshot-suffix",
        byte_length=4,
        keepers={
            "identifier": identifier,
            "kms_key_id": kms_key_arn,
            "db_name": s.database_name,
            "username": s.master_username,
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return pulumi.Output.concat(identifier, "-final-", suffix.hex)


@dataclass(frozen=True)
class PrimaryInputs:
    """What only the primary takes: its subnets and zone, its password and key, what it waits for."""

    subnet_group_name: pulumi.Input[str]
    zones: pulumi.Output[Sequence[str]]
    password: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    depends_on: Sequence[pulumi.Resource]


def primary_instance(
    parent: pulumi.Resource, name: str, env: Environment, s: DataSettings, common: InstanceCommon, inputs: PrimaryInputs
) -> aws.rds.Instance:
    """The PostgreSQL primary (Multi-AZ where configured), backed up, with a final snapshot where configured."""
    identifier = rds_name(env, "db")
    return aws.rds.Instance(
        f"{name}-primary",
        identifier=identifier,
        engine="postgres",
        engine_version=str(s.engine_major_version),
        engine_lifecycle_support="open-source-rds-extended-support-disabled",
        instance_class=s.instance_class,
        allocated_storage=s.allocated_storage_gib,
        kms_key_id=inputs.kms_key_arn,
        db_name=s.database_name,
        username=s.master_username,
        password=inputs.password,
        port=POSTGRES_PORT,
        multi_az=s.multi_az,
        # AWS refuses an explicit AZ for a Multi-AZ instance; its subnet group pins it to two AZs.
        availability_zone=None if s.multi_az else inputs.zones.apply(lambda z: z[0]),
        db_subnet_group_name=inputs.subnet_group_name,
        backup_retention_period=s.backup_retention_days,
        backup_window=s.backup_window,
        skip_final_snapshot=not s.final_snapshot,
        final_snapshot_identifier=final_snapshot_identifier(parent, name, identifier, inputs.kms_key_arn, s),
        delete_automated_backups=not s.deletion_protection,
        allow_major_version_upgrade=False,
        **common,
        # Enhanced monitoring starts with the instance, through MonitoringRoleArn, "the IAM role that permits
        # RDS to send enhanced monitoring metrics" (CreateDBInstance, RDS API reference): the role must hold
        # AmazonRDSEnhancedMonitoringRole before the instance exists, or creation fails on the role check.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(inputs.depends_on)),
    )


@dataclass(frozen=True)
class ReplicaInputs:
    """What the replicas take: their source, subnets and zones, and what each waits for."""

    source_identifier: pulumi.Input[str]
    subnet_ids: pulumi.Output[Sequence[str]]
    zones: pulumi.Output[Sequence[str]]
    log_groups: LogGroups
    monitoring_policy: aws.iam.RolePolicyAttachment


def replica_instances(
    parent: pulumi.Resource, name: str, env: Environment, s: DataSettings, common: InstanceCommon, inputs: ReplicaInputs
) -> list[aws.rds.Instance]:
    """``replicaCount`` read replicas of the primary, each pinned to an AZ of its own (`replica_zones`)."""
    if not s.replica_count:
        return []
    subnets = subnet_group(parent, name, env, REPLICA_SUBNETS, inputs.subnet_ids)
    placement = inputs.zones.apply(lambda z: replica_zones(z, s.replica_count, s.multi_az))
    return [
        aws.rds.Instance(
            f"{name}-{qualifier}",
            identifier=rds_name(env, "db", qualifier),
            replicate_source_db=inputs.source_identifier,
            instance_class=s.replica_class,
            multi_az=False,
            availability_zone=placement.apply(lambda p, i=i: p[i]),
            db_subnet_group_name=subnets.name,
            # No kms_key_id: a same-region replica is always encrypted with its source's key, and
            # CreateDBInstanceReadReplica refuses the parameter ("Your request does not require the KMS key
            # parameter").
            # Backups of its own when configured (prod: a promoted replica keeps point-in-time restore). RDS
            # for PostgreSQL 14.1+ replicas take automated backups ("turn on automatic backups" on the
            # replica: RDS User Guide, cascading read replicas); the provider applies the retention with
            # ModifyDBInstance after creating the replica.
            # No final snapshot: RDS refuses FinalDBSnapshotIdentifier when deleting a replica.
            backup_retention_period=s.replica_backup_retention_days,
            skip_final_snapshot=True,
            **common,
            opts=pulumi.ResourceOptions(
                parent=parent, depends_on=[*inputs.log_groups[qualifier], inputs.monitoring_policy]
            ),
        )
        for i, qualifier in enumerate(replica_qualifiers(s.replica_count))
    ]
