"""Values a real deploy rejects and `pulumi.runtime.Mocks` would accept, checked at synth time.

Typed args (checked by pyright in CI) catch misspelled keys; these rules catch bad *values*:
malformed ARNs, enum values AWS does not know, retention periods CloudWatch refuses, IAM
documents that do not parse. Each rule names the resource, the field and the value.

Layout: the tables (``ENUMS``, ``RANGES``, and the lists a rule reads), each declared once and grouped
by service with the AWS page it comes from; then the rules every resource goes through; then one named
check per resource type, dispatched by ``CHECKS``. Bounds that a settings model also enforces are read
from `shared.aws_limits` (one source). The checks of API Gateway's imported OpenAPI body and stages
(`shared.synth.aws_rules_api_gateway`) and of CloudWatch, Logs, Budgets, X-Ray, AWS Config and SNS
(`shared.synth.aws_rules_observability`) are many: they live in their own modules and join ``CHECKS``.
Add a rule whenever a deploy teaches us one.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from shared import aws_limits as limits
from shared.synth.aws_rule_support import ARN, AwsValidationError, Rule, plain, refuse, walk
from shared.synth.aws_rules_api_gateway import API_GATEWAY_CHECKS
from shared.synth.aws_rules_observability import OBSERVABILITY_CHECKS

__all__ = ["ARN", "CHECKS", "ENUMS", "RANGES", "RULES", "AwsValidationError", "check_policy_document", "validate"]

IAM_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*]+$")
PYTHON_RUNTIMES = {"python3.12", "python3.13", "python3.14"}  # Lambda runtimes (lambda-runtimes.html)
ARCHITECTURES = {"x86_64", "arm64"}
IP_PROTOCOLS = {"tcp", "udp", "icmp", "-1"}
ENDPOINT_TYPES = {"REGIONAL", "EDGE", "PRIVATE"}

# token -> {input path: accepted values}. Paths are dotted wire names; "[]" walks a list.
ENUMS: dict[str, dict[str, set[Any] | frozenset[Any]]] = {
    # Lambda: CreateFunction, PublishLayerVersion, CreateEventSourceMapping, CreateCodeSigningConfig
    # (Lambda API reference); Signer PutSigningProfile platformId for Lambda zips.
    "aws:lambda/function:Function": {
        "runtime": PYTHON_RUNTIMES,
        "architectures[]": ARCHITECTURES,
        "tracingConfig.mode": {"Active", "PassThrough"},
        "loggingConfig.logFormat": {"JSON", "Text"},
        "loggingConfig.applicationLogLevel": {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"},
        "loggingConfig.systemLogLevel": {"DEBUG", "INFO", "WARN"},
        "packageType": {"Zip", "Image"}},
    "aws:lambda/layerVersion:LayerVersion": {
        "compatibleRuntimes[]": PYTHON_RUNTIMES, "compatibleArchitectures[]": ARCHITECTURES},
    "aws:lambda/eventSourceMapping:EventSourceMapping": {"functionResponseTypes[]": {"ReportBatchItemFailures"}},
    "aws:lambda/codeSigningConfig:CodeSigningConfig": {
        "policies.untrustedArtifactOnDeployment": {"Warn", "Enforce"}},
    "aws:signer/signingProfile:SigningProfile": {"platformId": {"AWSLambda-SHA384-ECDSA"}},
    # Application Auto Scaling: RegisterScalableTarget, PutScalingPolicy (API reference).
    "aws:appautoscaling/target:Target": {
        "serviceNamespace": {"lambda", "ecs", "dynamodb", "rds", "sagemaker", "elasticmapreduce", "ec2",
                             "appstream", "custom-resource", "comprehend", "kafka", "elasticache", "neptune",
                             "cassandra", "workspaces"},
        "scalableDimension": {"lambda:function:ProvisionedConcurrency", "ecs:service:DesiredCount",
                              "dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits",
                              "rds:cluster:ReadReplicaCount"}},
    "aws:appautoscaling/policy:Policy": {
        "policyType": {"TargetTrackingScaling", "StepScaling", "PredictiveScaling"},
        "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType": {
            "LambdaProvisionedConcurrencyUtilization", "ECSServiceAverageCPUUtilization",
            "ECSServiceAverageMemoryUtilization", "DynamoDBReadCapacityUtilization",
            "DynamoDBWriteCapacityUtilization", "RDSReaderAverageCPUUtilization", "ALBRequestCountPerTarget"}},
    # EC2 / VPC: CreateVpcEndpoint, CreateFlowLogs, AuthorizeSecurityGroupIngress/Egress (EC2 API reference).
    "aws:ec2/vpcEndpoint:VpcEndpoint": {"vpcEndpointType": {"Interface", "Gateway", "GatewayLoadBalancer"}},
    "aws:ec2/flowLog:FlowLog": {"trafficType": {"ACCEPT", "REJECT", "ALL"},
                                "logDestinationType": {"cloud-watch-logs", "s3", "kinesis-data-firehose"},
                                "maxAggregationInterval": {60, 600}},
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {"ipProtocol": IP_PROTOCOLS},
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {"ipProtocol": IP_PROTOCOLS},
    # SSM PutParameter; KMS CreateKey, ScheduleKeyDeletion, EnableKeyRotation (API references).
    "aws:ssm/parameter:Parameter": {"type": {"String", "StringList", "SecureString"},
                                    "tier": {"Standard", "Advanced", "Intelligent-Tiering"}},
    "aws:kms/key:Key": {"keyUsage": {"ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"},
                        "customerMasterKeySpec": {"SYMMETRIC_DEFAULT"},
                        "rotationPeriodInDays": set(limits.KMS_ROTATION_PERIOD_DAYS),
                        "deletionWindowInDays": set(limits.KMS_DELETION_WINDOW_DAYS)},
    # RDS: CreateDBInstance, CreateDBProxy (UserAuthConfig), CreateDBProxyEndpoint, ModifyDBParameterGroup.
    "aws:rds/instance:Instance": {"storageType": {"gp2", "gp3", "io1", "io2", "standard"},
                                  "engine": {"postgres"}},
    "aws:rds/proxy:Proxy": {"engineFamily": {"POSTGRESQL", "MYSQL", "SQLSERVER"},
                            "defaultAuthScheme": {"NONE", "IAM_AUTH"},
                            "auths[].authScheme": {"SECRETS"},
                            "auths[].iamAuth": {"DISABLED", "REQUIRED", "ENABLED"},
                            "auths[].clientPasswordAuthType": {
                                "MYSQL_NATIVE_PASSWORD", "MYSQL_CACHING_SHA2_PASSWORD", "POSTGRES_SCRAM_SHA_256",
                                "POSTGRES_MD5", "SQL_SERVER_AUTHENTICATION"}},
    "aws:rds/proxyEndpoint:ProxyEndpoint": {"targetRole": {"READ_WRITE", "READ_ONLY"}},
    "aws:rds/parameterGroup:ParameterGroup": {"parameters[].applyMethod": {"immediate", "pending-reboot"}},
    # Secrets Manager DeleteSecret RecoveryWindowInDays, RotateSecret AutomaticallyAfterDays.
    "aws:secretsmanager/secret:Secret": {"recoveryWindowInDays": {0, *limits.SECRET_RECOVERY_WINDOW_DAYS}},
    "aws:secretsmanager/secretRotation:SecretRotation": {
        "rotationRules.automaticallyAfterDays": set(limits.SECRETS_ROTATION_DAYS)},
    # Serverless Application Repository CreateCloudFormationStack Capabilities.
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": {
        "capabilities[]": {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_RESOURCE_POLICY",
                           "CAPABILITY_AUTO_EXPAND"}},
    # S3: PutBucketOwnershipControls, PutBucketVersioning, PutBucketEncryption, PutBucketLifecycleConfiguration.
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
        "rule.objectOwnership": {"BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"}},
    "aws:s3/bucketVersioning:BucketVersioning": {"versioningConfiguration.status": {"Enabled", "Suspended"}},
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        "rules[].applyServerSideEncryptionByDefault.sseAlgorithm": {"AES256", "aws:kms", "aws:kms:dsse"}},
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {"rules[].status": {"Enabled", "Disabled"}},
    # API Gateway REST: Stage.CacheClusterSize, MethodSetting.LoggingLevel, DomainName.SecurityPolicy and
    # EndpointType, UsagePlan QuotaSettings.Period (API Gateway API reference); ACM RequestCertificate;
    # WAFv2 WebACL Scope and RateBasedStatement (WAFv2 API reference).
    "aws:apigateway/stage:Stage": {"cacheClusterSize": limits.APIGW_CACHE_CLUSTER_SIZES},
    "aws:apigateway/methodSettings:MethodSettings": {
        "settings.loggingLevel": limits.APIGW_LOGGING_LEVELS,
        "settings.unauthorizedCacheControlHeaderStrategy": {
            "FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER"}},
    "aws:apigateway/domainName:DomainName": {"securityPolicy": limits.APIGW_TLS_POLICIES,
                                             "endpointConfiguration.types": ENDPOINT_TYPES},
    "aws:apigateway/restApi:RestApi": {"endpointConfiguration.types": ENDPOINT_TYPES,
                                       "putRestApiMode": {"merge", "overwrite"}},
    "aws:apigateway/usagePlan:UsagePlan": {"quotaSettings.period": limits.APIGW_QUOTA_PERIODS},
    "aws:apigateway/usagePlanKey:UsagePlanKey": {"keyType": {"API_KEY"}},
    "aws:acm/certificate:Certificate": {"validationMethod": {"DNS", "EMAIL"}},
    "aws:wafv2/webAcl:WebAcl": {"scope": {"REGIONAL", "CLOUDFRONT"},
                                "rules[].statement.rateBasedStatement.aggregateKeyType": {
                                    "IP", "FORWARDED_IP", "CUSTOM_KEYS", "CONSTANT"},
                                "rules[].statement.rateBasedStatement.evaluationWindowSec": limits.WAF_EVALUATION_WINDOWS},
}

# token -> {input path: accepted integers}, inclusive bounds from the services' API references (the
# ranges and their sources are in shared/limits.py unless only this table uses them).
INT32_MAX = 2_147_483_647
RANGES: dict[str, dict[str, range]] = {
    "aws:lambda/function:Function": {"memorySize": limits.LAMBDA_MEMORY_MB,
                                     "timeout": limits.LAMBDA_TIMEOUT_SECONDS,
                                     "reservedConcurrentExecutions": limits.LAMBDA_RESERVED_CONCURRENCY,
                                     "ephemeralStorage.size": limits.LAMBDA_EPHEMERAL_STORAGE_MB},
    "aws:lambda/eventSourceMapping:EventSourceMapping": {
        "batchSize": limits.LAMBDA_SQS_BATCH_SIZE,
        "maximumBatchingWindowInSeconds": limits.LAMBDA_BATCHING_WINDOW_SECONDS,
        "scalingConfig.maximumConcurrency": limits.LAMBDA_ESM_MAX_CONCURRENCY},
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": {
        "maximumRetryAttempts": limits.LAMBDA_ASYNC_RETRY_ATTEMPTS,
        "maximumEventAgeInSeconds": limits.LAMBDA_ASYNC_MAX_EVENT_AGE_SECONDS},
    "aws:sqs/queue:Queue": {"visibilityTimeoutSeconds": limits.SQS_VISIBILITY_TIMEOUT_SECONDS,
                            "messageRetentionSeconds": limits.SQS_MESSAGE_RETENTION_SECONDS,
                            "kmsDataKeyReusePeriodSeconds": limits.SQS_KMS_DATA_KEY_REUSE_SECONDS,
                            "receiveWaitTimeSeconds": limits.SQS_RECEIVE_WAIT_SECONDS,
                            "delaySeconds": limits.SQS_DELAY_SECONDS,
                            "maxMessageSize": limits.SQS_MAX_MESSAGE_SIZE_BYTES},
    # RegisterScalableTarget MinCapacity/MaxCapacity 0-1,000,000 (Application Auto Scaling API reference).
    "aws:appautoscaling/target:Target": {"minCapacity": range(0, 1_000_001), "maxCapacity": range(0, 1_000_001)},
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": {
        "connectionPoolConfig.maxConnectionsPercent": limits.RDS_PROXY_MAX_CONNECTIONS_PERCENT,
        "connectionPoolConfig.maxIdleConnectionsPercent": limits.RDS_PROXY_MAX_IDLE_CONNECTIONS_PERCENT,
        "connectionPoolConfig.connectionBorrowTimeout": limits.RDS_PROXY_BORROW_TIMEOUT_SECONDS},
    "aws:rds/proxy:Proxy": {"idleClientTimeout": limits.RDS_PROXY_IDLE_CLIENT_TIMEOUT_SECONDS},
    # S3 LifecycleRule NoncurrentDays / DaysAfterInitiation: positive integers (S3 API reference).
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
        "rules[].noncurrentVersionExpiration.noncurrentDays": range(1, INT32_MAX + 1),
        "rules[].abortIncompleteMultipartUpload.daysAfterInitiation": range(1, INT32_MAX + 1)},
    # MethodSetting cacheTtlInSeconds 0-3600; throttles -1 (off) up to the account's 10,000 rps / 5,000 burst.
    "aws:apigateway/methodSettings:MethodSettings": {
        "settings.cacheTtlInSeconds": limits.APIGW_CACHE_TTL_SECONDS,
        "settings.throttlingRateLimit": range(-1, limits.APIGW_ACCOUNT_RATE_LIMIT + 1),
        "settings.throttlingBurstLimit": range(-1, limits.APIGW_ACCOUNT_BURST_LIMIT + 1)},
    "aws:apigateway/usagePlan:UsagePlan": {
        "throttleSettings.rateLimit": range(0, limits.APIGW_ACCOUNT_RATE_LIMIT + 1),
        "throttleSettings.burstLimit": range(0, limits.APIGW_ACCOUNT_BURST_LIMIT + 1)},
    "aws:wafv2/webAcl:WebAcl": {"rules[].statement.rateBasedStatement.limit": limits.WAF_RATE_LIMIT_RANGE},
}

# RDS for PostgreSQL parameters RDS applies only at (re)boot: ModifyDBParameterGroup refuses
# ApplyMethod=immediate for them ("cannot use immediate apply method for static parameter").
RDS_STATIC_PARAMETERS = frozenset({
    "rds.force_ssl", "rds.logical_replication", "shared_preload_libraries", "max_connections", "shared_buffers",
    "max_worker_processes", "max_wal_senders", "wal_buffers",
})

# Service principals whose docs show execution/service-role trusts without aws:SourceAccount/SourceArn.
# A condition on a key the service does not send when it assumes the role denies every AssumeRole.
# (RDS Proxy's rds.amazonaws.com role is checked in the data layer's graph test: other RDS features
# do document source keys for the same principal.)
TRUST_WITHOUT_SOURCE_KEYS = frozenset({"lambda.amazonaws.com"})

# (token, input) pairs that hold an IAM policy document.
POLICY_INPUTS = {
    ("aws:iam/role:Role", "assumeRolePolicy"),
    ("aws:iam/policy:Policy", "policy"),
    ("aws:iam/rolePolicy:RolePolicy", "policy"),
    ("aws:kms/key:Key", "policy"),
    ("aws:s3/bucketPolicy:BucketPolicy", "policy"),
    ("aws:sqs/queuePolicy:QueuePolicy", "policy"),
    ("aws:sns/topicPolicy:TopicPolicy", "policy"),
    ("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "policyDocument"),
}

# (token, input path) whose "ARN" may be the wildcard "*": an X-Ray sampling rule's ResourceARN matches
# any resource with "*" (X-Ray SamplingRule API reference).
WILDCARD_ARNS = frozenset({("aws:xray/samplingRule:SamplingRule", "resourceArn")})

_SNAPSHOT_ID = re.compile(r"(?!.*--)[A-Za-z][A-Za-z0-9-]{0,254}(?<!-)")
_LAMBDA_PC_RESOURCE = re.compile(r"^function:[A-Za-z0-9_-]{1,64}:[A-Za-z0-9_$-]{1,128}$")
_SCHEDULE = re.compile(r"^(cron\([^)]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|at\([0-9T:-]+\))$")


# -- Rules for every resource ----------------------------------------------------------------------


def _is_arn_key(path: str) -> bool:
    leaf = path.rsplit(".", 1)[-1].removesuffix("[]")
    return leaf == "arn" or leaf.endswith("Arn") or leaf.endswith("Arns")


def check_policy_document(document: Any, where: str) -> None:
    """A policy AWS accepts: JSON, Version 2012-10-17, statements with Effect, Action and Resource/Principal."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise AwsValidationError(f"{where}: policy is not JSON ({error})") from None
    if not isinstance(document, dict) or document.get("Version") != "2012-10-17":
        raise AwsValidationError(f"{where}: policy needs \"Version\": \"2012-10-17\"")
    statements = document.get("Statement")
    if not isinstance(statements, list) or not statements:
        raise AwsValidationError(f"{where}: policy needs a non-empty Statement list")
    for i, st in enumerate(statements):
        at = f"{where} Statement[{i}]"
        if st.get("Effect") not in ("Allow", "Deny"):
            raise AwsValidationError(f"{at}: Effect must be Allow or Deny, got {st.get('Effect')!r}")
        actions = st.get("Action", st.get("NotAction"))
        if actions is None:
            raise AwsValidationError(f"{at}: no Action")
        for action in [actions] if isinstance(actions, str) else actions:
            if action != "*" and not IAM_ACTION.match(action):
                raise AwsValidationError(f"{at}: action {action!r} is not service:Action")
        resources = st.get("Resource", st.get("NotResource"))
        if resources is not None:
            for res in [resources] if isinstance(resources, str) else resources:
                if res != "*" and not ARN.match(res):
                    raise AwsValidationError(f"{at}: resource {res!r} is not an ARN")


