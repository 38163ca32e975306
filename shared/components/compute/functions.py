"""One Lambda function the way every function of this stack is built.

Its own execution role (least privilege: its log group, X-Ray, VPC ENIs, env-var key, plus the
statements the caller passes), its log group created first (retention, KMS), VPC placement, active
tracing, JSON logs, env vars with pointers only (encrypted with the ``lambda`` key), reserved
concurrency, a published version behind the ``live`` alias, and its async-invoke configuration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.compute.settings import FunctionSettings
from shared.config import REGION, Environment
from shared.naming import LIVE_ALIAS, log_group_name, resource_name

# AWSLambdaVPCAccessExecutionRole's actions, scoped where the Service Authorization Reference gives them
# resource types (list_amazonec2.html): CreateNetworkInterface names the subnet, the security group and
# the new ENI; the ENI actions take network-interface ARNs of this account and region (the Lambda
# developer guide, "Giving Lambda functions access to a VPC", accepts all ENI ids of the account for
# DeleteNetworkInterface). The Describe calls have no resource type: "*" (policy/serverless_infra_policy/
# iam_reference.py lists them). If a function ever shows "The provided execution role does not have
# permissions to call CreateNetworkInterface on EC2", this scoping is the first suspect (docs/security.md).
ENI_CREATE_ACTIONS = ["ec2:CreateNetworkInterface"]
ENI_MANAGE_ACTIONS = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
ENI_DESCRIBE_ACTIONS = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
XRAY_ACTIONS = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
]
# The trust policy AWS itself writes for execution roles. No aws:SourceAccount/SourceArn condition:
# Lambda does not document those keys for assuming an execution role, and a condition it does not
# send makes every CreateFunction fail with "cannot be assumed by Lambda".
LAMBDA_TRUST_POLICY = iam.document(
    [
        {
            "Sid": "TrustLambda",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
)
_LOG_LEVEL = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARN", "ERROR": "ERROR"}


@dataclass
class CodeLocation:
    """Where the function code zip sits in the artifacts bucket."""

    bucket: pulumi.Input[str]
    """The artifacts bucket name."""
    key: pulumi.Input[str]
    """The key of the *signed* app.zip: each signing job writes a new key, so it pins the exact bytes."""
    sha256_base64: str
    """base64 sha256 of the unsigned zip: a new value publishes a new version. ``source_code_hash`` is a
    synthetic trigger the provider tracks; it need not match Lambda's CodeSha256 (pulumi-aws Function docs),
    which is the signed copy's."""


@dataclass
class LambdaFunctionArgs:
    env: Environment
    """The environment; names derive from it."""
    function: str
    """Short name: api, worker, dlq-analyzer or migrate (-> serverless-infra-{env}-<function>)."""
    handler: str
    """Python entry point, e.g. app.handlers.api.lambda_handler."""
    settings: FunctionSettings
    """Memory, timeout and reserved concurrency."""
    runtime: str
    """Lambda runtime identifier, e.g. python3.12 (from the build manifest)."""
    architecture: str
    """arm64 or x86_64 (from the build manifest)."""
    code: CodeLocation
    """The code zip in S3."""
    layer_arns: Sequence[pulumi.Input[str]]
    """Layer version ARNs (the dependency layer)."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets the function's ENIs live in."""
    security_group_id: pulumi.Input[str]
    """The network layer's Lambda security group."""
    logs_key_arn: pulumi.Input[str]
    """KMS key of the log group."""
    env_key_arn: pulumi.Input[str]
    """KMS key encrypting the environment variables."""
    log_retention_days: int
    """Log group retention (a value CloudWatch accepts)."""
    log_level: str
    """Application log level: DEBUG, INFO, WARNING or ERROR."""
    variables: Mapping[str, pulumi.Input[str]]
    """Environment variables: pointers only, never secret values."""
    account_id: pulumi.Input[str]
    """The AWS account id: scopes the ENI statements to this account's subnets and interfaces."""
    statements: Sequence[iam.Statement] = field(default_factory=list)
    """Extra least-privilege statements (their values may be Outputs)."""
    managed_policy_arns: Sequence[pulumi.Input[str]] = field(default_factory=list)
    """Managed policies to attach (the security layer's config-read policy)."""
    async_retry_attempts: int = 2
    """Async invocation retries (0-2)."""
    async_max_event_age_seconds: int = 3600
    """Async events older than this are dropped to the failure destination."""
    async_failure_destination_arn: pulumi.Input[str] | None = None
    """Where failed async invocation records go (SQS/SNS ARN), or None."""
    code_signing_config_arn: pulumi.Input[str] | None = None
    """The code signing config the function's code and layers must satisfy."""
    retained_logs_suffix: pulumi.Input[str] | None = None
    """If set, the log group outlives a destroy (retain_on_delete) and its name ends in this suffix, new per
    compute lifecycle, so a redeploy creates its group beside the retained one instead of colliding."""


