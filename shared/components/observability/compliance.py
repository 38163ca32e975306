"""The Compliance component: AWS Config recorder + delivery channel (or the account's existing ones) and
the managed rules that match this stack.

A recorder and a delivery channel are one per account and region: PutConfigurationRecorder refuses a
second (MaxNumberOfConfigurationRecordersExceededException). ``awsConfig.recorder: existing`` uses the
account's recorder and only adds this env's rules; `shared.components.observability.accounts` refuses,
before anything is deployed, two envs of one account that would both create one.
Identifiers: https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.access_logs import AccessLogArgs, access_log_bucket
from shared.components.observability.settings import ConfigSettings
from shared.config import Environment
from shared.env_policy import env_policy
from shared.naming import resource_name
from shared.tags import REQUIRED_TAG_KEYS

# The resource types of this stack the recorder records (those Config supports), and the rules' scopes.
RECORDED_TYPES = (
    "AWS::Lambda::Function", "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage", "AWS::RDS::DBInstance",
    "AWS::RDS::DBSnapshot", "AWS::RDS::DBSubnetGroup", "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::SNS::Topic",
    "AWS::KMS::Key", "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup", "AWS::EC2::VPCEndpoint",
    "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::SecretsManager::Secret",
)
CONFIG_ROLE_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"  # AWS managed, read-only describe


@dataclass(frozen=True)
class ManagedRule:
    identifier: str
    why: str
    periodic: bool = False  # evaluated on a schedule (account-wide), not on configuration changes
    parameters: dict[str, str] | None = None
    scope_types: tuple[str, ...] = ()  # for rules that must see untagged resources too


MANAGED_RULES: tuple[ManagedRule, ...] = (
    ManagedRule("LAMBDA_INSIDE_VPC", "functions run in the isolated subnets"),
    ManagedRule("LAMBDA_CONCURRENCY_CHECK", "functions carry a reserved concurrency"),
    ManagedRule("LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED", "no function policy grants the public"),
    ManagedRule("RDS_STORAGE_ENCRYPTED", "database storage encrypted"),
    ManagedRule("RDS_MULTI_AZ_SUPPORT", "the primary is Multi-AZ (prod)"),
    ManagedRule("DB_INSTANCE_BACKUP_ENABLED", "automated backups on"),
    ManagedRule("RDS_INSTANCE_PUBLIC_ACCESS_CHECK", "no database is publicly accessible"),
    ManagedRule("RDS_INSTANCE_DELETION_PROTECTION_ENABLED", "deletion protection (prod)"),
    ManagedRule("RDS_SNAPSHOTS_PUBLIC_PROHIBITED", "no snapshot is public"),
    ManagedRule("S3_BUCKET_SSL_REQUESTS_ONLY", "buckets refuse plain HTTP"),
    ManagedRule("S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", "buckets block public access"),
    ManagedRule("S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "buckets encrypt by default"),
    ManagedRule("S3_BUCKET_VERSIONING_ENABLED", "buckets keep versions (artifacts, Config history)"),
    ManagedRule("SNS_ENCRYPTED_KMS", "topics encrypted with KMS"),
    ManagedRule("VPC_DEFAULT_SECURITY_GROUP_CLOSED", "the default security group allows nothing"),
    ManagedRule("API_GW_CACHE_ENABLED_AND_ENCRYPTED", "the stage cache is on and encrypted"),
    ManagedRule("API_GW_EXECUTION_LOGGING_ENABLED", "stage execution logging on"),
    ManagedRule("API_GW_XRAY_ENABLED", "the stage traces with X-Ray (the sampling rule applies there)"),
    ManagedRule("CLOUDWATCH_LOG_GROUP_ENCRYPTED", "log groups encrypted with KMS", periodic=True),
    ManagedRule("CMK_BACKING_KEY_ROTATION_ENABLED", "customer keys rotate", periodic=True),
    ManagedRule("VPC_FLOW_LOGS_ENABLED", "the VPC has flow logs", periodic=True),
    ManagedRule("REQUIRED_TAGS", "every resource carries the six tags",
                parameters={f"tag{i}Key": key for i, key in enumerate(REQUIRED_TAG_KEYS, start=1)},
                scope_types=("AWS::Lambda::Function", "AWS::RDS::DBInstance", "AWS::S3::Bucket", "AWS::SQS::Queue",
                             "AWS::SNS::Topic", "AWS::KMS::Key", "AWS::EC2::VPC", "AWS::EC2::SecurityGroup",
                             "AWS::ApiGateway::Stage")),
)
MANAGED_RULE_IDS = frozenset(rule.identifier for rule in MANAGED_RULES)


def rules_for(settings: ConfigSettings) -> list[ManagedRule]:
    unknown = set(settings.exclude_rules) - MANAGED_RULE_IDS
    if unknown:
        raise ValueError(f"awsConfig.excludeRules: {sorted(unknown)} are not rules this layer creates "
                         f"({', '.join(sorted(MANAGED_RULE_IDS))})")
    return [rule for rule in MANAGED_RULES if rule.identifier not in settings.exclude_rules]


def rule_name(env: Environment, identifier: str) -> str:
    return resource_name(env, "config", identifier.lower().replace("_", "-"), service="config_rule")


def delivery_role_policy(bucket_arn: str, account_id: str, key_arn: str) -> dict[str, Any]:
    """What the recorder's role needs to deliver (AWS Config developer guide, "Permissions for the S3 bucket")."""
    return iam.document([
        iam.allow("DeliverHistory", ["s3:PutObject", "s3:PutObjectAcl"], [f"{bucket_arn}/AWSLogs/{account_id}/Config/*"],
                  {"StringLike": {"s3:x-amz-acl": "bucket-owner-full-control"}}),
        iam.allow("CheckBucket", ["s3:GetBucketAcl"], [bucket_arn]),
        iam.allow("EncryptHistory", ["kms:GenerateDataKey", "kms:Decrypt"], [key_arn]),
    ])