def _check_arns(token: str, name: str, inputs: dict[str, Any]) -> None:
    for path, value in walk(inputs):
        if (token, path) in WILDCARD_ARNS and value == "*":
            continue
        if path and _is_arn_key(path) and isinstance(value, str) and value and not ARN.match(value):
            raise AwsValidationError(f"{token} {name!r}: {path} = {value!r} is not an ARN")


def _check_enums(token: str, name: str, inputs: dict[str, Any]) -> None:
    for field, allowed in ENUMS.get(token, {}).items():
        for path, value in walk(inputs):
            if path == field and value is not None and not isinstance(value, (dict, list)) and value not in allowed:
                shown = sorted(map(str, allowed))
                shown_text = ", ".join(shown) if len(shown) < 12 else f"{shown[0]} .. {shown[-1]}"
                raise AwsValidationError(f"{token} {name!r}: {field} = {value!r}; AWS accepts {shown_text}")


def _check_ranges(token: str, name: str, inputs: dict[str, Any]) -> None:
    for field, accepted in RANGES.get(token, {}).items():
        low, high = accepted.start, accepted.stop - 1
        for path, value in walk(inputs):
            if path == field and isinstance(value, (int, float)) and not low <= value <= high:
                raise AwsValidationError(f"{token} {name!r}: {field} = {value}; AWS accepts {low}..{high}")