def function_log_group_name(env: Environment, function: str, retained_suffix: pulumi.Input[str] | None) -> pulumi.Input[str]:
    """``/aws/lambda/<function name>``, plus the lifecycle suffix when the group outlives a destroy."""
    name: pulumi.Input[str] = log_group_name("/aws/lambda", env, function)
    if retained_suffix is not None:
        name = pulumi.Output.concat(name, "-", retained_suffix)
    return name


def lambda_log_levels(log_level: str) -> tuple[str, str]:
    """(application, system) log levels for Lambda's JSON logging from the app's Python level name.

    Lambda spells WARNING as WARN; the system log (START/END/REPORT, platform events) is kept at INFO
    unless the application is quieter than that.
    """
    if log_level not in _LOG_LEVEL:
        raise ValueError(f"log level {log_level!r} is not one of {', '.join(_LOG_LEVEL)}")
    level = _LOG_LEVEL[log_level]
    return level, "WARN" if level in ("WARN", "ERROR") else "INFO"


def execution_statements(log_group_arn: pulumi.Input[str], args: LambdaFunctionArgs) -> list[iam.Statement]:
    """The execution role's statements: its own log group, X-Ray, VPC ENIs, its env key, then the caller's."""
    return [
        iam.allow(
            "WriteOwnLogGroup", ["logs:CreateLogStream", "logs:PutLogEvents"], [pulumi.Output.concat(log_group_arn, ":*")]
        ),
        iam.allow("XRayTraces", XRAY_ACTIONS, ["*"]),
        *vpc_statements(args.account_id, args.subnet_ids, args.security_group_id),
        iam.allow("DecryptOwnEnvironment", ["kms:Decrypt"], [args.env_key_arn]),
        *args.statements,
    ]


def async_destination(
    failure_destination_arn: pulumi.Input[str] | None,
) -> aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs | None:
    """Where failed async invocation records go, or None when the function has no failure destination."""
    if failure_destination_arn is None:
        return None
    return aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
        on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(destination=failure_destination_arn)
    )


