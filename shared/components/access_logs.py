"""A bucket for S3 server access logs, built one way for every layer that logs a bucket.

SSE-S3, not a customer key: S3 delivers server access logs only to buckets whose default
encryption is SSE-S3 (Amazon S3 User Guide, "Enabling Amazon S3 server access logging"), which the
policy pack's ``s3-bucket-baseline`` rule requires of a log target. Private, TLS-only, versioned,
logs expire after ``retention_days``. Delivery is authorized by a bucket policy for the logging
service pinned to the source bucket and account (ACLs are disabled).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.config import Environment
from shared.env_policy import env_policy
from shared.naming import resource_name


@dataclass
class AccessLogArgs:
    env: Environment
    """The environment; the bucket is ``serverless-infra-<env>-access-logs-<account>``."""
    account_id: pulumi.Input[str]
    """The AWS account id (bucket names are global; the delivery condition pins it)."""
    retention_days: int
    """Days the logs are kept (the Compliance class decides: 365 for sox)."""
    source_bucket_arn: pulumi.Input[str]
    """The bucket whose requests are logged here."""
    prefix: str
    """Key prefix the source bucket's BucketLogging writes under, e.g. ``artifacts/``."""
    qualifier: str | None = None
    """Set by a second log bucket in the same env (``serverless-infra-<env>-access-logs-<q>-<account>``)."""
    retain_on_delete: bool = False
    """Keep the bucket and its settings when the stack is destroyed (prod: the logs are an audit trail)."""


def access_log_bucket(owner: pulumi.Resource, name: str, args: AccessLogArgs) -> aws.s3.Bucket:
    """The log bucket and its settings, children of ``owner``; logical names start with ``name``."""
    keep = args.retain_on_delete
    child = pulumi.ResourceOptions(parent=owner, retain_on_delete=keep)
    env = args.env
    bucket = aws.s3.Bucket(
        f"{name}-bucket",
        bucket=pulumi.Output.from_input(args.account_id).apply(
            lambda account: resource_name(
                env, "access-logs", f"{args.qualifier}-{account}" if args.qualifier else account, service="s3")),
        force_destroy=env_policy(env).force_destroy_buckets, opts=child,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child,
    )
    public_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access-block", bucket=bucket.id, block_public_acls=True,
        block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True, opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"), opts=child,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256"))],
        opts=child,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle", bucket=bucket.id,
        rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-access-logs", status="Enabled", filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.retention_days),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=1),
        )],
        opts=pulumi.ResourceOptions(parent=owner, depends_on=[versioning], retain_on_delete=keep),
    )
    aws.s3.BucketPolicy(
        f"{name}-policy", bucket=bucket.id,
        policy=pulumi.Output.all(bucket.arn, args.source_bucket_arn, args.account_id).apply(
            lambda a: json.dumps(iam.document([
                # Amazon S3 User Guide, "Permissions for log delivery": the logging service principal,
                # pinned to the source bucket and account.
                {"Sid": "S3ServerAccessLogsDelivery", "Effect": "Allow",
                 "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                 "Resource": f"{a[0]}/{args.prefix}*",
                 "Condition": {"ArnLike": {"aws:SourceArn": a[1]}, "StringEquals": {"aws:SourceAccount": a[2]}}},
                iam.deny_insecure_transport("s3:*", [a[0], f"{a[0]}/*"]),
            ]))),
        opts=pulumi.ResourceOptions(parent=owner, depends_on=[public_block], retain_on_delete=keep),
    )
    return bucket