def _check_policies(token: str, name: str, inputs: dict[str, Any]) -> None:
    for policy_token, field in POLICY_INPUTS:
        if token == policy_token and inputs.get(field):
            check_policy_document(plain(inputs[field]), f"{token} {name!r} {field}")


def _check_cidrs(token: str, name: str, inputs: dict[str, Any]) -> None:
    for key in ("cidrBlock", "cidrIpv4"):
        cidr = inputs.get(key)
        if isinstance(cidr, str):
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError as error:
                raise AwsValidationError(f"{token} {name!r}: {key} = {cidr!r}: {error}") from None


def _check_tags(token: str, name: str, inputs: dict[str, Any]) -> None:
    """TagResource: keys up to 128 characters, values up to 256, no ``aws:`` prefix (Tagging API reference)."""
    for key, value in (plain(inputs.get("tags")) or {}).items():
        if len(key) > 128 or len(str(value)) > 256 or key.lower().startswith("aws:"):
            raise AwsValidationError(f"{token} {name!r}: tag {key!r}={value!r} breaks AWS tag limits")


# -- IAM ---------------------------------------------------------------------------------------------


def _iam_role(token: str, name: str, inputs: dict[str, Any]) -> None:
    """No trust condition on a source key the service does not send; inline policies parse."""
    if inputs.get("assumeRolePolicy"):
        trust = plain(inputs["assumeRolePolicy"])
        for st in (json.loads(trust) if isinstance(trust, str) else trust).get("Statement", []):
            services = (st.get("Principal") or {}).get("Service", []) if isinstance(st.get("Principal"), dict) else []
            services = [services] if isinstance(services, str) else services
            keys = {k.lower() for op in (st.get("Condition") or {}).values() for k in op}
            if set(services) & TRUST_WITHOUT_SOURCE_KEYS and keys & {"aws:sourceaccount", "aws:sourcearn"}:
                raise AwsValidationError(f"{token} {name!r}: trust of {sorted(services)} conditions on "
                                         f"{sorted(keys)}, which that service does not document sending")
    for i, inline in enumerate(inputs.get("inlinePolicies") or []):
        if inline.get("policy"):
            check_policy_document(plain(inline["policy"]), f"{token} {name!r} inlinePolicies[{i}]")


