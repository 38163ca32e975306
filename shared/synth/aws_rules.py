"""Values a real deploy rejects and `pulumi.runtime.Mocks` would accept, checked at synth time.

Typed args (checked by pyright in CI) catch misspelled keys; these rules catch bad *values*:
malformed ARNs, enum values AWS does not know, retention periods CloudWatch refuses, IAM
documents that do not parse. Each rule names the resource, the field and the value.
Add a rule here whenever a deploy teaches us one.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from shared import aws_limits
from shared.aws_limits import LOG_RETENTION_DAYS


class AwsValidationError(ValueError):
    """A value AWS would reject at deploy time."""


ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:(us-east-1)?:(\d{12}|aws)?:.+$")
IAM_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*]+$")

# token -> {input path: allowed values}. Paths are dotted wire names; "[]" walks a list.
ENUMS: dict[str, dict[str, set[Any]]] = {
    "aws:lambda/function:Function": {
        "runtime": {"python3.12", "python3.13", "python3.14"},
        "architectures[]": {"x86_64", "arm64"},
        "tracingConfig.mode": {"Active", "PassThrough"},
        "loggingConfig.logFormat": {"JSON", "Text"},
        "loggingConfig.applicationLogLevel": {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"},
        "loggingConfig.systemLogLevel": {"DEBUG", "INFO", "WARN"},
        "packageType": {"Zip", "Image"},
    },
    "aws:lambda/layerVersion:LayerVersion": {
        "compatibleRuntimes[]": {"python3.12", "python3.13", "python3.14"},
        "compatibleArchitectures[]": {"x86_64", "arm64"},
    },
    "aws:ec2/vpcEndpoint:VpcEndpoint": {"vpcEndpointType": {"Interface", "Gateway", "GatewayLoadBalancer"}},
    "aws:ec2/flowLog:FlowLog": {"trafficType": {"ACCEPT", "REJECT", "ALL"},
                                "logDestinationType": {"cloud-watch-logs", "s3", "kinesis-data-firehose"},
                                "maxAggregationInterval": {60, 600}},
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {"ipProtocol": {"tcp", "udp", "icmp", "-1"}},
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {"ipProtocol": {"tcp", "udp", "icmp", "-1"}},
    "aws:ssm/parameter:Parameter": {"type": {"String", "StringList", "SecureString"},
                                    "tier": {"Standard", "Advanced", "Intelligent-Tiering"}},
    "aws:kms/key:Key": {"keyUsage": {"ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"},
                        "customerMasterKeySpec": {"SYMMETRIC_DEFAULT"},
                        "rotationPeriodInDays": set(range(90, 2561)),
                        "deletionWindowInDays": set(range(7, 31))},
    "aws:rds/instance:Instance": {"storageType": {"gp2", "gp3", "io1", "io2", "standard"},
                                  "engine": {"postgres"},
                                  "performanceInsightsRetentionPeriod": {7, *range(31, 731, 31), 731},
                                  "monitoringInterval": {0, 1, 5, 10, 15, 30, 60}},
    "aws:rds/proxy:Proxy": {"engineFamily": {"POSTGRESQL", "MYSQL", "SQLSERVER"},
                            "defaultAuthScheme": {"NONE", "IAM_AUTH"},
                            "auths[].authScheme": {"SECRETS"},
                            "auths[].iamAuth": {"DISABLED", "REQUIRED", "ENABLED"},
                            "auths[].clientPasswordAuthType": {
                                "MYSQL_NATIVE_PASSWORD", "MYSQL_CACHING_SHA2_PASSWORD", "POSTGRES_SCRAM_SHA_256",
                                "POSTGRES_MD5", "SQL_SERVER_AUTHENTICATION"}},
    "aws:rds/proxyEndpoint:ProxyEndpoint": {"targetRole": {"READ_WRITE", "READ_ONLY"}},
    "aws:rds/parameterGroup:ParameterGroup": {"parameters[].applyMethod": {"immediate", "pending-reboot"}},
    "aws:secretsmanager/secret:Secret": {"recoveryWindowInDays": {0, *range(7, 31)}},
    # RotateSecret: AutomaticallyAfterDays 1-1000.
    "aws:secretsmanager/secretRotation:SecretRotation": {"rotationRules.automaticallyAfterDays": set(range(1, 1001))},
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": {
        "capabilities[]": {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_RESOURCE_POLICY",
                           "CAPABILITY_AUTO_EXPAND"}},
    "aws:sqs/queue:Queue": {},
    "aws:lambda/eventSourceMapping:EventSourceMapping": {"functionResponseTypes[]": {"ReportBatchItemFailures"}},
    "aws:appautoscaling/policy:Policy": {"policyType": {"TargetTrackingScaling", "StepScaling",
                                                        "PredictiveScaling"}},
    # Signer's platform for Lambda zips; CodeSigningConfig's UntrustedArtifactOnDeployment values.
    "aws:signer/signingProfile:SigningProfile": {"platformId": {"AWSLambda-SHA384-ECDSA"}},
    "aws:lambda/codeSigningConfig:CodeSigningConfig": {
        "policies.untrustedArtifactOnDeployment": {"Warn", "Enforce"}},
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
        "rule.objectOwnership": {"BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"}},
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


def _plain(value: Any) -> Any:
    return unwrap_rpc_secret(value) if is_rpc_secret(value) else value


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    value = _plain(value)
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, f"{path}[]")


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


Rule = Callable[[str, str, dict[str, Any]], None]


# (token, input path) whose "ARN" may be the wildcard "*": an X-Ray sampling rule's ResourceARN matches
# any resource with "*" (X-Ray SamplingRule API reference).
WILDCARD_ARNS = frozenset({("aws:xray/samplingRule:SamplingRule", "resourceArn")})


def _check_arns(token: str, name: str, inputs: dict[str, Any]) -> None:
    for path, value in _walk(inputs, ""):
        if (token, path) in WILDCARD_ARNS and value == "*":
            continue
        if path and _is_arn_key(path) and isinstance(value, str) and value and not ARN.match(value):
            raise AwsValidationError(f"{token} {name!r}: {path} = {value!r} is not an ARN")


def _check_enums(token: str, name: str, inputs: dict[str, Any]) -> None:
    for field, allowed in ENUMS.get(token, {}).items():
        for path, value in _walk(inputs, ""):
            if path == field and value is not None and not isinstance(value, (dict, list)) and value not in allowed:
                shown = sorted(map(str, allowed))
                shown_text = ", ".join(shown) if len(shown) < 12 else f"{shown[0]} .. {shown[-1]}"
                raise AwsValidationError(f"{token} {name!r}: {field} = {value!r}; AWS accepts {shown_text}")


def _check_policies(token: str, name: str, inputs: dict[str, Any]) -> None:
    for policy_token, field in POLICY_INPUTS:
        if token == policy_token and inputs.get(field):
            check_policy_document(_plain(inputs[field]), f"{token} {name!r} {field}")
    if token == "aws:iam/role:Role" and inputs.get("assumeRolePolicy"):
        trust = _plain(inputs["assumeRolePolicy"])
        for st in (json.loads(trust) if isinstance(trust, str) else trust).get("Statement", []):
            services = (st.get("Principal") or {}).get("Service", []) if isinstance(st.get("Principal"), dict) else []
            services = [services] if isinstance(services, str) else services
            keys = {k.lower() for op in (st.get("Condition") or {}).values() for k in op}
            if set(services) & TRUST_WITHOUT_SOURCE_KEYS and keys & {"aws:sourceaccount", "aws:sourcearn"}:
                raise AwsValidationError(f"{token} {name!r}: trust of {sorted(services)} conditions on "
                                         f"{sorted(keys)}, which that service does not document sending")
    if token == "aws:iam/role:Role":
        for i, inline in enumerate(inputs.get("inlinePolicies") or []):
            if inline.get("policy"):
                check_policy_document(_plain(inline["policy"]), f"{token} {name!r} inlinePolicies[{i}]")


def _check_specifics(token: str, name: str, inputs: dict[str, Any]) -> None:
    if token == "aws:cloudwatch/logGroup:LogGroup":
        days = inputs.get("retentionInDays")
        if days is not None and days not in LOG_RETENTION_DAYS:
            raise AwsValidationError(f"{token} {name!r}: retentionInDays = {days}; CloudWatch accepts "
                                     f"{sorted(LOG_RETENTION_DAYS)}")
    if token == "aws:ssm/parameter:Parameter":
        pname = inputs.get("name", "")
        if not pname.startswith("/") or len(pname) > 1011 or pname.count("/") > 15:
            raise AwsValidationError(f"{token} {name!r}: name {pname!r} must be a path starting with '/', "
                                     "at most 15 levels deep")
        if inputs.get("keyId") and inputs.get("type") != "SecureString":
            raise AwsValidationError(f"{token} {name!r}: keyId is only valid for a SecureString, "
                                     f"not a {inputs.get('type')}")
        if len(inputs.get("description") or "") > 1024:
            raise AwsValidationError(f"{token} {name!r}: description is over 1024 characters")
    if token == "aws:kms/alias:Alias":
        alias = inputs.get("name", "")
        if not re.fullmatch(r"alias/[a-zA-Z0-9/_-]{1,250}", alias) or alias.startswith("alias/aws/"):
            raise AwsValidationError(f"{token} {name!r}: name {alias!r} must be alias/<name>, "
                                     "not alias/aws/...")
    if token == "aws:rds/instance:Instance":
        _check_rds_instance(name, inputs)
    if token == "aws:signer/signingProfile:SigningProfile":
        # PutSigningProfile: profileName matches ^[a-zA-Z0-9_]{2,}, at most 64 characters.
        profile = inputs.get("name", "")
        if not re.fullmatch(r"[a-zA-Z0-9_]{2,64}", profile):
            raise AwsValidationError(f"{token} {name!r}: name {profile!r} allows only letters, digits and _ (2-64)")
    if token == "aws:lambda/codeSigningConfig:CodeSigningConfig":
        # CreateCodeSigningConfig: AllowedPublishers.SigningProfileVersionArns holds 1-20 ARNs.
        arns = (inputs.get("allowedPublishers") or {}).get("signingProfileVersionArns") or []
        if not 1 <= len(arns) <= 20:
            raise AwsValidationError(f"{token} {name!r}: allowedPublishers needs 1-20 signing profile versions")
    if token == "aws:rds/proxy:Proxy" and inputs.get("defaultAuthScheme", "NONE") == "NONE" and not inputs.get("auths"):
        # CreateDBProxy: Auth is required unless DefaultAuthScheme is IAM_AUTH (end-to-end IAM, no secrets).
        raise AwsValidationError(f"{token} {name!r}: needs auths (a secret per database user) unless "
                                 "defaultAuthScheme is IAM_AUTH")
    if token == "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup":
        pool = inputs.get("connectionPoolConfig") or {}
        for key, allowed in (("maxConnectionsPercent", range(1, 101)),
                             ("maxIdleConnectionsPercent", range(0, 101)),
                             ("connectionBorrowTimeout", aws_limits.RDS_PROXY_BORROW_TIMEOUT_SECONDS)):
            if pool.get(key) is not None and pool[key] not in allowed:
                raise AwsValidationError(f"{token} {name!r}: connectionPoolConfig.{key} = {pool[key]!r}; "
                                         f"AWS accepts {allowed.start}-{allowed.stop - 1}")
    if token == "aws:rds/parameterGroup:ParameterGroup":
        for parameter in inputs.get("parameters") or []:
            if parameter.get("name") in RDS_STATIC_PARAMETERS and parameter.get("applyMethod") == "immediate":
                raise AwsValidationError(f"{token} {name!r}: {parameter['name']} is a static parameter; RDS "
                                         "refuses applyMethod 'immediate' for it (use 'pending-reboot')")
    family = inputs.get("family", "")
    if token == "aws:rds/parameterGroup:ParameterGroup" and not re.fullmatch(r"postgres\d+", family):
        raise AwsValidationError(f"{token} {name!r}: family = {family!r} is not a postgresNN family")
    for key in ("cidrBlock", "cidrIpv4"):
        cidr = inputs.get(key)
        if isinstance(cidr, str):
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError as error:
                raise AwsValidationError(f"{token} {name!r}: {key} = {cidr!r}: {error}") from None
    tags = _plain(inputs.get("tags")) or {}
    for key, value in tags.items():
        if len(key) > 128 or len(str(value)) > 256 or key.lower().startswith("aws:"):
            raise AwsValidationError(f"{token} {name!r}: tag {key!r}={value!r} breaks AWS tag limits")


def _check_rds_instance(name: str, inputs: dict[str, Any]) -> None:
    """CreateDBInstance / CreateDBInstanceReadReplica parameter constraints."""
    where = f"aws:rds/instance:Instance {name!r}"

    def refuse(key: str, why: str) -> None:
        raise AwsValidationError(f"{where}: {key} = {inputs.get(key)!r}: {why}")

    instance_class = inputs.get("instanceClass", "")
    if not re.fullmatch(aws_limits.RDS_INSTANCE_CLASS_PATTERN, instance_class):
        refuse("instanceClass", f"not an RDS instance class ({aws_limits.RDS_INSTANCE_CLASS_PATTERN})")
    retention = inputs.get("backupRetentionPeriod")
    if retention is not None and retention not in aws_limits.RDS_BACKUP_RETENTION_DAYS:
        refuse("backupRetentionPeriod", "RDS keeps automated backups 0 to 35 days")
    for key, pattern in (("backupWindow", aws_limits.RDS_BACKUP_WINDOW_PATTERN),
                         ("maintenanceWindow", aws_limits.RDS_MAINTENANCE_WINDOW_PATTERN)):
        if inputs.get(key) is not None and not re.fullmatch(pattern, inputs[key]):
            shape = "hh24:mi-hh24:mi" if key == "backupWindow" else "ddd:hh24:mi-ddd:hh24:mi"
            refuse(key, f"expected {shape} in UTC, lowercase day names")
    allocated, ceiling = inputs.get("allocatedStorage"), inputs.get("maxAllocatedStorage")
    gp3 = inputs.get("storageType") == "gp3"
    if gp3 and allocated is not None and allocated < aws_limits.RDS_GP3_MIN_GIB:
        refuse("allocatedStorage", f"gp3 needs at least {aws_limits.RDS_GP3_MIN_GIB} GiB")
    if ceiling and allocated and ceiling <= allocated:
        refuse("maxAllocatedStorage", f"the autoscaling ceiling must exceed allocatedStorage ({allocated})")
    if inputs.get("multiAz") and inputs.get("availabilityZone"):
        refuse("availabilityZone", "RDS refuses a specific AZ for a Multi-AZ instance")
    replica = bool(inputs.get("replicateSourceDb"))
    if replica and not str(inputs["replicateSourceDb"]).startswith("arn:") and inputs.get("kmsKeyId"):
        refuse("kmsKeyId", "a same-region read replica inherits its source's key; CreateDBInstanceReadReplica "
                           "refuses KmsKeyId for it")
    snapshot = inputs.get("finalSnapshotIdentifier")
    if isinstance(snapshot, str) and not _SNAPSHOT_ID.fullmatch(snapshot):
        # DeleteDBInstance FinalDBSnapshotIdentifier: 1-255 letters, digits or hyphens, a letter first, no
        # trailing hyphen, no "--" (RDS API reference).
        refuse("finalSnapshotIdentifier", "1-255 letters, digits or hyphens, a letter first, no '--', no trailing '-'")
    if replica and inputs.get("finalSnapshotIdentifier"):
        refuse("finalSnapshotIdentifier", "a read replica cannot take a final snapshot")
    if not replica and inputs.get("skipFinalSnapshot") is False and not inputs.get("finalSnapshotIdentifier"):
        refuse("finalSnapshotIdentifier", "required when skipFinalSnapshot is false")
    size = instance_class.rsplit(".", 1)[-1]
    if inputs.get("performanceInsightsEnabled") and size in aws_limits.RDS_PI_UNSUPPORTED_SIZES:
        refuse("performanceInsightsEnabled", f"Performance Insights does not run on {instance_class}")
    if inputs.get("monitoringInterval") and not inputs.get("monitoringRoleArn"):
        refuse("monitoringRoleArn", "enhanced monitoring needs a monitoring role")


_SNAPSHOT_ID = re.compile(r"(?!.*--)[A-Za-z][A-Za-z0-9-]{0,254}(?<!-)")


RULES: tuple[Rule, ...] = (_check_arns, _check_enums, _check_policies, _check_specifics)


def validate(token: str, name: str, inputs: dict[str, Any]) -> None:
    """Raise `AwsValidationError` for the first value AWS would refuse."""
    if not token.startswith("aws:"):
        return
    for rule in RULES:
        rule(token, name, inputs)


# -- Lambda, SQS, S3 and Application Auto Scaling (compute layer) ---------------------------------
for _token, _enums in {
    "aws:lambda/function:Function": {"architectures[]": {"x86_64", "arm64"}},
    "aws:appautoscaling/target:Target": {
        "serviceNamespace": {"lambda", "ecs", "dynamodb", "rds", "sagemaker", "elasticmapreduce", "ec2",
                             "appstream", "custom-resource", "comprehend", "kafka", "elasticache", "neptune",
                             "cassandra", "workspaces"},
        "scalableDimension": {"lambda:function:ProvisionedConcurrency", "ecs:service:DesiredCount",
                              "dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits",
                              "rds:cluster:ReadReplicaCount"}},
    "aws:appautoscaling/policy:Policy": {
        "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType": {
            "LambdaProvisionedConcurrencyUtilization", "ECSServiceAverageCPUUtilization",
            "ECSServiceAverageMemoryUtilization", "DynamoDBReadCapacityUtilization",
            "DynamoDBWriteCapacityUtilization", "RDSReaderAverageCPUUtilization",
            "ALBRequestCountPerTarget"}},
    "aws:s3/bucketVersioning:BucketVersioning": {"versioningConfiguration.status": {"Enabled", "Suspended"}},
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        "rules[].applyServerSideEncryptionByDefault.sseAlgorithm": {"AES256", "aws:kms", "aws:kms:dsse"}},
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
        "rules[].status": {"Enabled", "Disabled"}},
}.items():
    ENUMS.setdefault(_token, {}).update(_enums)

# token -> {input path: (min, max)} inclusive, from the services' API references.
RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "aws:lambda/function:Function": {"memorySize": (128, 10_240), "timeout": (1, 900),
                                     "reservedConcurrentExecutions": (-1, 100_000),
                                     "ephemeralStorage.size": (512, 10_240)},
    "aws:lambda/eventSourceMapping:EventSourceMapping": {
        "batchSize": (1, 10_000), "maximumBatchingWindowInSeconds": (0, 300),
        "scalingConfig.maximumConcurrency": (2, 1000)},
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": {
        "maximumRetryAttempts": (0, 2), "maximumEventAgeInSeconds": (60, 21_600)},
    "aws:sqs/queue:Queue": {"visibilityTimeoutSeconds": (0, 43_200),
                            "messageRetentionSeconds": (60, 1_209_600),
                            "kmsDataKeyReusePeriodSeconds": (60, 86_400), "receiveWaitTimeSeconds": (0, 20),
                            "delaySeconds": (0, 900), "maxMessageSize": (1024, 1_048_576)},
    "aws:appautoscaling/target:Target": {"minCapacity": (0, 1_000_000), "maxCapacity": (0, 1_000_000)},
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
        "rules[].noncurrentVersionExpiration.noncurrentDays": (1, 2_147_483_647),
        "rules[].abortIncompleteMultipartUpload.daysAfterInitiation": (1, 2_147_483_647)},
}
_LAMBDA_PC_RESOURCE = re.compile(r"^function:[A-Za-z0-9_-]{1,64}:[A-Za-z0-9_$-]{1,128}$")
_SCHEDULE = re.compile(r"^(cron\([^)]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|at\([0-9T:-]+\))$")


def _check_ranges(token: str, name: str, inputs: dict[str, Any]) -> None:
    for field, (low, high) in RANGES.get(token, {}).items():
        for path, value in _walk(inputs, ""):
            if path == field and isinstance(value, (int, float)) and not low <= value <= high:
                raise AwsValidationError(f"{token} {name!r}: {field} = {value}; AWS accepts {low}..{high}")


def _check_compute(token: str, name: str, inputs: dict[str, Any]) -> None:
    if token == "aws:lambda/eventSourceMapping:EventSourceMapping":
        source = str(inputs.get("eventSourceArn") or "")
        batch, window = inputs.get("batchSize"), inputs.get("maximumBatchingWindowInSeconds") or 0
        if source.startswith("arn:aws:sqs:") and batch is not None and batch > 10 and window < 1:
            raise AwsValidationError(f"{token} {name!r}: batchSize {batch} > 10 from SQS needs "
                                     "maximumBatchingWindowInSeconds >= 1")
    if token == "aws:sqs/queue:Queue" and inputs.get("redrivePolicy"):
        policy = json.loads(_plain(inputs["redrivePolicy"]))
        count = policy.get("maxReceiveCount")
        target = policy.get("deadLetterTargetArn", "")
        if not isinstance(count, int) or not 1 <= count <= 1000 or not ARN.match(target):
            raise AwsValidationError(f"{token} {name!r}: redrivePolicy {policy} needs a deadLetterTargetArn "
                                     "and maxReceiveCount 1..1000")
    if token == "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy":
        policy = json.loads(_plain(inputs.get("redriveAllowPolicy") or "{}"))
        if policy.get("redrivePermission") not in ("allowAll", "denyAll", "byQueue"):
            raise AwsValidationError(
                f"{token} {name!r}: redrivePermission {policy.get('redrivePermission')!r}")
        if policy["redrivePermission"] == "byQueue" and not 1 <= len(policy.get("sourceQueueArns", [])) <= 10:
            raise AwsValidationError(f"{token} {name!r}: byQueue needs 1..10 sourceQueueArns")
    if token == "aws:appautoscaling/target:Target":
        low, high = inputs.get("minCapacity", 0), inputs.get("maxCapacity", 0)
        if low > high:
            raise AwsValidationError(f"{token} {name!r}: minCapacity {low} > maxCapacity {high}")
        resource_id = inputs.get("resourceId", "")
        if inputs.get("serviceNamespace") == "lambda" and not _LAMBDA_PC_RESOURCE.match(resource_id):
            raise AwsValidationError(f"{token} {name!r}: resourceId {inputs.get('resourceId')!r} is not "
                                     "function:<name>:<alias or version>")
    if token == "aws:appautoscaling/scheduledAction:ScheduledAction" and not _SCHEDULE.match(
            inputs.get("schedule", "")):
        raise AwsValidationError(f"{token} {name!r}: schedule {inputs.get('schedule')!r} is not cron(), "
                                     "rate() or at()")
    if token == "aws:servicequotas/serviceQuota:ServiceQuota":
        _check_service_quota(name, inputs)
    if token == "aws:lambda/alias:Alias":
        alias = inputs.get("name", "")
        if not re.fullmatch(r"(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}", alias):
            raise AwsValidationError(
                f"{token} {name!r}: alias name {alias!r} (letters, digits, - _, not all digits)")


RULES = (*RULES, _check_ranges, _check_compute)


def _check_service_quota(name: str, inputs: dict[str, Any]) -> None:
    """RequestServiceQuotaIncrease: ServiceCode/QuotaCode ``[a-zA-Z][a-zA-Z0-9-]{1,128}``, DesiredValue
    0..10,000,000,000 (Service Quotas API reference). Lambda concurrency also needs room for the 100
    unreserved executions Lambda keeps (configuration-concurrency.html)."""
    where = f"aws:servicequotas/serviceQuota:ServiceQuota {name!r}"
    for key in ("serviceCode", "quotaCode"):
        if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9-]{1,128}", str(inputs.get(key, ""))):
            raise AwsValidationError(f"{where}: {key} = {inputs.get(key)!r} is not a Service Quotas code")
    value = inputs.get("value")
    if not isinstance(value, (int, float)) or not 0 <= value <= 10_000_000_000:
        raise AwsValidationError(f"{where}: value = {value!r}; Service Quotas accepts 0..10,000,000,000")
    lambda_concurrency = (aws_limits.LAMBDA_CONCURRENCY_SERVICE_CODE, aws_limits.LAMBDA_CONCURRENCY_QUOTA_CODE)
    if (inputs.get("serviceCode"), inputs.get("quotaCode")) == lambda_concurrency and (
        value <= aws_limits.LAMBDA_UNRESERVED_MINIMUM
    ):
        raise AwsValidationError(f"{where}: Lambda concurrency {value} leaves nothing to reserve above the "
                                 f"{aws_limits.LAMBDA_UNRESERVED_MINIMUM} unreserved executions Lambda keeps")


# -- API Gateway REST, ACM, WAFv2 (api layer) -------------------------------------------------------
# Stage.CacheClusterSize and MethodSetting.LoggingLevel enums, DomainName.SecurityPolicy and EndpointType
# (API Gateway API reference); UsagePlan QuotaSettings.Period; WebACL Scope (WAFv2 API reference).
for _token, _enums in {
    "aws:apigateway/stage:Stage": {"cacheClusterSize": set(aws_limits.APIGW_CACHE_CLUSTER_SIZES)},
    "aws:apigateway/methodSettings:MethodSettings": {
        "settings.loggingLevel": set(aws_limits.APIGW_LOGGING_LEVELS),
        "settings.unauthorizedCacheControlHeaderStrategy": {
            "FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER"}},
    "aws:apigateway/domainName:DomainName": {"securityPolicy": set(aws_limits.APIGW_TLS_POLICIES),
                                             "endpointConfiguration.types": {"REGIONAL", "EDGE", "PRIVATE"}},
    "aws:apigateway/restApi:RestApi": {"endpointConfiguration.types": {"REGIONAL", "EDGE", "PRIVATE"},
                                       "putRestApiMode": {"merge", "overwrite"}},
    "aws:apigateway/usagePlan:UsagePlan": {"quotaSettings.period": set(aws_limits.APIGW_QUOTA_PERIODS)},
    "aws:apigateway/usagePlanKey:UsagePlanKey": {"keyType": {"API_KEY"}},
    "aws:acm/certificate:Certificate": {"validationMethod": {"DNS", "EMAIL"}},
    "aws:wafv2/webAcl:WebAcl": {"scope": {"REGIONAL", "CLOUDFRONT"},
                                "rules[].statement.rateBasedStatement.aggregateKeyType": {
                                    "IP", "FORWARDED_IP", "CUSTOM_KEYS", "CONSTANT"},
                                "rules[].statement.rateBasedStatement.evaluationWindowSec": set(
                                    aws_limits.WAF_EVALUATION_WINDOWS)},
}.items():
    ENUMS.setdefault(_token, {}).update(_enums)

RANGES.update({
    # MethodSetting: cacheTtlInSeconds 0-3600; throttles -1 (off) up to the account's 10,000 rps / 5,000 burst.
    "aws:apigateway/methodSettings:MethodSettings": {
        "settings.cacheTtlInSeconds": (0, 3600),
        "settings.throttlingRateLimit": (-1, aws_limits.APIGW_ACCOUNT_RATE_LIMIT),
        "settings.throttlingBurstLimit": (-1, aws_limits.APIGW_ACCOUNT_BURST_LIMIT)},
    "aws:apigateway/usagePlan:UsagePlan": {
        "throttleSettings.rateLimit": (0, aws_limits.APIGW_ACCOUNT_RATE_LIMIT),
        "throttleSettings.burstLimit": (0, aws_limits.APIGW_ACCOUNT_BURST_LIMIT)},
    "aws:wafv2/webAcl:WebAcl": {"rules[].statement.rateBasedStatement.limit": (10, 2_000_000_000)},
})
_IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_LAMBDA_INVOKE_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    r"arn:aws[a-z-]*:lambda:us-east-1:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?/invocations$")


def _check_rest_api_body(name: str, raw: Any) -> None:
    """What PutRestApi refuses in an imported OpenAPI document's integrations."""
    token = "aws:apigateway/restApi:RestApi"
    try:
        body = json.loads(_plain(raw))
    except (TypeError, ValueError) as error:
        raise AwsValidationError(f"{token} {name!r}: body is not JSON ({error})") from None
    validators = body.get("x-amazon-apigateway-request-validators", {})
    default = body.get("x-amazon-apigateway-request-validator")
    if default is not None and default not in validators:
        raise AwsValidationError(f"{token} {name!r}: request validator {default!r} is not defined")
    for path, item in body.get("paths", {}).items():
        for method, op in item.items():
            integration = op.get("x-amazon-apigateway-integration") if isinstance(op, dict) else None
            if not integration:
                continue
            where = f"{token} {name!r}: {method.upper()} {path}"
            if integration.get("type") == "aws_proxy" and integration.get("httpMethod") != "POST":
                raise AwsValidationError(f"{where}: a Lambda proxy integration's httpMethod must be POST")
            if not _LAMBDA_INVOKE_URI.match(str(integration.get("uri", ""))):
                raise AwsValidationError(f"{where}: uri {integration.get('uri')!r} is not a Lambda invocation path")
            credentials = integration.get("credentials")
            if credentials is not None and not _IAM_ROLE_ARN.match(str(credentials)):
                raise AwsValidationError(f"{where}: credentials {credentials!r} is not an IAM role ARN")
            if not 50 <= int(integration.get("timeoutInMillis", 29_000)) <= 29_000:
                raise AwsValidationError(f"{where}: timeoutInMillis must be 50-29000")
            declared = _declared_parameters(body, op)
            for key in integration.get("cacheKeyParameters", []):
                if key not in declared:  # PutRestApi: "Invalid cache key parameter specified"
                    raise AwsValidationError(f"{where}: cache key {key!r} is not a declared method request parameter")