@dataclass
class ComplianceArgs:
    env: Environment
    """The environment."""
    settings: ConfigSettings
    """awsConfig settings."""
    account_id: pulumi.Input[str]
    """The AWS account id."""
    key_arn: pulumi.Input[str]
    """KMS key the delivered history is encrypted with."""


@dataclass(frozen=True)
class ConfigBucket:
    """The configuration-history bucket and the settings a delivery channel must wait for."""

    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
    encryption: aws.s3.BucketServerSideEncryptionConfiguration


@dataclass(frozen=True)
class RecorderSetup:
    """What `config_recorder` made: the recorder's name, the bucket, and the resource rules wait for."""

    recorder_name: str
    bucket_name: pulumi.Output[str]
    recording: pulumi.Resource


def rule_scope(rule: ManagedRule, env: Environment) -> aws.cfg.RuleScopeArgs | None:
    """Which resources a rule judges: its listed types, else this env's tagged resources; periodic rules the account."""
    if rule.scope_types:
        return aws.cfg.RuleScopeArgs(compliance_resource_types=list(rule.scope_types))
    if not rule.periodic:  # envs sharing an account judge only their own resources
        return aws.cfg.RuleScopeArgs(tag_key="Environment", tag_value=env.value)
    return None


def history_bucket(parent: pulumi.Resource, name: str, args: ComplianceArgs) -> ConfigBucket:
    """The bucket Config delivers history to: private, versioned, KMS-encrypted, TLS-only, its access logged."""
    env, days, child = args.env, args.settings.bucket_retention_days, pulumi.ResourceOptions(parent=parent)
    bucket_name = pulumi.Output.from_input(args.account_id).apply(
        lambda account: resource_name(env, "config", account, service="s3"))
    bucket = aws.s3.Bucket(f"{name}-bucket", bucket=bucket_name, force_destroy=env_policy(env).force_destroy_buckets,
                           opts=child)
    # The configuration history is audit evidence: requests to it are logged too (policy pack, docs/security.md).
    access_logs = access_log_bucket(parent, f"{name}-access-logs", AccessLogArgs(
        env, args.account_id, days, bucket.arn, "config/", qualifier="config"))
    aws.s3.BucketLogging(f"{name}-access-logging", bucket=bucket.id, target_bucket=access_logs.id,
                         target_prefix="config/", opts=child)
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child)
    public_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access-block", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
        ignore_public_acls=True, restrict_public_buckets=True, opts=child)
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"), opts=child)
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=args.key_arn),
            bucket_key_enabled=True)],
        opts=child)
    history_lifecycle(parent, name, bucket, days, versioning)
    policy = aws.s3.BucketPolicy(
        f"{name}-tls-only", bucket=bucket.id,
        policy=bucket.arn.apply(
            lambda arn: json.dumps(iam.document([iam.deny_insecure_transport("s3:*", [arn, f"{arn}/*"])]))),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_block]))
    return ConfigBucket(bucket, policy, encryption)