# -- CloudWatch Logs, SSM, KMS, Signer ---------------------------------------------------------------


def _log_group(token: str, name: str, inputs: dict[str, Any]) -> None:
    days = inputs.get("retentionInDays")
    try:
        if days is not None:
            limits.check_log_retention_days(days)
    except ValueError as error:
        raise AwsValidationError(f"{token} {name!r}: retentionInDays = {days}; {error}") from None


def _ssm_parameter(token: str, name: str, inputs: dict[str, Any]) -> None:
    """PutParameter: a path of at most 15 levels and 1,011 characters; KeyId only for a SecureString;
    Description up to 1,024 characters (SSM API reference)."""
    pname = inputs.get("name", "")
    if not pname.startswith("/") or len(pname) > 1011 or pname.count("/") > 15:
        refuse(token, name, f"name {pname!r} must be a path starting with '/', at most 15 levels deep")
    if inputs.get("keyId") and inputs.get("type") != "SecureString":
        refuse(token, name, f"keyId is only valid for a SecureString, not a {inputs.get('type')}")
    if len(inputs.get("description") or "") > 1024:
        refuse(token, name, "description is over 1024 characters")


def _kms_alias(token: str, name: str, inputs: dict[str, Any]) -> None:
    """CreateAlias: alias/<1-250 of [a-zA-Z0-9/_-]>, never under the reserved alias/aws/ (KMS API reference)."""
    alias = inputs.get("name", "")
    if not re.fullmatch(r"alias/[a-zA-Z0-9/_-]{1,250}", alias) or alias.startswith("alias/aws/"):
        refuse(token, name, f"name {alias!r} must be alias/<name>, not alias/aws/...")


