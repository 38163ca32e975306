"""The synth's checks of values AWS validates (which Pulumi mocks would otherwise accept)."""

from __future__ import annotations

import json

import pytest

from shared.synth.aws_rules import AwsValidationError, validate

pytestmark = pytest.mark.unit


def test_malformed_arn_is_rejected_even_when_nested():
    validate("aws:ec2/flowLog:FlowLog", "f", {"iamRoleArn": "arn:aws:iam::123456789012:role/x"})
    with pytest.raises(AwsValidationError, match="iamRoleArn = 'role/x' is not an ARN"):
        validate("aws:ec2/flowLog:FlowLog", "f", {"iamRoleArn": "role/x"})
    with pytest.raises(AwsValidationError, match="deadLetterConfig.targetArn"):
        validate("aws:lambda/function:Function", "f", {"deadLetterConfig": {"targetArn": "sqs-queue"}})


def test_arn_in_another_region_is_rejected():
    with pytest.raises(AwsValidationError, match="not an ARN"):
        validate("aws:ec2/flowLog:FlowLog", "f", {"logDestination": "x", "iamRoleArn":
                                                  "arn:aws:iam:eu-west-1:123456789012:role/x"})


def test_enum_values_aws_does_not_know():
    with pytest.raises(AwsValidationError, match="tracingConfig.mode = 'On'; AWS accepts Active, PassThrough"):
        validate("aws:lambda/function:Function", "f", {"tracingConfig": {"mode": "On"}})
    with pytest.raises(AwsValidationError, match="architectures"):
        validate("aws:lambda/function:Function", "f", {"architectures": ["aarch64"]})
    validate("aws:lambda/function:Function", "f", {"architectures": ["arm64"], "runtime": "python3.12"})


def test_log_retention_and_parameter_names():
    with pytest.raises(AwsValidationError, match="retentionInDays = 10"):
        validate("aws:cloudwatch/logGroup:LogGroup", "g", {"retentionInDays": 10})
    with pytest.raises(AwsValidationError, match="must be a path starting with '/'"):
        validate("aws:ssm/parameter:Parameter", "p", {"name": "myapp/dev/api/x", "type": "String"})


def test_policy_documents_must_parse_and_use_real_actions():
    good = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"],
                                                    "Resource": ["arn:aws:sqs:us-east-1:123456789012:q"]}]}
    validate("aws:iam/policy:Policy", "p", {"policy": json.dumps(good)})
    bad_action = {**good, "Statement": [{**good["Statement"][0], "Action": ["SendMessage"]}]}
    with pytest.raises(AwsValidationError, match="'SendMessage' is not service:Action"):
        validate("aws:iam/policy:Policy", "p", {"policy": json.dumps(bad_action)})
    with pytest.raises(AwsValidationError, match="Version"):
        validate("aws:iam/policy:Policy", "p", {"policy": json.dumps({"Statement": good["Statement"]})})
    with pytest.raises(AwsValidationError, match="not JSON"):
        validate("aws:iam/rolePolicy:RolePolicy", "p", {"policy": "{not json"})


def test_cidr_must_be_a_network_address():
    with pytest.raises(AwsValidationError, match="cidrBlock = '10.0.0.1/16'"):
        validate("aws:ec2/subnet:Subnet", "s", {"cidrBlock": "10.0.0.1/16"})


def test_taggability_is_read_from_the_sdk_including_keyword_modules():
    from shared.synth.render import _is_taggable

    assert _is_taggable("aws:lambda/function:Function")  # module `lambda_` in the Python SDK
    assert _is_taggable("aws:ec2/vpc:Vpc")
    assert not _is_taggable("aws:lambda/alias:Alias")
    assert not _is_taggable("aws:iam/rolePolicy:RolePolicy")


