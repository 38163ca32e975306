"""The Database component: a PostgreSQL primary, its read replicas, RDS Proxy and the app's parameters.

Placement: the primary (and its Multi-AZ standby) live in the first two database subnets; replicas
are pinned to the other AZs, so no replica shares an AZ with the primary or the standby when the
network spans three AZs (AWS forbids choosing the AZ of a Multi-AZ instance, so the subnet group is
what pins it). Every instance is private, encrypted with the database key, TLS-only and monitored.
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
from shared.components.data.credentials import master_secret, rotate_master_secret
from shared.components.data.parameters import write_parameters
from shared.components.data.proxy import ConnectionProxy, ConnectionProxyArgs
from shared.components.data.settings import DataSettings
from shared.config import REGION, Environment
from shared.naming import log_group_name, resource_name

POSTGRES_PORT = 5432
LOG_EXPORTS = ["postgresql", "upgrade"]
# RDS forbids '/', '"', '@' and ' ' in master passwords; these are the specials we allow.
PASSWORD_SPECIALS = "!#$%&*()-_=+[]{}<>:?"
MONITORING_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
CA_CERTIFICATE = "rds-ca-rsa2048-g1"


class _InstanceCommon(TypedDict):
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


@dataclass
class DatabaseArgs:
    env: Environment
    """The environment; every name derives from it."""
    settings: DataSettings
    """Validated ``serverless-infra-data:*`` settings."""
    account_id: pulumi.Input[str]
    """The AWS account id, for trust conditions."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """The network layer's isolated database subnets, one per AZ, in ``availability_zones`` order."""
    availability_zones: pulumi.Input[Sequence[str]]
    """The AZs of ``subnet_ids``, same order."""
    security_group_id: pulumi.Input[str]
    """The database security group (PostgreSQL from Lambda and from itself, for the proxy)."""
    kms_key_arn: pulumi.Input[str]
    """The security layer's database key: storage, Performance Insights, secret and parameters."""
    logs_kms_key_arn: pulumi.Input[str]
    """The security layer's logs key: encrypts the exported PostgreSQL log groups."""
    parameter_prefix: pulumi.Input[str]
    """The security layer's SSM prefix for database settings, e.g. ``/myapp/prod/database/``."""
    rotation_subnet_ids: pulumi.Input[Sequence[str]]
    """The network layer's private (Lambda) subnets: where the master-secret rotation function runs."""
    rotation_security_group_id: pulumi.Input[str]
    """The Lambda security group (PostgreSQL to the instances, HTTPS to the Secrets Manager endpoint)."""


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