def _signing_profile(token: str, name: str, inputs: dict[str, Any]) -> None:
    """PutSigningProfile: profileName matches ^[a-zA-Z0-9_]{2,}, at most 64 characters."""
    profile = inputs.get("name", "")
    if not re.fullmatch(r"[a-zA-Z0-9_]{2,64}", profile):
        refuse(token, name, f"name {profile!r} allows only letters, digits and _ (2-64)")


# -- Lambda, SQS, Application Auto Scaling, Service Quotas -------------------------------------------


def _code_signing_config(token: str, name: str, inputs: dict[str, Any]) -> None:
    """CreateCodeSigningConfig: AllowedPublishers.SigningProfileVersionArns holds 1-20 ARNs."""
    arns = (inputs.get("allowedPublishers") or {}).get("signingProfileVersionArns") or []
    if not 1 <= len(arns) <= 20:
        refuse(token, name, "allowedPublishers needs 1-20 signing profile versions")


def _lambda_alias(token: str, name: str, inputs: dict[str, Any]) -> None:
    """CreateAlias (Lambda): 1-128 of letters, digits, - and _, not all digits (that would be a version)."""
    alias = inputs.get("name", "")
    if not re.fullmatch(r"(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}", alias):
        refuse(token, name, f"alias name {alias!r} (letters, digits, - _, not all digits)")


