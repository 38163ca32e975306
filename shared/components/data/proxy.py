"""RDS Proxy in front of the primary, end-to-end IAM: 1000 concurrent functions share a bounded pool.

Clients sign an IAM token for the proxy (``rds-db:connect`` on ``dbuser:<prx-id>/<user>``), and the proxy
signs its own for the database (``default_auth_scheme = IAM_AUTH``; its role holds ``rds-db:connect`` on
``dbuser:<db-resource-id>/<user>`` for the owner and app roles only). The proxy holds no password and no
Secrets Manager secret, so there is nothing of it to rotate: every token lives 15 minutes and is signed
with the role's own short-lived credentials, which AWS rotates. AWS documents this mode as the
alternative to one secret per database user (RDS User Guide, "Setting up database credentials for RDS
Proxy", rds-proxy-secrets-arns; "Migrating to end-to-end IAM authentication", rds-proxy-iam-migration).

The roles must hold ``rds_iam`` (PostgreSQL then refuses them passwords): the owner gets it at the
bootstrap, the app role in migration 0003 (app/roles.py). The master user never gets it, so break-glass
keeps its password, straight to the instance. TLS is required on both legs.

RDS Proxy cannot target an RDS for PostgreSQL read replica (read-only proxy endpoints serve Aurora
clusters only), so there is no READ_ONLY ``ProxyEndpoint`` here: see docs/decisions.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.config import Environment
from shared.naming import resource_name


@dataclass(frozen=True)
class ProxyPool:
    """How the proxy shares the primary's connections (``serverless-infra-data:proxy*`` settings)."""

    idle_client_timeout_seconds: int
    """A client connection idle this long is closed (IdleClientTimeout)."""
    max_connections_percent: int
    """Share of the instance's max_connections the pool may open (MaxConnectionsPercent)."""
    max_idle_connections_percent: int
    """Share of max_connections the pool may keep idle (MaxIdleConnectionsPercent)."""
    borrow_timeout_seconds: int
    """How long a client waits for a pooled connection before the proxy refuses it (ConnectionBorrowTimeout)."""


@dataclass
class ConnectionProxyArgs:
    env: Environment
    """The environment; every name derives from it."""
    db_users: Sequence[str]
    """The database roles the proxy signs in as (owner and app; never the master user)."""
    pool: ProxyPool
    """Pool sizes and timeouts."""
    account_id: pulumi.Input[str]
    """The AWS account id, for the proxy role's rds-db:connect resources."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """The isolated database subnets (the proxy needs two AZs or more)."""
    security_group_id: pulumi.Input[str]
    """The database security group: Lambda may reach the proxy, the proxy may reach the instances."""
    target_instance_identifier: pulumi.Input[str]
    """The primary instance the proxy pools connections to."""
    target_resource_id: pulumi.Input[str]
    """The primary's resource id (db-...), which IAM database auth names in rds-db:connect."""


def connect_policy(account_id: str, resource_id: str, users: Sequence[str]) -> dict[str, Any]:
    """The proxy role's policy: ``rds-db:connect`` as each of ``users`` on the instance ``resource_id``."""
    arns = [iam.rds_db_user_arn(account_id, resource_id, user) for user in users]
    return iam.document([iam.allow("ConnectAsAppRoles", ["rds-db:connect"], arns)])


def proxy_role(parent: pulumi.Resource, name: str, env: Environment) -> aws.iam.Role:
    """The role the proxy assumes to sign its IAM tokens for the database."""
    # The trust AWS documents for the proxy role: no aws:SourceAccount. RDS Proxy documents no source
    # condition keys for this AssumeRole, and a key it does not send would leave its targets UNAVAILABLE.
    return aws.iam.Role(
        f"{name}-role",
        name=resource_name(env, "role", "db-proxy", service="iam"),
        description="RDS Proxy signs in to PostgreSQL as the owner and app roles with IAM tokens",
        assume_role_policy=json.dumps(iam.service_trust_policy("rds.amazonaws.com")),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def proxy_connect_policy(
    parent: pulumi.Resource, name: str, role: aws.iam.Role, args: ConnectionProxyArgs
) -> aws.iam.RolePolicy:
    """`connect_policy` attached to ``role``, once the primary's resource id is known."""
    users = list(args.db_users)
    return aws.iam.RolePolicy(
        f"{name}-connect",
        role=role.id,
        policy=pulumi.Output.all(args.account_id, args.target_resource_id).apply(
            lambda a: json.dumps(connect_policy(a[0], a[1], users))
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def db_proxy(
    parent: pulumi.Resource, name: str, args: ConnectionProxyArgs, role: aws.iam.Role, role_policy: aws.iam.RolePolicy
) -> aws.rds.Proxy:
    """The proxy itself: TLS only, IAM auth end to end, in the database subnets."""
    return aws.rds.Proxy(
        f"{name}",
        name=resource_name(args.env, "db-proxy", service="rds"),
        engine_family="POSTGRESQL",
        require_tls=True,
        debug_logging=False,
        idle_client_timeout=args.pool.idle_client_timeout_seconds,
        role_arn=role.arn,
        vpc_subnet_ids=args.subnet_ids,
        vpc_security_group_ids=[args.security_group_id],
        # No auths (pulumi-aws: required only when default_auth_scheme is NONE): no secret per user.
        default_auth_scheme="IAM_AUTH",
        # The proxy signs in as soon as it exists: before its role may rds-db:connect, its targets would
        # report UNAVAILABLE with AUTH_FAILURE (RDS Proxy troubleshooting,
        # docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.troubleshooting.html).
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[role_policy]),
    )


def primary_target(
    parent: pulumi.Resource, name: str, proxy: aws.rds.Proxy, pool: ProxyPool, instance_identifier: pulumi.Input[str]
) -> aws.rds.ProxyTarget:
    """The default target group's pool settings and the primary registered in it."""
    child = pulumi.ResourceOptions(parent=parent)
    target_group = aws.rds.ProxyDefaultTargetGroup(
        f"{name}-pool",
        db_proxy_name=proxy.name,
        connection_pool_config=aws.rds.ProxyDefaultTargetGroupConnectionPoolConfigArgs(
            max_connections_percent=pool.max_connections_percent,
            max_idle_connections_percent=pool.max_idle_connections_percent,
            connection_borrow_timeout=pool.borrow_timeout_seconds,
        ),
        opts=child,
    )
    return aws.rds.ProxyTarget(
        f"{name}-primary-target",
        db_proxy_name=proxy.name,
        target_group_name=target_group.name,
        db_instance_identifier=instance_identifier,
        opts=child,
    )


class ConnectionProxy(pulumi.ComponentResource):
    role: aws.iam.Role
    """The role the proxy signs its database tokens with."""
    proxy: aws.rds.Proxy
    endpoint: pulumi.Output[str]
    """Where clients connect (writes, and reads unless readerRouting sends them to a replica)."""
    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    """The proxy's name (CloudWatch metrics and `aws rds describe-db-proxy-targets` use it)."""

    def __init__(
        self, name: str, args: ConnectionProxyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("serverless-infra:data:ConnectionProxy", name, None, opts)
        self.role = proxy_role(self, name, args.env)
        role_policy = proxy_connect_policy(self, name, self.role, args)
        self.proxy = db_proxy(self, name, args, self.role, role_policy)
        primary_target(self, name, self.proxy, args.pool, args.target_instance_identifier)
        self.endpoint = self.proxy.endpoint
        self.arn = self.proxy.arn
        self.name = self.proxy.name
        self.register_outputs({"endpoint": self.endpoint, "arn": self.arn, "name": self.name})
