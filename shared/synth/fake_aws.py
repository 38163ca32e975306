"""Realistic, deterministic stand-ins for what AWS returns: ids, ARNs, computed outputs, data sources.

Ids are derived from the resource's URN, so two renders of the same program give the same graph.
Extra outputs use Pulumi's wire (camelCase) names.
"""

from __future__ import annotations

import hashlib
import json
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
    "aws:ec2/networkAcl:NetworkAcl": "acl",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "acl",
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


def fake_resource(token: str, logical_name: str, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(physical id, extra outputs) for one resource, shaped like what AWS returns."""
    seed = digest(urn)
    name = _name(inputs, logical_name)
    extra: dict[str, Any] = {}
    if token in EC2_PREFIXES:
        rid = f"{EC2_PREFIXES[token]}-{seed}"
        kind = {"sg": "security-group", "rtb": "route-table", "igw": "internet-gateway", "nat": "natgateway",
                "eipalloc": "elastic-ip", "fl": "vpc-flow-log", "acl": "network-acl", "sgr": "security-group-rule",
                "vpce": "vpc-endpoint"}.get(EC2_PREFIXES[token], EC2_PREFIXES[token])
        extra["arn"] = arn("ec2", f"{kind}/{rid}")
        if token == "aws:ec2/vpc:Vpc":
            extra.update(defaultSecurityGroupId=f"sg-{digest(urn + 'sg')}",
                         defaultNetworkAclId=f"acl-{digest(urn + 'acl')}",
                         mainRouteTableId=f"rtb-{digest(urn + 'rtb')}")
        if token == "aws:ec2/vpcEndpoint:VpcEndpoint":
            extra["dnsEntries"] = [{"dnsName": f"{rid}.{inputs.get('serviceName', '')}", "hostedZoneId": "Z7HUB22UULQXV"}]
            extra["prefixListId"] = f"pl-{digest(urn, 8)}"
        if token == "aws:ec2/eip:Eip":
            extra["publicIp"] = "198.51.100.10"
        return rid, extra
    if token == "aws:kms/key:Key":
        key_id = f"{seed[:8]}-{seed[8:12]}-4{seed[12:15]}-8{digest(urn + 'k', 3)}-{digest(urn + 'kk', 12)}"
        return key_id, {"arn": arn("kms", f"key/{key_id}"), "keyId": key_id}
    if token == "aws:kms/alias:Alias":
        return name, {"arn": arn("kms", name), "targetKeyArn": inputs.get("targetKeyId", "")}
    if token.startswith("aws:iam/"):
        kind = token.rsplit(":", 1)[1]
        if kind in ("Role", "Policy", "InstanceProfile", "User", "Group"):
            path = {"Role": "role", "Policy": "policy", "InstanceProfile": "instance-profile",
                    "User": "user", "Group": "group"}[kind]
            extra = {"arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:{path}/{name}", "name": name,
                     "uniqueId": f"AROA{digest(urn, 17).upper()}"}
            return name, extra
        return f"{name}-{seed[:8]}", {}
    if token == "aws:lambda/function:Function":
        fn_arn = arn("lambda", f"function:{name}")
        return name, {"arn": fn_arn, "qualifiedArn": f"{fn_arn}:1", "version": "1",
                      "invokeArn": _invoke_arn(fn_arn), "qualifiedInvokeArn": _invoke_arn(f"{fn_arn}:1")}
    if token == "aws:lambda/alias:Alias":
        fn = inputs.get("functionName", "fn")
        fn = fn.rsplit(":", 1)[-1] if fn.startswith("arn:") else fn
        alias_arn = arn("lambda", f"function:{fn}:{name}")
        return alias_arn, {"arn": alias_arn, "invokeArn": _invoke_arn(alias_arn)}
    if token == "aws:lambda/layerVersion:LayerVersion":
        layer_arn = arn("lambda", f"layer:{name}")
        return f"{layer_arn}:1", {"arn": f"{layer_arn}:1", "layerArn": layer_arn, "version": "1"}
    if token == "aws:sqs/queue:Queue":
        return (f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}",
                {"arn": arn("sqs", name), "url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"})
    if token == "aws:sns/topic:Topic":
        return arn("sns", name), {"arn": arn("sns", name)}
    if token == "aws:cloudwatch/logGroup:LogGroup":
        return name, {"arn": arn("logs", f"log-group:{name}")}
    if token == "aws:s3/bucketObjectv2:BucketObjectv2":
        key = inputs.get("key", name)
        return key, {"versionId": digest(urn + "v", 32), "etag": digest(urn + "e", 32),
                     "arn": f"arn:{PARTITION}:s3:::{inputs.get('bucket', 'bucket')}/{key}"}
    if token == "aws:lambda/eventSourceMapping:EventSourceMapping":
        uuid = f"{seed[:8]}-{seed[8:12]}-4{seed[12:15]}-8{digest(urn + 'u', 3)}-{digest(urn + 'uu', 12)}"
        return uuid, {"uuid": uuid, "arn": arn("lambda", f"event-source-mapping:{uuid}"), "state": "Enabled"}
    if token == "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig":
        return f"{inputs.get('functionName', name)}:{inputs.get('qualifier', '$LATEST')}", {}
    if token == "aws:appautoscaling/target:Target":
        rid = inputs.get("resourceId", name)
        return f"{inputs.get('serviceNamespace', 'lambda')}/{rid}/{inputs.get('scalableDimension', '')}", {
            "arn": arn("application-autoscaling", f"scalable-target/{digest(urn, 32)}")}
    if token == "aws:appautoscaling/policy:Policy":
        return name, {"arn": arn("autoscaling", f"scalingPolicy:{digest(urn, 36)}:resource/lambda/"
                                 f"{inputs.get('resourceId', '')}:policyName/{name}"),
                      "alarmArns": []}
    if token == "aws:appautoscaling/scheduledAction:ScheduledAction":
        return name, {"arn": arn("autoscaling", f"scheduledAction:{digest(urn, 36)}:resource/lambda/"
                                 f"{inputs.get('resourceId', '')}:scheduledActionName/{name}")}
    if token.startswith("aws:s3/bucket"):
        if token == "aws:s3/bucket:Bucket":
            return name, {"arn": f"arn:{PARTITION}:s3:::{name}", "bucket": name,
                          "bucketDomainName": f"{name}.s3.amazonaws.com",
                          "bucketRegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com"}
        return f"{inputs.get('bucket', name)}-{seed[:6]}", {}
    if token == "aws:ssm/parameter:Parameter":
        return name, {"arn": arn("ssm", f"parameter{name}"), "version": 1}
    if token == "aws:rds/instance:Instance":
        host = f"{name}.c{seed[:12]}.{REGION}.rds.amazonaws.com"
        return name, {"arn": arn("rds", f"db:{name}"), "address": host, "endpoint": f"{host}:5432",
                      "resourceId": f"db-{digest(urn, 26).upper()}", "port": inputs.get("port", 5432),
                      "hostedZoneId": "Z2R2ITUGPM61AM"}
    if token == "aws:serverlessrepository/cloudFormationStack:CloudFormationStack":
        # The rotation application's one output (terraform-provider-aws acceptance test: outputs.RotationLambdaARN).
        function = inputs.get("parameters", {}).get("functionName", name)
        return f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/serverlessrepo-{name}/{seed}", {
            "outputs": {"RotationLambdaARN": arn("lambda", f"function:{function}")}}
    if token == "aws:rds/proxy:Proxy":
        host = f"{name}.proxy-c{seed[:12]}.{REGION}.rds.amazonaws.com"
        return name, {"arn": arn("rds", f"db-proxy:prx-{seed}"), "endpoint": host}
    if token == "aws:rds/proxyEndpoint:ProxyEndpoint":
        host = f"{name}.endpoint.proxy-c{seed[:12]}.{REGION}.rds.amazonaws.com"
        return name, {"arn": arn("rds", f"db-proxy-endpoint:prx-endpoint-{seed}"), "endpoint": host}
    if token == "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup":
        proxy = inputs.get("dbProxyName", name)
        return proxy, {"name": "default", "arn": arn("rds", f"target-group:prx-tg-{seed}")}
    if token == "aws:rds/proxyTarget:ProxyTarget":
        target = inputs.get("dbInstanceIdentifier", name)
        return (f"{inputs.get('dbProxyName')},{inputs.get('targetGroupName')},RDS_INSTANCE,{target}",
                {"endpoint": f"{target}.c{seed[:12]}.{REGION}.rds.amazonaws.com", "port": 5432,
                 "rdsResourceId": target, "type": "RDS_INSTANCE"})
    if token == "aws:secretsmanager/secret:Secret":
        secret_arn = arn("secretsmanager", f"secret:{name}-{digest(urn, 6)}")
        return secret_arn, {"arn": secret_arn}
    if token == "aws:secretsmanager/secretVersion:SecretVersion":
        return f"{inputs.get('secretId', name)}|{seed[:32]}", {"versionId": seed[:32], "arn": inputs.get("secretId")}
    if token in ("aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup"):
        kind = "subgrp" if "subnet" in token else "pg"
        return name, {"arn": arn("rds", f"{kind}:{name}")}
    if token == "aws:apigateway/stage:Stage":
        api_id, stage = inputs.get("restApi", "api"), inputs.get("stageName", name)
        return f"ags-{api_id}-{stage}", {
            "arn": f"arn:{PARTITION}:apigateway:{REGION}::/restapis/{api_id}/stages/{stage}",
            "invokeUrl": f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{stage}",
            "executionArn": arn("execute-api", f"{api_id}/{stage}")}
    if token == "aws:apigateway/domainName:DomainName":
        return name, {"arn": f"arn:{PARTITION}:apigateway:{REGION}::/domainnames/{name}",
                      "regionalDomainName": f"d-{digest(urn, 10)}.execute-api.{REGION}.amazonaws.com",
                      "regionalZoneId": "Z1UJRXOUMOOFQ8"}
    if token == "aws:acm/certificate:Certificate":
        domain = inputs.get("domainName", name)
        return arn("acm", f"certificate/{digest(urn, 36)}"), {
            "arn": arn("acm", f"certificate/{digest(urn, 36)}"),
            "domainValidationOptions": [{"domainName": domain, "resourceRecordName": f"_{digest(urn, 32)}.{domain}.",
                                         "resourceRecordType": "CNAME",
                                         "resourceRecordValue": f"_{digest(urn + 'v', 32)}.acm-validations.aws."}]}
    if token == "aws:acm/certificateValidation:CertificateValidation":
        return str(inputs.get("certificateArn", name)), {}
    if token == "aws:route53/record:Record":
        return f"{inputs.get('zoneId')}_{inputs.get('name')}_{inputs.get('type')}", {
            "fqdn": str(inputs.get("name", name)).rstrip(".")}
    if token == "aws:wafv2/webAcl:WebAcl":
        return digest(urn, 36), {"arn": arn("wafv2", f"regional/webacl/{name}/{digest(urn, 36)}"), "capacity": 903}
    if token.startswith("aws:apigateway/"):
        rid = digest(urn, 10)
        return rid, {"arn": arn("apigateway", f"/restapis/{rid}", account=""),
                     "executionArn": arn("execute-api", rid), "rootResourceId": digest(urn + "root", 10)}
    if token.startswith("aws:signer/") or token == "aws:lambda/codeSigningConfig:CodeSigningConfig":
        return _fake_signing(token, urn, name, inputs)
    if token.startswith("random:"):
        return _fake_random(token, urn, inputs)
    # Anything else: an id and a plausible ARN under the service's namespace.
    service = token.split(":")[1].split("/")[0]
    return f"{name}-{seed[:8]}", {"arn": arn(service, f"{token.rsplit(':', 1)[1].lower()}/{name}")}


def _invoke_arn(function_arn: str) -> str:
    return (f"arn:{PARTITION}:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
            f"{function_arn}/invocations")


def _fake_signing(token: str, urn: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """AWS Signer profiles and jobs, and Lambda code signing configs, as their APIs describe them."""
    if token == "aws:signer/signingProfile:SigningProfile":
        profile_arn = arn("signer", f"/signing-profiles/{name}")
        version = digest(urn, 10)
        return name, {"arn": profile_arn, "name": name, "version": version, "versionArn": f"{profile_arn}/{version}",
                      "platformDisplayName": "AWS Lambda", "status": "Active"}
    if token == "aws:signer/signingJob:SigningJob":
        job_id = f"{digest(urn, 8)}-{digest(urn + 'j', 4)}-{digest(urn + 'jj', 4)}-{digest(urn + 'jjj', 12)}"
        s3 = (inputs.get("destination") or {}).get("s3") or {}
        return job_id, {"jobId": job_id, "status": "Succeeded", "signedObjects": [
            {"s3s": [{"bucket": s3.get("bucket"), "key": f"{s3.get('prefix', '')}{job_id}.zip"}]}]}
    config_id = f"csc-{digest(urn, 17)}"
    return config_id, {"arn": arn("lambda", f"code-signing-config:{config_id}"), "configId": config_id}


def _fake_random(token: str, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if token in ("random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString"):
        length = int(inputs.get("length", 16))
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        raw = hashlib.sha256(urn.encode()).digest() * 8
        value = "".join(alphabet[b % len(alphabet)] for b in raw[:length])
        return "none", {"result": value}
    if token == "random:index/randomId:RandomId":
        n = int(inputs.get("byteLength", 4))
        h = digest(urn, n * 2)
        return h, {"hex": h, "dec": str(int(h, 16)), "b64Url": h}
    return digest(urn, 8), {}


def call(token: str, args: dict[str, Any]) -> dict[str, Any]:
    """Answers for the data sources (invokes) the programs use."""
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        return {"names": AVAILABILITY_ZONES, "zoneIds": AZ_IDS, "id": REGION, "state": "available"}
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {"accountId": ACCOUNT_ID, "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/synth",
                "userId": "AIDASYNTH", "id": ACCOUNT_ID}
    if token == "aws:index/getRegion:getRegion":
        return {"name": REGION, "region": REGION, "id": REGION, "endpoint": f"ec2.{REGION}.amazonaws.com"}
    if token == "aws:index/getPartition:getPartition":
        return {"partition": PARTITION, "dnsSuffix": "amazonaws.com", "id": PARTITION,
                "reverseDnsPrefix": "com.amazonaws"}
    if token == "aws:iam/getPolicyDocument:getPolicyDocument":
        return {"json": json.dumps(_policy_from_args(args)), "id": digest(json.dumps(args, sort_keys=True), 8)}
    raise NotImplementedError(
        f"the offline synth has no answer for data source {token!r}: add one to shared/synth/fake_aws.py"
    )


def _policy_from_args(args: dict[str, Any]) -> dict[str, Any]:
    statements = []
    for st in args.get("statements", []):
        out: dict[str, Any] = {"Effect": st.get("effect", "Allow")}
        if st.get("sid"):
            out["Sid"] = st["sid"]
        if st.get("actions"):
            out["Action"] = st["actions"]
        if st.get("resources"):
            out["Resource"] = st["resources"]
        for p in st.get("principals", []):
            out.setdefault("Principal", {})[p["type"]] = p["identifiers"]
        for c in st.get("conditions", []):
            out.setdefault("Condition", {}).setdefault(c["test"], {})[c["variable"]] = c["values"]
        statements.append(out)
    return {"Version": "2012-10-17", "Statement": statements}