def _event_source_mapping(token: str, name: str, inputs: dict[str, Any]) -> None:
    source = str(inputs.get("eventSourceArn") or "")
    batch, window = inputs.get("batchSize"), inputs.get("maximumBatchingWindowInSeconds") or 0
    try:
        if source.startswith("arn:aws:sqs:") and batch is not None:
            limits.check_sqs_batching_window(batch, window, window_key="maximumBatchingWindowInSeconds")
    except ValueError as error:
        raise AwsValidationError(f"{token} {name!r}: {error}") from None


def _sqs_queue(token: str, name: str, inputs: dict[str, Any]) -> None:
    if not inputs.get("redrivePolicy"):
        return
    policy = json.loads(plain(inputs["redrivePolicy"]))
    count = policy.get("maxReceiveCount")
    target = policy.get("deadLetterTargetArn", "")
    if not isinstance(count, int) or count not in limits.SQS_MAX_RECEIVE_COUNT or not ARN.match(target):
        refuse(token, name, f"redrivePolicy {policy} needs a deadLetterTargetArn and maxReceiveCount 1..1000")


def _redrive_allow_policy(token: str, name: str, inputs: dict[str, Any]) -> None:
    policy = json.loads(plain(inputs.get("redriveAllowPolicy") or "{}"))
    if policy.get("redrivePermission") not in ("allowAll", "denyAll", "byQueue"):
        refuse(token, name, f"redrivePermission {policy.get('redrivePermission')!r}")
    sources = len(policy.get("sourceQueueArns", []))
    if policy["redrivePermission"] == "byQueue" and sources not in limits.SQS_REDRIVE_SOURCE_QUEUES:
        refuse(token, name, "byQueue needs 1..10 sourceQueueArns")


def _scalable_target(token: str, name: str, inputs: dict[str, Any]) -> None:
    low, high = inputs.get("minCapacity", 0), inputs.get("maxCapacity", 0)
    if low > high:
        refuse(token, name, f"minCapacity {low} > maxCapacity {high}")
    resource_id = inputs.get("resourceId", "")
    if inputs.get("serviceNamespace") == "lambda" and not _LAMBDA_PC_RESOURCE.match(resource_id):
        refuse(token, name, f"resourceId {inputs.get('resourceId')!r} is not function:<name>:<alias or version>")


