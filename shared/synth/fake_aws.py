"""Realistic, deterministic stand-ins for what AWS returns: ids, ARNs, computed outputs, data sources.

Ids are derived from the resource's URN, so two renders of the same program give the same graph.
Extra outputs use Pulumi's wire (camelCase) names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
AVAILABILITY_ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"]
AZ_IDS = ["use1-az1", "use1-az2", "use1-az4", "use1-az6", "use1-az5"]


def digest(seed: str, length: int = 17) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


# EC2-style ids: resource token -> id prefix.
EC2_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
}


def _name(inputs: dict[str, Any], fallback: str) -> str:
    for key in ("name", "functionName", "bucket", "identifier", "layerName", "dashboardName", "alarmName"):
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value
    return fallback


def arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT_ID) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


@dataclass(frozen=True)
class FakeRequest:
    """What a fake needs to know about one resource: its type token, URN-derived seed, name and inputs."""

    token: str
    urn: str
    name: str
    inputs: dict[str, Any]

    @property
    def seed(self) -> str:
        return digest(self.urn)


Fake = Callable[[FakeRequest], tuple[str, dict[str, Any]]]


def fake_resource(token: str, logical_name: str, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(physical id, extra outputs) for one resource, shaped like what AWS returns.

    A type with no entry in ``RESOURCES`` gets an id and a plausible ARN under its service's namespace.
    """
    request = FakeRequest(token, urn, _name(inputs, logical_name), inputs)
    return RESOURCES.get(token, _any_resource)(request)


