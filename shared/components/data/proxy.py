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

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.data.settings import DataSettings
from shared.config import Environment
from shared.naming import resource_name


@dataclass
class ConnectionProxyArgs:
    env: Environment
    """The environment; every name derives from it."""
    settings: DataSettings
    """Pool sizes, timeouts and the role names the proxy signs in as."""
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


class ConnectionProxy(pulumi.ComponentResource):
    endpoint: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ConnectionProxyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("serverless-infra:data:ConnectionProxy", name, None, opts)
        s, env = args.settings, args.env
        child = pulumi.ResourceOptions(parent=self)

        # The trust AWS documents for the proxy role: no aws:SourceAccount. RDS Proxy documents no source
        # condition keys for this AssumeRole, and a key it does not send would leave its targets UNAVAILABLE.
        self.role = aws.iam.Role(
            f"{name}-role",
            name=resource_name(env, "role", "db-proxy", service="iam"),
            description="RDS Proxy signs in to PostgreSQL as the owner and app roles with IAM tokens",
            assume_role_policy=json.dumps(iam.service_trust_policy("rds.amazonaws.com")),
            opts=child,
        )
        users = (s.owner_username, s.app_username)
        role_policy = aws.iam.RolePolicy(
            f"{name}-connect",
            role=self.role.id,
            policy=pulumi.Output.all(args.account_id, args.target_resource_id).apply(
                lambda a: json.dumps(
                    iam.document(
                        [
                            iam.allow(
                                "ConnectAsAppRoles",
                                ["rds-db:connect"],
                                [iam.rds_db_user_arn(a[0], a[1], user) for user in users],
                            )
                        ]
                    )
                )
            ),
            opts=child,
        )

        self.proxy = aws.rds.Proxy(
            f"{name}",
            name=resource_name(env, "db-proxy", service="rds"),
            engine_family="POSTGRESQL",
            require_tls=True,
            debug_logging=False,
            idle_client_timeout=s.proxy_idle_client_timeout_seconds,
            role_arn=self.role.arn,
            vpc_subnet_ids=args.subnet_ids,
            vpc_security_group_ids=[args.security_group_id],
            # No auths (pulumi-aws: required only when default_auth_scheme is NONE): no secret per user.
            default_auth_scheme="IAM_AUTH",
            # The proxy signs in as soon as it exists: before its role may rds-db:connect, its targets would
            # report UNAVAILABLE with AUTH_FAILURE (RDS Proxy troubleshooting,
            # docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.troubleshooting.html).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        target_group = aws.rds.ProxyDefaultTargetGroup(
            f"{name}-pool",
            db_proxy_name=self.proxy.name,
            connection_pool_config=aws.rds.ProxyDefaultTargetGroupConnectionPoolConfigArgs(
                max_connections_percent=s.proxy_max_connections_percent,
                max_idle_connections_percent=s.proxy_max_idle_connections_percent,
                connection_borrow_timeout=s.proxy_borrow_timeout_seconds,
            ),
            opts=child,
        )
        aws.rds.ProxyTarget(
            f"{name}-primary-target",
            db_proxy_name=self.proxy.name,
            target_group_name=target_group.name,
            db_instance_identifier=args.target_instance_identifier,
            opts=child,
        )
        self.endpoint = self.proxy.endpoint
        self.arn = self.proxy.arn
        self.name = self.proxy.name
        self.register_outputs({"endpoint": self.endpoint, "arn": self.arn})