def test_static_rds_parameters_cannot_apply_immediately():
    def group(method: str) -> dict:
        return {"family": "postgres17", "parameters": [{"name": "rds.force_ssl", "value": "1", "applyMethod": method}]}

    with pytest.raises(AwsValidationError, match="rds.force_ssl is a static parameter"):
        validate("aws:rds/parameterGroup:ParameterGroup", "pg", group("immediate"))
    validate("aws:rds/parameterGroup:ParameterGroup", "pg", group("pending-reboot"))
    dynamic = {"family": "postgres17", "parameters": [{"name": "log_min_duration_statement", "value": "500",
                                                        "applyMethod": "immediate"}]}
    validate("aws:rds/parameterGroup:ParameterGroup", "pg", dynamic)


def test_same_region_replica_takes_no_kms_key():
    replica = {"instanceClass": "db.t4g.medium", "replicateSourceDb": "serverless-infra-prod-db",
               "skipFinalSnapshot": True}
    validate("aws:rds/instance:Instance", "r", replica)
    with pytest.raises(AwsValidationError, match="kmsKeyId .* same-region read replica"):
        validate("aws:rds/instance:Instance", "r",
                 {**replica, "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/abc"})
    cross_region = {**replica, "replicateSourceDb": "arn:aws:rds:us-west-2:123456789012:db:src",
                    "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/abc"}
    validate("aws:rds/instance:Instance", "r", cross_region)


def test_lambda_trust_may_not_condition_on_source_keys():
    from shared import iam

    validate("aws:iam/role:Role", "r", {"assumeRolePolicy": json.dumps(iam.service_trust_policy("lambda.amazonaws.com"))})
    pinned = iam.assume_role_policy("lambda.amazonaws.com", "123456789012")
    with pytest.raises(AwsValidationError, match="aws:sourceaccount"):
        validate("aws:iam/role:Role", "r", {"assumeRolePolicy": json.dumps(pinned)})
    # documented for VPC Flow Logs, so allowed there
    flow = iam.assume_role_policy("vpc-flow-logs.amazonaws.com", "123456789012",
                                  "arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*")
    validate("aws:iam/role:Role", "r", {"assumeRolePolicy": json.dumps(flow)})


def test_code_signing_values_aws_refuses():
    profile = "aws:signer/signingProfile:SigningProfile"
    validate(profile, "p", {"name": "serverless_infra_prod_lambda", "platformId": "AWSLambda-SHA384-ECDSA"})
    with pytest.raises(AwsValidationError, match="allows only letters, digits and _"):
        validate(profile, "p", {"name": "serverless-infra-prod-lambda", "platformId": "AWSLambda-SHA384-ECDSA"})
    with pytest.raises(AwsValidationError, match="platformId"):
        validate(profile, "p", {"name": "ok_name", "platformId": "AWSLambda-SHA256"})
    config = "aws:lambda/codeSigningConfig:CodeSigningConfig"
    arn = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/p/abc"
    with pytest.raises(AwsValidationError, match="untrustedArtifactOnDeployment"):
        validate(config, "c", {"allowedPublishers": {"signingProfileVersionArns": [arn]},
                               "policies": {"untrustedArtifactOnDeployment": "Block"}})
    with pytest.raises(AwsValidationError, match="1-20 signing profile versions"):
        validate(config, "c", {"allowedPublishers": {"signingProfileVersionArns": []}})


def test_proxy_needs_a_secret_per_user_unless_it_is_end_to_end_iam():
    base = {"engineFamily": "POSTGRESQL", "roleArn": "arn:aws:iam::123456789012:role/p"}
    with pytest.raises(AwsValidationError, match="needs auths"):
        validate("aws:rds/proxy:Proxy", "p", base)
    with pytest.raises(AwsValidationError, match="defaultAuthScheme"):
        validate("aws:rds/proxy:Proxy", "p", {**base, "defaultAuthScheme": "IAM"})
    validate("aws:rds/proxy:Proxy", "p", {**base, "defaultAuthScheme": "IAM_AUTH"})
    validate("aws:rds/proxy:Proxy", "p", {**base, "auths": [{"authScheme": "SECRETS", "iamAuth": "REQUIRED"}]})