def _any_resource(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    service = r.token.split(":")[1].split("/")[0]
    return f"{r.name}-{r.seed[:8]}", {"arn": arn(service, f"{r.token.rsplit(':', 1)[1].lower()}/{r.name}")}


# --- EC2 / VPC ---------------------------------------------------------------------------------

_EC2_ARN_KINDS = {"sg": "security-group", "rtb": "route-table", "igw": "internet-gateway", "nat": "natgateway",
                  "eipalloc": "elastic-ip", "fl": "vpc-flow-log", "sgr": "security-group-rule",
                  "vpce": "vpc-endpoint"}


def _ec2(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    prefix = EC2_PREFIXES[r.token]
    rid = f"{prefix}-{r.seed}"
    return rid, {"arn": arn("ec2", f"{_EC2_ARN_KINDS.get(prefix, prefix)}/{rid}")}


def _vpc(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    rid, extra = _ec2(r)
    return rid, {**extra, "defaultSecurityGroupId": f"sg-{digest(r.urn + 'sg')}",
                 "defaultNetworkAclId": f"acl-{digest(r.urn + 'acl')}",
                 "mainRouteTableId": f"rtb-{digest(r.urn + 'rtb')}"}


def _vpc_endpoint(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    rid, extra = _ec2(r)
    return rid, {**extra, "dnsEntries": [{"dnsName": f"{rid}.{r.inputs.get('serviceName', '')}",
                                          "hostedZoneId": "Z7HUB22UULQXV"}],
                 "prefixListId": f"pl-{digest(r.urn, 8)}"}


def _eip(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    rid, extra = _ec2(r)
    return rid, {**extra, "publicIp": "198.51.100.10"}


# --- KMS, IAM ------------------------------------------------------------------------------------

def _kms_key(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    seed = r.seed
    key_id = f"{seed[:8]}-{seed[8:12]}-4{seed[12:15]}-8{digest(r.urn + 'k', 3)}-{digest(r.urn + 'kk', 12)}"
    return key_id, {"arn": arn("kms", f"key/{key_id}"), "keyId": key_id}


def _kms_alias(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return r.name, {"arn": arn("kms", r.name), "targetKeyArn": r.inputs.get("targetKeyId", "")}


def _iam_named(path: str) -> Fake:
    """IAM roles and policies: ARN by name (IAM is global: no region in the ARN)."""
    def fake(r: FakeRequest) -> tuple[str, dict[str, Any]]:
        return r.name, {"arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:{path}/{r.name}", "name": r.name,
                        "uniqueId": f"AROA{digest(r.urn, 17).upper()}"}
    return fake


def _iam_attachment(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return f"{r.name}-{r.seed[:8]}", {}


# --- Lambda, application auto scaling ----------------------------------------------------------

def _lambda_function(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    fn_arn = arn("lambda", f"function:{r.name}")
    return r.name, {"arn": fn_arn, "qualifiedArn": f"{fn_arn}:1", "version": "1",
                    "invokeArn": _invoke_arn(fn_arn), "qualifiedInvokeArn": _invoke_arn(f"{fn_arn}:1")}


def _lambda_alias(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    fn = r.inputs.get("functionName", "fn")
    fn = fn.rsplit(":", 1)[-1] if fn.startswith("arn:") else fn
    alias_arn = arn("lambda", f"function:{fn}:{r.name}")
    return alias_arn, {"arn": alias_arn, "invokeArn": _invoke_arn(alias_arn)}


def _layer_version(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    layer_arn = arn("lambda", f"layer:{r.name}")
    return f"{layer_arn}:1", {"arn": f"{layer_arn}:1", "layerArn": layer_arn, "version": "1"}


def _event_source_mapping(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    seed = r.seed
    uuid = f"{seed[:8]}-{seed[8:12]}-4{seed[12:15]}-8{digest(r.urn + 'u', 3)}-{digest(r.urn + 'uu', 12)}"
    return uuid, {"uuid": uuid, "arn": arn("lambda", f"event-source-mapping:{uuid}"), "state": "Enabled"}


def _event_invoke_config(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return f"{r.inputs.get('functionName', r.name)}:{r.inputs.get('qualifier', '$LATEST')}", {}


def _scalable_target(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    rid = r.inputs.get("resourceId", r.name)
    return f"{r.inputs.get('serviceNamespace', 'lambda')}/{rid}/{r.inputs.get('scalableDimension', '')}", {
        "arn": arn("application-autoscaling", f"scalable-target/{digest(r.urn, 32)}")}


def _scaling_policy(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return r.name, {"arn": arn("autoscaling", f"scalingPolicy:{digest(r.urn, 36)}:resource/lambda/"
                               f"{r.inputs.get('resourceId', '')}:policyName/{r.name}"),
                    "alarmArns": []}


def _scheduled_action(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return r.name, {"arn": arn("autoscaling", f"scheduledAction:{digest(r.urn, 36)}:resource/lambda/"
                               f"{r.inputs.get('resourceId', '')}:scheduledActionName/{r.name}")}


# --- Messaging, logs, S3, SSM ---------------------------------------------------------------------

def _queue(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{r.name}"
    return url, {"arn": arn("sqs", r.name), "url": url}


def _topic(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return arn("sns", r.name), {"arn": arn("sns", r.name)}


def _log_group(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return r.name, {"arn": arn("logs", f"log-group:{r.name}")}


def _bucket(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return r.name, {"arn": f"arn:{PARTITION}:s3:::{r.name}", "bucket": r.name,
                    "bucketDomainName": f"{r.name}.s3.amazonaws.com",
                    "bucketRegionalDomainName": f"{r.name}.s3.{REGION}.amazonaws.com"}


def _bucket_setting(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    """A bucket's sub-resource (policy, versioning, encryption...): AWS ids it by the bucket."""
    return f"{r.inputs.get('bucket', r.name)}-{r.seed[:6]}", {}


def _bucket_object(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    key = r.inputs.get("key", r.name)
    return key, {"versionId": digest(r.urn + "v", 32), "etag": digest(r.urn + "e", 32),
                 "arn": f"arn:{PARTITION}:s3:::{r.inputs.get('bucket', 'bucket')}/{key}"}


def _ssm_parameter(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return r.name, {"arn": arn("ssm", f"parameter{r.name}"), "version": 1}


# --- RDS, Secrets Manager ---------------------------------------------------------------------------

def _rds_instance(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    host = f"{r.name}.c{r.seed[:12]}.{REGION}.rds.amazonaws.com"
    return r.name, {"arn": arn("rds", f"db:{r.name}"), "address": host, "endpoint": f"{host}:5432",
                    "resourceId": f"db-{digest(r.urn, 26).upper()}", "port": r.inputs.get("port", 5432),
                    "hostedZoneId": "Z2R2ITUGPM61AM"}


def _rds_named(kind: str) -> Fake:
    def fake(r: FakeRequest) -> tuple[str, dict[str, Any]]:
        return r.name, {"arn": arn("rds", f"{kind}:{r.name}")}
    return fake


def _rds_proxy(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    host = f"{r.name}.proxy-c{r.seed[:12]}.{REGION}.rds.amazonaws.com"
    return r.name, {"arn": arn("rds", f"db-proxy:prx-{r.seed}"), "endpoint": host}


def _proxy_target_group(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return r.inputs.get("dbProxyName", r.name), {"name": "default", "arn": arn("rds", f"target-group:prx-tg-{r.seed}")}


def _proxy_target(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    target = r.inputs.get("dbInstanceIdentifier", r.name)
    return (f"{r.inputs.get('dbProxyName')},{r.inputs.get('targetGroupName')},RDS_INSTANCE,{target}",
            {"endpoint": f"{target}.c{r.seed[:12]}.{REGION}.rds.amazonaws.com", "port": 5432,
             "rdsResourceId": target, "type": "RDS_INSTANCE"})


def _rotation_application(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    # The rotation application's one output (terraform-provider-aws acceptance test: outputs.RotationLambdaARN).
    function = r.inputs.get("parameters", {}).get("functionName", r.name)
    return f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/serverlessrepo-{r.name}/{r.seed}", {
        "outputs": {"RotationLambdaARN": arn("lambda", f"function:{function}")}}


def _secret(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    secret_arn = arn("secretsmanager", f"secret:{r.name}-{digest(r.urn, 6)}")
    return secret_arn, {"arn": secret_arn}


def _secret_version(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return (f"{r.inputs.get('secretId', r.name)}|{r.seed[:32]}",
            {"versionId": r.seed[:32], "arn": r.inputs.get("secretId")})


# --- API Gateway, custom domain, WAF ------------------------------------------------------------------

def _rest_api_part(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    rid = digest(r.urn, 10)
    return rid, {"arn": arn("apigateway", f"/restapis/{rid}", account=""),
                 "executionArn": arn("execute-api", rid), "rootResourceId": digest(r.urn + "root", 10)}


def _stage(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    api_id, stage = r.inputs.get("restApi", "api"), r.inputs.get("stageName", r.name)
    return f"ags-{api_id}-{stage}", {
        "arn": f"arn:{PARTITION}:apigateway:{REGION}::/restapis/{api_id}/stages/{stage}",
        "invokeUrl": f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{stage}",
        "executionArn": arn("execute-api", f"{api_id}/{stage}")}


def _domain_name(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return r.name, {"arn": f"arn:{PARTITION}:apigateway:{REGION}::/domainnames/{r.name}",
                    "regionalDomainName": f"d-{digest(r.urn, 10)}.execute-api.{REGION}.amazonaws.com",
                    "regionalZoneId": "Z1UJRXOUMOOFQ8"}


def _certificate(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    domain = r.inputs.get("domainName", r.name)
    cert_arn = arn("acm", f"certificate/{digest(r.urn, 36)}")
    return cert_arn, {
        "arn": cert_arn,
        "domainValidationOptions": [{"domainName": domain, "resourceRecordName": f"_{digest(r.urn, 32)}.{domain}.",
                                     "resourceRecordType": "CNAME",
                                     "resourceRecordValue": f"_{digest(r.urn + 'v', 32)}.acm-validations.aws."}]}


def _certificate_validation(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return str(r.inputs.get("certificateArn", r.name)), {}


def _record(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return f"{r.inputs.get('zoneId')}_{r.inputs.get('name')}_{r.inputs.get('type')}", {
        "fqdn": str(r.inputs.get("name", r.name)).rstrip(".")}


def _web_acl(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    return digest(r.urn, 36), {"arn": arn("wafv2", f"regional/webacl/{r.name}/{digest(r.urn, 36)}"), "capacity": 903}


def _invoke_arn(function_arn: str) -> str:
    return (f"arn:{PARTITION}:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
            f"{function_arn}/invocations")


# --- Code signing, random ---------------------------------------------------------------------------

def _signing_profile(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    """AWS Signer profiles and jobs, and Lambda code signing configs, as their APIs describe them."""
    profile_arn = arn("signer", f"/signing-profiles/{r.name}")
    version = digest(r.urn, 10)
    return r.name, {"arn": profile_arn, "name": r.name, "version": version, "versionArn": f"{profile_arn}/{version}",
                    "platformDisplayName": "AWS Lambda", "status": "Active"}


def _signing_job(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    urn = r.urn
    job_id = f"{digest(urn, 8)}-{digest(urn + 'j', 4)}-{digest(urn + 'jj', 4)}-{digest(urn + 'jjj', 12)}"
    s3 = (r.inputs.get("destination") or {}).get("s3") or {}
    return job_id, {"jobId": job_id, "status": "Succeeded", "signedObjects": [
        {"s3s": [{"bucket": s3.get("bucket"), "key": f"{s3.get('prefix', '')}{job_id}.zip"}]}]}


def _code_signing_config(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    config_id = f"csc-{digest(r.urn, 17)}"
    return config_id, {"arn": arn("lambda", f"code-signing-config:{config_id}"), "configId": config_id}


def _random_password(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    length = int(r.inputs.get("length", 16))
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    raw = hashlib.sha256(r.urn.encode()).digest() * 8
    return "none", {"result": "".join(alphabet[b % len(alphabet)] for b in raw[:length])}


def _random_id(r: FakeRequest) -> tuple[str, dict[str, Any]]:
    h = digest(r.urn, int(r.inputs.get("byteLength", 4)) * 2)
    return h, {"hex": h, "dec": str(int(h, 16)), "b64Url": h}


# Resource type -> its fake. Only types the programs create (checked against `invoke synth` of every env
# and the variants the tests render: NAT networking, a custom API domain).
RESOURCES: dict[str, Fake] = {
    **{token: _ec2 for token in EC2_PREFIXES},
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ec2/eip:Eip": _eip,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:iam/role:Role": _iam_named("role"),
    "aws:iam/policy:Policy": _iam_named("policy"),
    "aws:iam/rolePolicy:RolePolicy": _iam_attachment,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _iam_attachment,
    "aws:lambda/function:Function": _lambda_function,
    "aws:lambda/alias:Alias": _lambda_alias,
    "aws:lambda/layerVersion:LayerVersion": _layer_version,
    "aws:lambda/eventSourceMapping:EventSourceMapping": _event_source_mapping,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": _event_invoke_config,
    "aws:lambda/codeSigningConfig:CodeSigningConfig": _code_signing_config,
    "aws:appautoscaling/target:Target": _scalable_target,
    "aws:appautoscaling/policy:Policy": _scaling_policy,
    "aws:appautoscaling/scheduledAction:ScheduledAction": _scheduled_action,
    "aws:sqs/queue:Queue": _queue,
    "aws:sns/topic:Topic": _topic,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketObjectv2:BucketObjectv2": _bucket_object,
    **{f"aws:s3/bucket{kind}:Bucket{kind}": _bucket_setting for kind in (
        "LifecycleConfiguration", "Logging", "OwnershipControls", "Policy", "PublicAccessBlock",
        "ServerSideEncryptionConfiguration", "Versioning")},
    "aws:ssm/parameter:Parameter": _ssm_parameter,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/subnetGroup:SubnetGroup": _rds_named("subgrp"),
    "aws:rds/parameterGroup:ParameterGroup": _rds_named("pg"),
    "aws:rds/proxy:Proxy": _rds_proxy,
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": _proxy_target_group,
    "aws:rds/proxyTarget:ProxyTarget": _proxy_target,
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": _rotation_application,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:secretsmanager/secretVersion:SecretVersion": _secret_version,
    **{f"aws:apigateway/{kind[0].lower()}{kind[1:]}:{kind}": _rest_api_part for kind in (
        "RestApi", "Deployment", "Account", "MethodSettings", "ApiKey", "UsagePlan", "UsagePlanKey",
        "BasePathMapping")},
    "aws:apigateway/stage:Stage": _stage,
    "aws:apigateway/domainName:DomainName": _domain_name,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:acm/certificateValidation:CertificateValidation": _certificate_validation,
    "aws:route53/record:Record": _record,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:signer/signingProfile:SigningProfile": _signing_profile,
    "aws:signer/signingJob:SigningJob": _signing_job,
    "random:index/randomPassword:RandomPassword": _random_password,
    "random:index/randomId:RandomId": _random_id,
}


# Data source (invoke) token -> its answer. Only the ones the programs call.
DATA_SOURCES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda _: {
        "names": AVAILABILITY_ZONES, "zoneIds": AZ_IDS, "id": REGION, "state": "available"},
    "aws:index/getCallerIdentity:getCallerIdentity": lambda _: {
        "accountId": ACCOUNT_ID, "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/synth",
        "userId": "AIDASYNTH", "id": ACCOUNT_ID},
}


def call(token: str, args: dict[str, Any]) -> dict[str, Any]:
    """Answers for the data sources (invokes) the programs use."""
    if token not in DATA_SOURCES:
        raise NotImplementedError(
            f"the offline synth has no answer for data source {token!r}: add one to shared/synth/fake_aws.py"
        )
    return DATA_SOURCES[token](args)