def _scheduled_action(token: str, name: str, inputs: dict[str, Any]) -> None:
    if not _SCHEDULE.match(inputs.get("schedule", "")):
        refuse(token, name, f"schedule {inputs.get('schedule')!r} is not cron(), rate() or at()")


def _service_quota(token: str, name: str, inputs: dict[str, Any]) -> None:
    """RequestServiceQuotaIncrease: ServiceCode/QuotaCode ``[a-zA-Z][a-zA-Z0-9-]{1,128}``, DesiredValue
    0..10,000,000,000 (Service Quotas API reference). Lambda concurrency also needs room for the 100
    unreserved executions Lambda keeps (configuration-concurrency.html)."""
    where = f"{token} {name!r}"
    for key in ("serviceCode", "quotaCode"):
        if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9-]{1,128}", str(inputs.get(key, ""))):
            raise AwsValidationError(f"{where}: {key} = {inputs.get(key)!r} is not a Service Quotas code")
    value = inputs.get("value")
    if not isinstance(value, (int, float)) or not 0 <= value <= 10_000_000_000:
        raise AwsValidationError(f"{where}: value = {value!r}; Service Quotas accepts 0..10,000,000,000")
    lambda_concurrency = (limits.LAMBDA_CONCURRENCY_SERVICE_CODE, limits.LAMBDA_CONCURRENCY_QUOTA_CODE)
    if (inputs.get("serviceCode"), inputs.get("quotaCode")) == lambda_concurrency and (
        value <= limits.LAMBDA_UNRESERVED_MINIMUM
    ):
        raise AwsValidationError(f"{where}: Lambda concurrency {value} leaves nothing to reserve above the "
                                 f"{limits.LAMBDA_UNRESERVED_MINIMUM} unreserved executions Lambda keeps")


# -- RDS ---------------------------------------------------------------------------------------------


def _rds_instance(token: str, name: str, inputs: dict[str, Any]) -> None:
    """CreateDBInstance / CreateDBInstanceReadReplica parameter constraints."""
    where = f"{token} {name!r}"

    def bad(key: str, why: str) -> None:
        raise AwsValidationError(f"{where}: {key} = {inputs.get(key)!r}: {why}")

    instance_class = inputs.get("instanceClass", "")
    if not re.fullmatch(limits.RDS_INSTANCE_CLASS_PATTERN, instance_class):
        bad("instanceClass", f"not an RDS instance class ({limits.RDS_INSTANCE_CLASS_PATTERN})")
    retention = inputs.get("backupRetentionPeriod")
    if retention is not None and retention not in limits.RDS_BACKUP_RETENTION_DAYS:
        bad("backupRetentionPeriod", "RDS keeps automated backups 0 to 35 days")
    for key, pattern in (("backupWindow", limits.RDS_BACKUP_WINDOW_PATTERN),
                         ("maintenanceWindow", limits.RDS_MAINTENANCE_WINDOW_PATTERN)):
        if inputs.get(key) is not None and not re.fullmatch(pattern, inputs[key]):
            shape = "hh24:mi-hh24:mi" if key == "backupWindow" else "ddd:hh24:mi-ddd:hh24:mi"
            bad(key, f"expected {shape} in UTC, lowercase day names")
    allocated, ceiling = inputs.get("allocatedStorage"), inputs.get("maxAllocatedStorage")
    gp3 = inputs.get("storageType") == "gp3"
    if gp3 and allocated is not None and allocated < limits.RDS_GP3_MIN_GIB:
        bad("allocatedStorage", f"gp3 needs at least {limits.RDS_GP3_MIN_GIB} GiB")
    if ceiling and allocated and ceiling <= allocated:
        bad("maxAllocatedStorage", f"the autoscaling ceiling must exceed allocatedStorage ({allocated})")
    if inputs.get("multiAz") and inputs.get("availabilityZone"):
        bad("availabilityZone", "RDS refuses a specific AZ for a Multi-AZ instance")
    replica = bool(inputs.get("replicateSourceDb"))
    if replica and not str(inputs["replicateSourceDb"]).startswith("arn:") and inputs.get("kmsKeyId"):
        bad("kmsKeyId", "a same-region read replica inherits its source's key; CreateDBInstanceReadReplica "
                           "refuses KmsKeyId for it")
    snapshot = inputs.get("finalSnapshotIdentifier")
    if isinstance(snapshot, str) and not _SNAPSHOT_ID.fullmatch(snapshot):
        # DeleteDBInstance FinalDBSnapshotIdentifier: 1-255 letters, digits or hyphens, a letter first, no
        # trailing hyphen, no "--" (RDS API reference).
        bad("finalSnapshotIdentifier", "1-255 letters, digits or hyphens, a letter first, no '--', no trailing '-'")
    if replica and inputs.get("finalSnapshotIdentifier"):
        bad("finalSnapshotIdentifier", "a read replica cannot take a final snapshot")
    if not replica and inputs.get("skipFinalSnapshot") is False and not inputs.get("finalSnapshotIdentifier"):
        bad("finalSnapshotIdentifier", "required when skipFinalSnapshot is false")
    for key, check in (("performanceInsightsRetentionPeriod", limits.check_rds_pi_retention_days),
                       ("monitoringInterval", limits.check_rds_monitoring_interval)):
        try:
            if inputs.get(key) is not None:
                check(inputs[key])
        except ValueError as error:
            bad(key, str(error))
    size = instance_class.rsplit(".", 1)[-1]
    if inputs.get("performanceInsightsEnabled") and size in limits.RDS_PI_UNSUPPORTED_SIZES:
        bad("performanceInsightsEnabled", f"Performance Insights does not run on {instance_class}")
    if inputs.get("monitoringInterval") and not inputs.get("monitoringRoleArn"):
        bad("monitoringRoleArn", "enhanced monitoring needs a monitoring role")