class LambdaFunction(pulumi.ComponentResource):
    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    alias_name: pulumi.Output[str]
    alias_arn: pulumi.Output[str]
    alias_invoke_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: LambdaFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("serverless-infra:compute:LambdaFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        function_name = resource_name(args.env, args.function, service="lambda")
        group = self._log_group(name, args)
        role, permissions = self._role(name, args, function_name, execution_statements(group.arn, args))
        function = self._function(name, args, function_name, role, group, permissions)
        alias = aws.lambda_.Alias(
            f"{name}-alias",
            name=LIVE_ALIAS,
            function_name=function.name,
            function_version=function.version,
            description="The version clients invoke; moved by each deploy",
            opts=child,
        )
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-async",
            function_name=function.name,
            qualifier=alias.name,
            maximum_retry_attempts=args.async_retry_attempts,
            maximum_event_age_in_seconds=args.async_max_event_age_seconds,
            destination_config=async_destination(args.async_failure_destination_arn),
            opts=child,
        )

        self.function_name = function.name
        self.function_arn = function.arn
        self.alias_name = alias.name
        self.alias_arn = alias.arn
        self.alias_invoke_arn = alias.invoke_arn
        self.log_group_name = group.name
        self.role_arn = role.arn
        self.register_outputs({
            "function_name": self.function_name,
            "function_arn": self.function_arn,
            "alias_name": self.alias_name,
            "alias_arn": self.alias_arn,
            "alias_invoke_arn": self.alias_invoke_arn,
            "log_group_name": self.log_group_name,
            "role_arn": self.role_arn,
        })

    def _log_group(self, name: str, args: LambdaFunctionArgs) -> aws.cloudwatch.LogGroup:
        """The function's log group, made before the function (else Lambda makes an unencrypted, never-expiring one)."""
        retained = args.retained_logs_suffix is not None
        return aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=function_log_group_name(args.env, args.function, args.retained_logs_suffix),
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            # CreateLogGroup refuses an existing name (ResourceAlreadyExistsException, CloudWatch Logs API
            # reference): a retained group is never re-created under its own name, hence the suffix.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=retained),
        )

    def _role(
        self, name: str, args: LambdaFunctionArgs, function_name: str, statements: list[iam.Statement]
    ) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """The execution role, its inline policy and its managed-policy attachments (returned for depends_on)."""
        child = pulumi.ResourceOptions(parent=self)
        fn = args.function
        role = aws.iam.Role(
            f"{name}-role",
            name=resource_name(args.env, "role", fn, service="iam"),
            description=f"Execution role of {function_name} (least privilege)",
            assume_role_policy=json.dumps(LAMBDA_TRUST_POLICY),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name=resource_name(args.env, "policy", fn, service="iam"),
            role=role.id,
            policy=pulumi.Output.json_dumps(iam.document(statements)),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-managed-{i}", role=role.name, policy_arn=arn, opts=child)
            for i, arn in enumerate(args.managed_policy_arns)
        ]
        return role, [policy, *attachments]

    def _function(
        self, name: str, args: LambdaFunctionArgs, function_name: str, role: aws.iam.Role,
        group: aws.cloudwatch.LogGroup, permissions: list[pulumi.Resource],
    ) -> aws.lambda_.Function:
        application_level, system_level = lambda_log_levels(args.log_level)
        return aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            role=role.arn,
            handler=args.handler,
            runtime=args.runtime,
            architectures=[args.architecture],
            memory_size=args.settings.memory_mb,
            timeout=args.settings.timeout_seconds,
            reserved_concurrent_executions=args.settings.reserved_concurrency,
            s3_bucket=args.code.bucket,
            s3_key=args.code.key,
            code_signing_config_arn=args.code_signing_config_arn,
            source_code_hash=args.code.sha256_base64,
            layers=list(args.layer_arns),
            publish=True,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=args.subnet_ids, security_group_ids=[args.security_group_id]
            ),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=group.name,
                application_log_level=application_level,
                system_log_level=system_level,
            ),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.variables)),
            kms_key_arn=args.env_key_arn,
            # The log group exists first (else Lambda creates an unencrypted, never-expiring one), and the
            # role can create ENIs before CreateFunction checks it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[group, *permissions]),
        )


def vpc_statements(
    account_id: pulumi.Input[str], subnet_ids: pulumi.Input[Sequence[str]], security_group_id: pulumi.Input[str],
) -> list[iam.Statement]:
    """The ENI permissions a VPC function's role needs, each as narrow as EC2 lets it be."""
    prefix = pulumi.Output.concat(f"arn:aws:ec2:{REGION}:", account_id)
    subnets = pulumi.Output.all(prefix, subnet_ids).apply(lambda a: [f"{a[0]}:subnet/{s}" for s in a[1]])
    enis = pulumi.Output.concat(prefix, ":network-interface/*")
    group = pulumi.Output.concat(prefix, ":security-group/", security_group_id)
    create = iam.allow("VpcCreateInterfaces", ENI_CREATE_ACTIONS, [])
    create["Resource"] = pulumi.Output.all(enis, group, subnets).apply(lambda a: [a[0], a[1], *a[2]])
    return [
        create,
        iam.allow("VpcManageInterfaces", ENI_MANAGE_ACTIONS, [enis]),
        iam.allow("VpcDescribe", ENI_DESCRIBE_ACTIONS, ["*"]),
    ]
