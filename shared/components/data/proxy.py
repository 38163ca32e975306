"""RDS Proxy in front of the primary: 1000 concurrent functions share a bounded pool of connections.

The proxy signs in to PostgreSQL with the master credentials from a Secrets Manager secret
(encrypted with the database key) and lets clients in with IAM tokens (or the password when
``proxyIamAuth`` is DISABLED); TLS is required on both legs.

Why not ``default_auth_scheme = IAM_AUTH`` (end-to-end IAM, which pulumi-aws 7.51 supports): the
proxy would then sign in as a database user that holds the ``rds_iam`` role, and PostgreSQL refuses
password logins to such a user. That role has to be granted in SQL after the instance exists, so
the stack could not bring up a working proxy by itself, and the password path (migrations,
break-glass) would be lost for that user. The secret costs $0.40/month.

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
from shared.config import REGION, Environment
from shared.naming import resource_name


@dataclass
class ConnectionProxyArgs:
    env: Environment
    """The environment; every name derives from it."""
    settings: DataSettings
    """Pool sizes, timeouts and the client auth mode."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """The isolated database subnets (the proxy needs two AZs or more)."""
    security_group_id: pulumi.Input[str]
    """The database security group: Lambda may reach the proxy, the proxy may reach the instances."""
    kms_key_arn: pulumi.Input[str]
    """The database key: encrypts the credentials secret."""
    target_instance_identifier: pulumi.Input[str]
    """The primary instance the proxy pools connections to."""
    password: pulumi.Input[str]
    """The master password (a secret Output from pulumi-random), stored in the proxy's secret."""


class ConnectionProxy(pulumi.ComponentResource):
    endpoint: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ConnectionProxyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("serverless-infra:data:ConnectionProxy", name, None, opts)
        s, env = args.settings, args.env
        child = pulumi.ResourceOptions(parent=self)

        self.secret = aws.secretsmanager.Secret(
            f"{name}-credentials",
            name=resource_name(env, "db", "proxy-credentials"),
            description="Master credentials RDS Proxy uses to sign in to PostgreSQL",
            kms_key_id=args.kms_key_arn,
            # Outside prod a destroyed stack can be re-created at once under the same name.
            recovery_window_in_days=30 if env is Environment.PROD else 0,
            opts=child,
        )
        secret_value = aws.secretsmanager.SecretVersion(
            f"{name}-credentials-value",
            secret_id=self.secret.id,
            secret_string=pulumi.Output.secret(
                pulumi.Output.json_dumps({"username": s.master_username, "password": args.password})
            ),
            opts=child,
        )

        # The trust AWS documents for the proxy role (RDS Proxy setup, "RDS - Add Role to Database"):
        # no aws:SourceAccount. RDS Proxy documents no source condition keys for this AssumeRole, and a
        # key it does not send would leave the proxy unable to read its secret (targets UNAVAILABLE).
        self.role = aws.iam.Role(
            f"{name}-role",
            name=resource_name(env, "role", "db-proxy", service="iam"),
            description="RDS Proxy reads its database credentials",
            assume_role_policy=json.dumps(iam.service_trust_policy("rds.amazonaws.com")),
            opts=child,
        )
        read_credentials = aws.iam.RolePolicy(
            f"{name}-read-credentials",
            role=self.role.id,
            policy=pulumi.Output.all(self.secret.arn, args.kms_key_arn).apply(
                lambda a: json.dumps(
                    iam.document(
                        [
                            iam.allow("ReadCredentials", ["secretsmanager:GetSecretValue"], [a[0]]),
                            iam.allow(
                                "DecryptCredentials",
                                ["kms:Decrypt"],
                                [a[1]],
                                {
                                    "StringEquals": {
                                        "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"
                                    }
                                },
                            ),
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
            auths=[
                aws.rds.ProxyAuthArgs(
                    auth_scheme="SECRETS",
                    secret_arn=self.secret.arn,
                    iam_auth=s.proxy_iam_auth,
                    client_password_auth_type="POSTGRES_SCRAM_SHA_256",
                    description="master credentials; clients sign in with IAM tokens when REQUIRED",
                )
            ],
            # The proxy reads its secret as soon as it exists: with no secret value yet, or before its role may
            # read and decrypt it, its targets report UNAVAILABLE with Reason AUTH_FAILURE (RDS Proxy
            # troubleshooting, docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.troubleshooting.html).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[secret_value, read_credentials]),
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
        self.register_outputs({"endpoint": self.endpoint, "arn": self.arn, "secret_arn": self.secret.arn})