def _rds_proxy(token: str, name: str, inputs: dict[str, Any]) -> None:
    """CreateDBProxy: Auth is required unless DefaultAuthScheme is IAM_AUTH (end-to-end IAM, no secrets)."""
    if inputs.get("defaultAuthScheme", "NONE") == "NONE" and not inputs.get("auths"):
        refuse(token, name, "needs auths (a secret per database user) unless defaultAuthScheme is IAM_AUTH")


def _rds_parameter_group(token: str, name: str, inputs: dict[str, Any]) -> None:
    for parameter in inputs.get("parameters") or []:
        if parameter.get("name") in RDS_STATIC_PARAMETERS and parameter.get("applyMethod") == "immediate":
            refuse(token, name, f"{parameter['name']} is a static parameter; RDS refuses applyMethod "
                                "'immediate' for it (use 'pending-reboot')")
    family = inputs.get("family", "")
    if not re.fullmatch(r"postgres\d+", family):
        refuse(token, name, f"family = {family!r} is not a postgresNN family")


# -- Dispatch ----------------------------------------------------------------------------------------

# token -> the check of that resource type's own constraints (the observability services' come from
# shared/synth/aws_rules_observability.py).
CHECKS: dict[str, Rule] = {
    "aws:iam/role:Role": _iam_role,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:ssm/parameter:Parameter": _ssm_parameter,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:signer/signingProfile:SigningProfile": _signing_profile,
    "aws:lambda/codeSigningConfig:CodeSigningConfig": _code_signing_config,
    "aws:lambda/alias:Alias": _lambda_alias,
    "aws:lambda/eventSourceMapping:EventSourceMapping": _event_source_mapping,
    "aws:sqs/queue:Queue": _sqs_queue,
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": _redrive_allow_policy,
    "aws:appautoscaling/target:Target": _scalable_target,
    "aws:appautoscaling/scheduledAction:ScheduledAction": _scheduled_action,
    "aws:servicequotas/serviceQuota:ServiceQuota": _service_quota,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/proxy:Proxy": _rds_proxy,
    "aws:rds/parameterGroup:ParameterGroup": _rds_parameter_group,
    **API_GATEWAY_CHECKS,
    **OBSERVABILITY_CHECKS,
}


def _check_own(token: str, name: str, inputs: dict[str, Any]) -> None:
    check = CHECKS.get(token)
    if check is not None:
        check(token, name, inputs)


# In order: the first value AWS would refuse is the one reported.
RULES: tuple[Rule, ...] = (_check_arns, _check_enums, _check_policies, _check_own, _check_cidrs, _check_tags,
                           _check_ranges)


def validate(token: str, name: str, inputs: dict[str, Any]) -> None:
    """Raise `AwsValidationError` for the first value AWS would refuse."""
    if not token.startswith("aws:"):
        return
    for rule in RULES:
        rule(token, name, inputs)
