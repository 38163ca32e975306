"""The master user's credentials: break-glass only, in a Secrets Manager secret nobody routine reads.

The master user (``masterUsername``) keeps password auth and never holds ``rds_iam``: it is how an operator
gets in when IAM or the proxy is the problem, and how the migrate function creates the owner role once per
database (``{"bootstrap": true}``, docs/data.md). No function signs in as it otherwise; the password is
not in SSM (where every function's config-read policy would reach it).

Why not RDS-managed master passwords (``manage_master_user_password``, rotated by RDS every 7 days): RDS
does not support creating a read replica of an instance whose master password it manages ("Limitations
for Secrets Manager integration with Amazon RDS", RDS User Guide, rds-secrets-manager), and prod has one.
Instead Secrets Manager rotates the secret on a schedule (``masterRotationDays``) with AWS's own
single-user PostgreSQL rotation function, deployed from the Serverless Application Repository into the
private subnets with the Lambda security group (it reaches the instance on 5432 and Secrets Manager
through its VPC endpoint). The secret carries what that function expects (engine, host, port, dbname,
username, password: Secrets Manager User Guide, "rotation function templates", RDS PostgreSQL single
user). After a rotation the live password is the secret's, not the Pulumi random one: the secret version
ignores later ``secret_string`` changes, and Pulumi never diffs the instance's password against the live
one (RDS does not return it), so neither reverts a rotation.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from shared.config import REGION, Environment
from shared.env_policy import env_policy
from shared.naming import resource_name

# AWS's rotation function for one RDS for PostgreSQL user with a single password, published by AWS (account
# 297356227824) in the Serverless Application Repository; it outputs RotationLambdaARN. Its parameters
# (endpoint, functionName, vpcSubnetIds, vpcSecurityGroupIds, excludeCharacters, kmsKeyArn for a secret under
# a customer key) are the ones AWS CDK's SecretRotation passes (aws-cdk, aws-secretsmanager/secret-rotation.ts).
# No semantic_version: the provider deploys the latest at creation; pin one for byte-identical re-creations.
ROTATION_APPLICATION_ID = (
    "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser"
)


def master_secret(
    parent: pulumi.Resource,
    env: Environment,
    name: str,
    login: dict[str, pulumi.Input[str] | pulumi.Input[int]],
    kms_key_arn: pulumi.Input[str],
) -> aws.secretsmanager.Secret:
    """The secret; ``login`` holds username, password, host, port and dbname (what rotation needs)."""
    secret = aws.secretsmanager.Secret(
        f"{name}-master-credentials",
        name=resource_name(env, "db", "master-credentials"),
        description="Break-glass master credentials of the database (password auth, straight to the instance)",
        kms_key_id=kms_key_arn,
        # Outside prod a destroyed stack can be re-created at once under the same name.
        recovery_window_in_days=env_policy(env).secret_recovery_window_days,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.secretsmanager.SecretVersion(
        f"{name}-master-credentials-value",
        secret_id=secret.id,
        secret_string=pulumi.Output.secret(pulumi.Output.json_dumps({"engine": "postgres", **login})),
        # The first value only: from then on rotation owns it (a refresh must not lead `up` to revert it).
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["secret_string"]),
    )
    return secret


def rotate_master_secret(
    parent: pulumi.Resource,
    env: Environment,
    name: str,
    secret: aws.secretsmanager.Secret,
    days: int,
    subnet_ids: pulumi.Input[Sequence[str]],
    security_group_id: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str],
) -> aws.secretsmanager.SecretRotation:
    """Deploy AWS's rotation function next to the functions and rotate the master secret every ``days``."""
    function = aws.serverlessrepository.CloudFormationStack(
        f"{name}-master-rotation-function",
        name=resource_name(env, "db", "master-rotation"),
        application_id=ROTATION_APPLICATION_ID,
        # The template creates the function's role and its resource policy for Secrets Manager.
        capabilities=["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"],
        parameters={
            "endpoint": f"https://secretsmanager.{REGION}.amazonaws.com",  # private DNS: the VPC endpoint
            "functionName": resource_name(env, "db-master-rotation", service="lambda"),
            "vpcSubnetIds": pulumi.Output.from_input(subnet_ids).apply(",".join),
            "vpcSecurityGroupIds": security_group_id,
            "kmsKeyArn": kms_key_arn,
            # Characters RDS forbids in master passwords, and quoting hazards for psql and URLs.
            "excludeCharacters": "/@\"' \\",
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return aws.secretsmanager.SecretRotation(
        f"{name}-master-rotation",
        secret_id=secret.id,
        rotation_lambda_arn=function.outputs.apply(lambda outputs: outputs["RotationLambdaARN"]),
        rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(automatically_after_days=days),
        opts=pulumi.ResourceOptions(parent=parent),
    )