def test_final_snapshot_identifier_follows_rds_naming():
    primary = {"instanceClass": "db.t4g.micro", "skipFinalSnapshot": False}
    good = "serverless-infra-prod-db-final-1a2b3c4d"
    validate("aws:rds/instance:Instance", "db", {**primary, "finalSnapshotIdentifier": good})
    for bad in ("1-final", "db--final", "db-final-", "db_final", "x" * 256):
        with pytest.raises(AwsValidationError, match="finalSnapshotIdentifier"):
            validate("aws:rds/instance:Instance", "db", {**primary, "finalSnapshotIdentifier": bad})


def test_service_quota_codes_and_lambda_concurrency_floor():
    good = {"serviceCode": "lambda", "quotaCode": "L-B99A9384", "value": 1500.0}
    validate("aws:servicequotas/serviceQuota:ServiceQuota", "q", good)
    with pytest.raises(AwsValidationError, match="quotaCode = 'L_B99'"):
        validate("aws:servicequotas/serviceQuota:ServiceQuota", "q", {**good, "quotaCode": "L_B99"})
    with pytest.raises(AwsValidationError, match="leaves nothing to reserve"):
        validate("aws:servicequotas/serviceQuota:ServiceQuota", "q", {**good, "value": 100.0})
    with pytest.raises(AwsValidationError, match="0..10,000,000,000"):
        validate("aws:servicequotas/serviceQuota:ServiceQuota", "q", {**good, "value": -1})


# -- api layer ----------------------------------------------------------------------------------------
def _api_body(**integration: object) -> str:
    import json as _json

    base = {
        "type": "aws_proxy", "httpMethod": "POST", "timeoutInMillis": 29000,
        "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
               "arn:aws:lambda:us-east-1:123456789012:function:serverless-infra-dev-api:live/invocations",
        "credentials": "arn:aws:iam::123456789012:role/serverless-infra-dev-role-api-integration",
    }
    return _json.dumps({"openapi": "3.0.3", "paths": {"/x": {"get": {
        "x-amazon-apigateway-integration": {**base, **integration}}}}})


def test_api_gateway_values_aws_refuses():
    import pytest as _pytest

    from shared.synth.aws_rules import AwsValidationError, validate

    validate("aws:apigateway/restApi:RestApi", "api", {"body": _api_body()})
    refused = [
        ("aws:apigateway/restApi:RestApi", {"body": _api_body(httpMethod="GET")}, "must be POST"),
        ("aws:apigateway/restApi:RestApi", {"body": _api_body(credentials="my-role")}, "not an IAM role ARN"),
        ("aws:apigateway/restApi:RestApi", {"body": _api_body(timeoutInMillis=30000)}, "50-29000"),
        ("aws:apigateway/restApi:RestApi", {"body": _api_body(cacheKeyParameters=["method.request.querystring.x"])},
         "not a declared method request parameter"),
        ("aws:apigateway/stage:Stage", {"stageName": "v1", "cacheClusterSize": "1.0"}, "cacheClusterSize"),
        ("aws:apigateway/stage:Stage", {"stageName": "v 1"}, "stageName"),
        ("aws:apigateway/domainName:DomainName", {"securityPolicy": "TLS_1_1"}, "securityPolicy"),
        ("aws:apigateway/methodSettings:MethodSettings",
         {"methodPath": "*/*", "settings": {"cacheTtlInSeconds": 7200}}, "cacheTtlInSeconds"),
        ("aws:apigateway/methodSettings:MethodSettings",
         {"methodPath": "*/*", "settings": {"throttlingRateLimit": 20000}}, "throttlingRateLimit"),
        ("aws:apigateway/methodSettings:MethodSettings", {"methodPath": "/orders/GET", "settings": {}}, "methodPath"),
        ("aws:wafv2/webAcl:WebAcl", {"scope": "REGIONAL", "rules": [
            {"statement": {"rateBasedStatement": {"limit": 5, "aggregateKeyType": "IP"}}}]}, "limit"),
    ]
    for token, inputs, message in refused:
        with _pytest.raises(AwsValidationError, match=message):
            validate(token, "r", inputs)