def history_lifecycle(
    parent: pulumi.Resource, name: str, bucket: aws.s3.Bucket, days: int, versioning: aws.s3.BucketVersioning
) -> aws.s3.BucketLifecycleConfiguration:
    """History expires after ``days``; replaced versions after 30 days; abandoned uploads after 7."""
    return aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle", bucket=bucket.id,
        rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-config-history", status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=30),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=7))],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]))


def recorder_role(parent: pulumi.Resource, name: str, args: ComplianceArgs, bucket: aws.s3.Bucket) -> aws.iam.Role:
    """The role Config records with (AWS_ConfigRole) and delivers history through (`delivery_role_policy`)."""
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        f"{name}-role", name=resource_name(args.env, "config-recorder", service="iam"),
        assume_role_policy=pulumi.Output.from_input(args.account_id).apply(
            lambda acct: json.dumps(iam.assume_role_policy("config.amazonaws.com", acct))),
        managed_policy_arns=[CONFIG_ROLE_POLICY_ARN], opts=child)
    aws.iam.RolePolicy(
        f"{name}-delivery", role=role.id,
        policy=pulumi.Output.all(bucket.arn, args.account_id, args.key_arn).apply(
            lambda a: json.dumps(delivery_role_policy(a[0], a[1], a[2]))),
        opts=child)
    return role


def config_recorder(parent: pulumi.Resource, name: str, args: ComplianceArgs) -> RecorderSetup:
    """This account's recorder, delivery channel and history bucket, recording (awsConfig.recorder 'create')."""
    env, s = args.env, args.settings
    history = history_bucket(parent, name, args)
    role = recorder_role(parent, name, args, history.bucket)
    recorder_name = resource_name(env, "config-recorder")
    recorder = aws.cfg.Recorder(
        f"{name}-recorder", name=recorder_name, role_arn=role.arn,
        recording_group=aws.cfg.RecorderRecordingGroupArgs(
            all_supported=False, include_global_resource_types=False, resource_types=list(RECORDED_TYPES)),
        recording_mode=aws.cfg.RecorderRecordingModeArgs(recording_frequency=s.recording_frequency),
        opts=pulumi.ResourceOptions(parent=parent))
    channel = aws.cfg.DeliveryChannel(
        f"{name}-delivery-channel", name=resource_name(env, "config-delivery"), s3_bucket_name=history.bucket.id,
        s3_kms_key_arn=args.key_arn,
        snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(
            delivery_frequency=s.snapshot_frequency),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[recorder, history.policy, history.encryption]))
    status = aws.cfg.RecorderStatus(
        f"{name}-recorder-status", name=recorder.name, is_enabled=True,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[channel]))
    return RecorderSetup(recorder_name, history.bucket.id, status)


class Compliance(pulumi.ComponentResource):
    recorder_name: str
    """The recorder this stack created, or "" when it uses the account's existing one."""
    bucket_name: pulumi.Output[str]
    """The configuration-history bucket this stack created, or ""."""
    rule_names: dict[str, str]
    """Config rule names by managed-rule identifier."""

    def __init__(self, name: str, args: ComplianceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:observability:Compliance", name, None, opts)
        env = args.env
        setup = config_recorder(self, name, args) if args.settings.recorder == "create" else None
        ready = [setup.recording] if setup else []
        self.recorder_name = setup.recorder_name if setup else ""
        self.bucket_name = setup.bucket_name if setup else pulumi.Output.from_input("")
        self.rule_names = {}
        for rule in rules_for(args.settings):
            self.rule_names[rule.identifier] = rule_name(env, rule.identifier)
            aws.cfg.Rule(
                f"{name}-{rule.identifier.lower().replace('_', '-')}",
                name=self.rule_names[rule.identifier],
                description=rule.why,
                source=aws.cfg.RuleSourceArgs(owner="AWS", source_identifier=rule.identifier),
                input_parameters=json.dumps(rule.parameters) if rule.parameters else None,
                maximum_execution_frequency="TwentyFour_Hours" if rule.periodic else None,
                scope=rule_scope(rule, env),
                opts=pulumi.ResourceOptions(parent=self, depends_on=ready),  # a rule needs a recording recorder
            )
        self.register_outputs(
            {"rule_names": self.rule_names, "recorder_name": self.recorder_name, "bucket_name": self.bucket_name}
        )