def _declared_parameters(body: dict[str, Any], op: dict[str, Any]) -> set[str]:
    """``method.request.{path|querystring|header}.{name}`` of an operation's parameters ($refs followed)."""
    where = {"path": "path", "query": "querystring", "header": "header"}
    declared = set()
    for parameter in op.get("parameters", []):
        if "$ref" in parameter:
            parameter = body.get("components", {}).get("parameters", {}).get(parameter["$ref"].rsplit("/", 1)[1], {})
        if parameter.get("in") in where:
            declared.add(f"method.request.{where[parameter['in']]}.{parameter.get('name')}")
    return declared


def _check_api(token: str, name: str, inputs: dict[str, Any]) -> None:
    if token == "aws:apigateway/restApi:RestApi" and inputs.get("body"):
        _check_rest_api_body(name, inputs["body"])
    if token == "aws:apigateway/stage:Stage":
        if inputs.get("cacheClusterEnabled") and not inputs.get("cacheClusterSize"):
            raise AwsValidationError(f"{token} {name!r}: cacheClusterEnabled needs a cacheClusterSize")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", str(inputs.get("stageName", ""))):
            raise AwsValidationError(f"{token} {name!r}: stageName {inputs.get('stageName')!r} "
                                     "(letters, digits, - _; at most 128)")
    if token == "aws:apigateway/methodSettings:MethodSettings":
        path = str(inputs.get("methodPath", ""))
        if path != "*/*" and not re.fullmatch(r"[^/].*/(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|\*)", path):
            raise AwsValidationError(f"{token} {name!r}: methodPath {path!r} is not {{resource_path}}/{{METHOD}}")


RULES = (*RULES, _check_api)


# -- CloudWatch alarms and dashboards, Logs, Budgets, X-Ray, AWS Config (observability layer) -------
# The rules live in their own module (they are many); every layer's graph goes through them.
from shared.synth.aws_rules_observability import OBSERVABILITY_RULES  # noqa: E402

RULES = (*RULES, *OBSERVABILITY_RULES)
