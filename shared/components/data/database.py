"""The Database component: a PostgreSQL primary, its read replicas, RDS Proxy and the app's parameters.

Every instance is private, encrypted with the database key, TLS-only and monitored; where each lives and
what each is built from are the builders of `shared.components.data.instances`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from shared.components.data.credentials import master_secret, rotate_master_secret
from shared.components.data.instances import (
    PRIMARY_SUBNETS,
    PrimaryInputs,
    ReplicaInputs,
    SharedInputs,
    export_log_groups,
    instance_common,
    master_password,
    monitoring_role,
    parameter_group,
    primary_instance,
    replica_instances,
    replica_qualifiers,
    replica_zones,
    subnet_group,
)
from shared.components.data.parameters import write_parameters
from shared.components.data.proxy import ConnectionProxy, ConnectionProxyArgs, ProxyPool
from shared.components.data.settings import DataSettings
from shared.config import Environment

__all__ = ["Database", "DatabaseArgs", "proxy_pool", "read_replica", "replica_zones"]


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


def proxy_pool(s: DataSettings) -> ProxyPool:
    """The proxy's pool sizes and timeouts from the data settings."""
    return ProxyPool(
        idle_client_timeout_seconds=s.proxy_idle_client_timeout_seconds,
        max_connections_percent=s.proxy_max_connections_percent,
        max_idle_connections_percent=s.proxy_max_idle_connections_percent,
        borrow_timeout_seconds=s.proxy_borrow_timeout_seconds,
    )


def read_replica(replicas: Sequence[aws.rds.Instance], routing: str) -> aws.rds.Instance | None:
    """The replica the app reads from directly (readerRouting 'replica'), or None: reads go through the proxy."""
    return replicas[0] if routing == "replica" and replicas else None


def parameter_values(
    s: DataSettings, proxy_endpoint: pulumi.Input[str], port: pulumi.Output[int], reader_host: pulumi.Input[str]
) -> Mapping[str, pulumi.Input[str]]:
    """What the app reads from SSM (app/contract.py DATABASE_KEYS)."""
    return {
        "host": proxy_endpoint,  # writes go through the proxy
        "port": port.apply(str),
        "name": s.database_name,
        "username": s.app_username,  # the migrate function overrides it with the owner
        "reader_host": reader_host,
        "replica_max_lag_seconds": str(s.replica_max_lag_seconds),
        # The api's role on the replica and its cap (the migrate step sets it: app/roles.py).
        "reader_username": s.reader_username,
        "reader_connection_limit": str(s.reader_connection_limit),
    }


class Database(pulumi.ComponentResource):
    password: random.RandomPassword
    """The master user's first password (Secrets Manager rotation owns the live one)."""
    primary: aws.rds.Instance
    replicas: list[aws.rds.Instance]
    proxy: ConnectionProxy
    master_secret: aws.secretsmanager.Secret
    """The break-glass master credentials."""
    parameters: dict[str, aws.ssm.Parameter]
    """The SecureString parameters the app reads, by key."""
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    reader_resource_ids: pulumi.Output[list[str]]
    """Resource ids of the replica the app reads directly (empty when reads go through the proxy): they
    scope the reading functions' rds-db:connect."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:data:Database", name, None, opts)
        s, env = args.settings, args.env
        self.password = master_password(self, name)
        password = pulumi.Output.secret(self.password.result)
        self.primary, self.replicas = self._instances(name, args, password)
        self.proxy = ConnectionProxy(
            f"{name}-proxy",
            ConnectionProxyArgs(
                env=env,
                db_users=(s.owner_username, s.app_username),
                pool=proxy_pool(s),
                account_id=args.account_id,
                subnet_ids=args.subnet_ids,
                security_group_id=args.security_group_id,
                target_instance_identifier=self.primary.identifier,
                target_resource_id=self.primary.resource_id,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.master_secret = self._master_secret(name, args, self.primary, password)
        self.endpoint = self.primary.address
        self.reader_endpoint = self.replicas[0].address if self.replicas else self.primary.address
        self.port = self.primary.port
        # readerRouting 'replica': the app reads from the first replica directly (IAM token, TLS) and falls
        # back to the primary; the replica's resource id scopes the reading functions' rds-db:connect.
        reader = read_replica(self.replicas, s.reader_routing)
        self.reader_resource_ids = pulumi.Output.all(*([reader.resource_id] if reader else [])).apply(list)
        reader_host = reader.address if reader else self.proxy.endpoint
        self.parameters = write_parameters(
            self, env, name, args.parameter_prefix, args.kms_key_arn,
            parameter_values(s, self.proxy.endpoint, self.port, reader_host),
        )
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "reader_endpoint": self.reader_endpoint,
                "port": self.port,
                "reader_resource_ids": self.reader_resource_ids,
                "proxy_endpoint": self.proxy.endpoint,
                "proxy_arn": self.proxy.arn,
                "master_secret_arn": self.master_secret.arn,
            }
        )

    def _instances(
        self, name: str, args: DatabaseArgs, password: pulumi.Output[str]
    ) -> tuple[aws.rds.Instance, list[aws.rds.Instance]]:
        """The primary and its replicas, with the subnet groups, parameters, logs and role they need."""
        s, env = args.settings, args.env
        subnets = pulumi.Output.from_input(args.subnet_ids)
        zones = pulumi.Output.from_input(args.availability_zones)
        primary_subnets = subnet_group(self, name, env, PRIMARY_SUBNETS, subnets.apply(lambda ids: list(ids[:2])))
        parameters = parameter_group(self, name, env, s)
        role, role_policy = monitoring_role(self, name, env, args.account_id)
        replicas = replica_qualifiers(s.replica_count)
        log_groups = export_log_groups(self, name, env, [None, *replicas], s.log_retention_days, args.logs_kms_key_arn)
        common = instance_common(env, s, SharedInputs(args.security_group_id, parameters.name, args.kms_key_arn, role.arn))
        primary = primary_instance(self, name, env, s, common, PrimaryInputs(
            primary_subnets.name, zones, password, args.kms_key_arn, [*log_groups[None], role_policy]))
        return primary, replica_instances(self, name, env, s, common, ReplicaInputs(
            primary.identifier, subnets, zones, log_groups, role_policy))

    def _master_secret(
        self, name: str, args: DatabaseArgs, primary: aws.rds.Instance, password: pulumi.Output[str]
    ) -> aws.secretsmanager.Secret:
        """The break-glass secret of ``primary``, rotated every ``masterRotationDays`` where set."""
        s, env = args.settings, args.env
        login = {"username": s.master_username, "password": password, "host": primary.address,
                 "port": primary.port, "dbname": s.database_name}
        secret = master_secret(self, env, name, login, args.kms_key_arn)
        if s.master_rotation_days:
            rotate_master_secret(self, env, name, secret, s.master_rotation_days,
                                 args.rotation_subnet_ids, args.rotation_security_group_id, args.kms_key_arn)
        return secret
