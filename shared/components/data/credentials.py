"""The master user's credentials: break-glass only, in a Secrets Manager secret nobody routine reads.

The master user (``masterUsername``) keeps password auth and never holds ``rds_iam``: it is how an operator
gets in when IAM or the proxy is the problem, and how the migrate function creates the owner role once per
database (``{"bootstrap": true}``, docs/data.md). No function signs in as it otherwise; the password is
not in SSM (where every function's config-read policy would reach it).

Why not RDS-managed master passwords (``manage_master_user_password``, rotated by RDS every 7 days): RDS
does not support creating a read replica of an instance whose master password it manages ("Limitations
for Secrets Manager integration with Amazon RDS", RDS User Guide, rds-secrets-manager), and prod has one.
Rotation is a ``pulumi up --replace`` of the random password (docs/data.md, "Credentials and rotation").
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from shared.config import Environment
from shared.naming import resource_name


def master_secret(
    parent: pulumi.Resource,
    env: Environment,
    name: str,
    username: str,
    password: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str],
) -> aws.secretsmanager.Secret:
    secret = aws.secretsmanager.Secret(
        f"{name}-master-credentials",
        name=resource_name(env, "db", "master-credentials"),
        description="Break-glass master credentials of the database (password auth, straight to the instance)",
        kms_key_id=kms_key_arn,
        # Outside prod a destroyed stack can be re-created at once under the same name.
        recovery_window_in_days=30 if env is Environment.PROD else 0,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.secretsmanager.SecretVersion(
        f"{name}-master-credentials-value",
        secret_id=secret.id,
        secret_string=pulumi.Output.secret(pulumi.Output.json_dumps({"username": username, "password": password})),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return secret