class Database(pulumi.ComponentResource):
    primary: aws.rds.Instance
    replicas: list[aws.rds.Instance]
    proxy: ConnectionProxy
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: pulumi.Output[int]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:data:Database", name, None, opts)
        self._env, self._s, self._logs_key = args.env, args.settings, args.logs_kms_key_arn
        s, env = args.settings, args.env
        child = pulumi.ResourceOptions(parent=self)
        subnets = pulumi.Output.from_input(args.subnet_ids)
        zones = pulumi.Output.from_input(args.availability_zones)

        self.password = random.RandomPassword(
            f"{name}-master-password",
            length=32,
            special=True,
            override_special=PASSWORD_SPECIALS,
            min_lower=2,
            min_upper=2,
            min_numeric=2,
            min_special=2,
            opts=child,
        )
        password = pulumi.Output.secret(self.password.result)

        primary_subnets = aws.rds.SubnetGroup(
            f"{name}-primary-subnets",
            name=self._named("db", "primary"),
            description="Primary and Multi-AZ standby: the first two isolated database subnets",
            subnet_ids=subnets.apply(lambda ids: list(ids[:2])),
            opts=child,
        )
        parameter_group = aws.rds.ParameterGroup(
            f"{name}-parameters",
            name=self._named("db", s.parameter_group_family),
            family=s.parameter_group_family,
            description="TLS only, slow statements logged",
            parameters=[
                # rds.force_ssl is a static parameter in RDS for PostgreSQL: AWS refuses "immediate" for it
                # ("cannot use immediate apply method for static parameter"). A new instance boots with it.
                aws.rds.ParameterGroupParameterArgs(
                    name="rds.force_ssl", value="1", apply_method="pending-reboot"
                ),
                aws.rds.ParameterGroupParameterArgs(
                    name="log_min_duration_statement",
                    value=str(s.log_min_duration_ms),
                    apply_method="immediate",
                ),
            ],
            opts=child,
        )
        monitoring_role, monitoring_policy = self._monitoring_role(name, args.account_id)

        identifier = self._named("db")
        replica_qualifiers = [f"replica-{i + 1}" for i in range(s.replica_count)]
        log_groups = self._log_groups(name, [None, *replica_qualifiers])
        common: _InstanceCommon = {
            "storage_type": "gp3",
            "max_allocated_storage": s.max_allocated_storage_gib,
            "storage_encrypted": True,
            "vpc_security_group_ids": [args.security_group_id],
            "publicly_accessible": False,
            "parameter_group_name": parameter_group.name,
            "iam_database_authentication_enabled": True,
            "auto_minor_version_upgrade": True,
            "maintenance_window": s.maintenance_window,
            "copy_tags_to_snapshot": True,
            "deletion_protection": s.deletion_protection,
            "performance_insights_enabled": s.performance_insights,
            "performance_insights_kms_key_id": args.kms_key_arn if s.performance_insights else None,
            "performance_insights_retention_period": (
                s.performance_insights_retention_days if s.performance_insights else None
            ),
            "monitoring_interval": s.monitoring_interval_seconds,
            "monitoring_role_arn": monitoring_role.arn,
            "enabled_cloudwatch_logs_exports": LOG_EXPORTS,
            "ca_cert_identifier": CA_CERTIFICATE,
            "apply_immediately": env is not Environment.PROD,
        }
        self.primary = aws.rds.Instance(
            f"{name}-primary",
            identifier=identifier,
            engine="postgres",
            engine_version=str(s.engine_major_version),
            engine_lifecycle_support="open-source-rds-extended-support-disabled",
            instance_class=s.instance_class,
            allocated_storage=s.allocated_storage_gib,
            kms_key_id=args.kms_key_arn,
            db_name=s.database_name,
            username=s.master_username,
            password=password,
            port=POSTGRES_PORT,
            multi_az=s.multi_az,
            # AWS refuses an explicit AZ for a Multi-AZ instance; its subnet group pins it to two AZs.
            availability_zone=None if s.multi_az else zones.apply(lambda z: z[0]),
            db_subnet_group_name=primary_subnets.name,
            backup_retention_period=s.backup_retention_days,
            backup_window=s.backup_window,
            skip_final_snapshot=not s.final_snapshot,
            final_snapshot_identifier=self._final_snapshot_identifier(name, identifier, args.kms_key_arn),
            delete_automated_backups=not s.deletion_protection,
            allow_major_version_upgrade=False,
            **common,
            # Enhanced monitoring starts with the instance, through MonitoringRoleArn, "the IAM role that permits
            # RDS to send enhanced monitoring metrics" (CreateDBInstance, RDS API reference): the role must hold
            # AmazonRDSEnhancedMonitoringRole before the instance exists, or creation fails on the role check.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*log_groups[None], monitoring_policy]),
        )

        self.replicas = []
        if s.replica_count:
            replica_subnets = aws.rds.SubnetGroup(
                f"{name}-replica-subnets",
                name=self._named("db", "replicas"),
                description="Read replicas: every isolated database subnet (each replica pins its AZ)",
                subnet_ids=subnets,
                opts=child,
            )
            placement = zones.apply(lambda z: replica_zones(z, s.replica_count, s.multi_az))
            for i, qualifier in enumerate(replica_qualifiers):
                self.replicas.append(
                    aws.rds.Instance(
                        f"{name}-{qualifier}",
                        identifier=self._named("db", qualifier),
                        replicate_source_db=self.primary.identifier,
                        instance_class=s.replica_class,
                        multi_az=False,
                        availability_zone=placement.apply(lambda p, i=i: p[i]),
                        db_subnet_group_name=replica_subnets.name,
                        # No kms_key_id: a same-region replica is always encrypted with its source's key, and
                        # CreateDBInstanceReadReplica refuses the parameter ("Your request does not require
                        # the KMS key parameter").
                        # Backups of its own when configured (prod: a promoted replica keeps point-in-time
                        # restore). RDS for PostgreSQL 14.1+ replicas take automated backups ("turn on
                        # automatic backups" on the replica: RDS User Guide, cascading read replicas); the
                        # provider applies the retention with ModifyDBInstance after creating the replica.
                        # No final snapshot: RDS refuses FinalDBSnapshotIdentifier when deleting a replica.
                        backup_retention_period=s.replica_backup_retention_days,
                        skip_final_snapshot=True,
                        **common,
                        opts=pulumi.ResourceOptions(
                            parent=self, depends_on=[*log_groups[qualifier], monitoring_policy]
                        ),
                    )
                )

        self.proxy = ConnectionProxy(
            f"{name}-proxy",
            ConnectionProxyArgs(
                env=env,
                settings=s,
                account_id=args.account_id,
                subnet_ids=subnets,
                security_group_id=args.security_group_id,
                target_instance_identifier=self.primary.identifier,
                target_resource_id=self.primary.resource_id,
            ),
            opts=child,
        )
        login = {"username": s.master_username, "password": password, "host": self.primary.address,
                 "port": self.primary.port, "dbname": s.database_name}
        self.master_secret = master_secret(self, env, name, login, args.kms_key_arn)
        if s.master_rotation_days:
            rotate_master_secret(self, env, name, self.master_secret, s.master_rotation_days,
                                 args.rotation_subnet_ids, args.rotation_security_group_id, args.kms_key_arn)

        self.endpoint = self.primary.address
        self.reader_endpoint = self.replicas[0].address if self.replicas else self.primary.address
        self.port = self.primary.port
        # readerRouting 'replica': the app reads from the first replica directly (IAM token, TLS) and falls
        # back to the primary; the replica's resource id scopes the reading functions' rds-db:connect.
        read_replica = self.replicas[0] if s.reader_routing == "replica" and self.replicas else None
        reader_host = read_replica.address if read_replica else self.proxy.endpoint
        self.reader_resource_ids: pulumi.Output[list[str]] = pulumi.Output.all(
            *([read_replica.resource_id] if read_replica else [])
        ).apply(list)
        self.parameters = write_parameters(
            self,
            env,
            name,
            args.parameter_prefix,
            args.kms_key_arn,
            {
                "host": self.proxy.endpoint,  # writes go through the proxy
                "port": self.port.apply(str),
                "name": s.database_name,
                "username": s.app_username,  # the migrate function overrides it with the owner
                "reader_host": reader_host,
                "replica_max_lag_seconds": str(s.replica_max_lag_seconds),
                # The api's role on the replica and its cap (the migrate step sets it: app/roles.py).
                "reader_username": s.reader_username,
                "reader_connection_limit": str(s.reader_connection_limit),
            },
        )
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "reader_endpoint": self.reader_endpoint,
                "proxy_endpoint": self.proxy.endpoint,
                "proxy_arn": self.proxy.arn,
                "master_secret_arn": self.master_secret.arn,
            }
        )

    def _named(self, resource_type: str, qualifier: str | None = None, service: str = "rds") -> str:
        return resource_name(self._env, resource_type, qualifier, service=service)

    def _log_groups(
        self, name: str, qualifiers: list[str | None]
    ) -> dict[str | None, list[aws.cloudwatch.LogGroup]]:
        """Create the export log groups first, so RDS does not create them with infinite retention."""
        groups: dict[str | None, list[aws.cloudwatch.LogGroup]] = {}
        for qualifier in qualifiers:
            base = log_group_name("/aws/rds/instance", self._env, "db", qualifier)
            groups[qualifier] = [
                aws.cloudwatch.LogGroup(
                    f"{name}-{qualifier or 'primary'}-{export}-logs",
                    name=f"{base}/{export}",
                    retention_in_days=self._s.log_retention_days,
                    kms_key_id=self._logs_key,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                for export in LOG_EXPORTS
            ]
        return groups

    def _final_snapshot_identifier(
        self, name: str, identifier: str, kms_key_arn: pulumi.Input[str]
    ) -> pulumi.Output[str] | None:
        """``<identifier>-final-<8 hex>``: new with each instance lifecycle, or None where none is taken.

        A fixed name fails the second destroy of an env with DBSnapshotAlreadyExists (snapshot ids are
        unique per account and Region). The suffix is a RandomId created with the instance and kept with
        the inputs that replace it (identifier, key, database, user), so a recreated or replaced instance
        gets a new one. Snapshot ids: 1-255 letters, digits and hyphens, a letter first, no "--", no
        trailing hyphen (CreateDBSnapshot / DeleteDBInstance FinalDBSnapshotIdentifier).
        """
        if not self._s.final_snapshot:
            return None
        suffix = random.RandomId(
            f"{name}-final-snapshot-suffix",
            byte_length=4,
            keepers={
                "identifier": identifier,
                "kms_key_id": kms_key_arn,
                "db_name": self._s.database_name,
                "username": self._s.master_username,
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        return pulumi.Output.concat(identifier, "-final-", suffix.hex)

    def _monitoring_role(
        self, name: str, account_id: pulumi.Input[str]
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        """Enhanced monitoring publishes OS metrics through this role (trust pinned to our instances)."""
        pattern = f"arn:aws:rds:{REGION}:{{account}}:db:{self._named('db')}*"
        role = aws.iam.Role(
            f"{name}-monitoring-role",
            name=self._named("role", "rds-monitoring", "iam"),
            description="RDS enhanced monitoring of the database instances",
            assume_role_policy=pulumi.Output.from_input(account_id).apply(
                lambda acct: json.dumps(
                    iam.assume_role_policy("monitoring.rds.amazonaws.com", acct, pattern.format(account=acct))
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=role.name,
            policy_arn=MONITORING_POLICY_ARN,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role, attachment
