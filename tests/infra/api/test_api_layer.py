"""The api layer, per env, on the synthesized graph: the REST API from app/openapi.yaml, the stage
(validators, cache on GETs only, throttles, logs, tracing), clients, domain and WAF on/off, and the
wiring to compute by deterministic name (no lambda.Permission)."""

from __future__ import annotations

import json

import pytest

from shared.aws_limits import API_FUNCTION_MAX_TIMEOUT_SECONDS, API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS
from shared.components.api.openapi import load_document, method_path, operations
from shared.synth.render import layer_config

pytestmark = pytest.mark.synth

REST_API = "aws:apigateway/restApi:RestApi"
STAGE = "aws:apigateway/stage:Stage"
DEPLOYMENT = "aws:apigateway/deployment:Deployment"
SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def body(graph) -> dict:
    return json.loads(graph.one(REST_API).inputs["body"])


def method_settings(graph) -> dict:
    return {r.inputs["methodPath"]: r.inputs["settings"] for r in graph.of_type(SETTINGS)}


def test_every_operation_of_the_document_invokes_the_live_alias_with_the_layers_role(synth, env):
    layers = synth(env)
    graph, compute = layers["api"], layers["compute"]
    doc, imported = load_document(), body(graph)
    assert sorted((m, p) for m, p, _ in operations(imported)) == sorted((m, p) for m, p, _ in operations(doc))
    role = graph.one("aws:iam/role:Role", "api-integration-role")
    for _method, _path, op in operations(imported):
        integration = op["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy" and integration["httpMethod"] == "POST"
        # The same ARN compute publishes, but built from the deterministic name, not read from compute.
        assert integration["uri"] == compute.exports["api_alias_invoke_arn"]
        assert f"function:serverless-infra-{env}-api:live/" in integration["uri"]
        assert integration["credentials"] == role.outputs["arn"]
        assert integration["timeoutInMillis"] == API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS * 1000
    trust = role.json_input("assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "apigateway.amazonaws.com"}
    policy = graph.one(ROLE_POLICY, "api-integration-policy").json_input("policy")
    assert policy["Statement"] == [
        {
            "Sid": "InvokeLiveAlias",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [compute.exports["api_alias_arn"]],
        }
    ]


def test_no_lambda_permission_anywhere_and_api_survives_a_compute_redeploy(synth, env, tmp_path):
    """Compute destroyed and deployed again publishes new ids and versions: the api graph is unchanged."""
    from shared.config import Environment
    from shared.synth.runner import RenderedExports, render_in_subprocess

    layers = synth(env)
    for graph in layers.values():
        assert not graph.of_type("aws:lambda/permission:Permission"), graph.layer
    redeployed = dict(layers["compute"].exports)
    redeployed["api_function_arn"] += "-ignored"  # anything but the names may change
    redeployed["api_alias_invoke_arn"] = "arn:aws:apigateway:us-east-1:lambda:path/changed"
    upstream = RenderedExports()
    upstream.add(f"organization/serverless-infra-compute/{env}", redeployed, [])
    upstream.add(f"organization/serverless-infra-security/{env}", layers["security"].exports, [])
    again = render_in_subprocess("api", Environment(env), upstream, tmp_path).graph
    assert body(again) == body(layers["api"])
    assert again.one(DEPLOYMENT).inputs["triggers"] == layers["api"].one(DEPLOYMENT).inputs["triggers"]


def test_compute_under_another_name_stops_the_synth(synth, tmp_path):
    from shared.config import Environment
    from shared.synth.runner import RenderedExports, SynthError, render_in_subprocess

    layers = synth("dev")
    upstream = RenderedExports()
    upstream.add("organization/serverless-infra-compute/dev",
                 {**layers["compute"].exports, "api_alias_name": "blue"}, [])
    upstream.add("organization/serverless-infra-security/dev", layers["security"].exports, [])
    with pytest.raises(SynthError, match="the api layer invokes 'serverless-infra-dev-api':'live' by name"):
        render_in_subprocess("api", Environment.DEV, upstream, tmp_path)


def test_request_validators_and_api_keys_are_attached(synth, env):
    imported = body(synth(env)["api"])
    validator = imported["x-amazon-apigateway-request-validator"]
    assert imported["x-amazon-apigateway-request-validators"][validator] == {
        "validateRequestBody": True,
        "validateRequestParameters": True,
    }
    assert imported["x-amazon-apigateway-api-key-source"] == "HEADER"
    for _method, _path, op in operations(imported):
        assert op.get("x-amazon-apigateway-request-validator", validator) == validator
        assert op["security"] == ([] if op["operationId"] == "health" else [{"api_key": []}])
    posts = [op for m, _p, op in operations(imported) if m == "POST"]
    assert all(op["requestBody"]["required"] for op in posts)


def test_throttled_and_refused_requests_get_the_apps_json_error_shape(synth, env):
    responses = body(synth(env)["api"])["x-amazon-apigateway-gateway-responses"]
    assert responses["THROTTLED"]["statusCode"] == "429" and responses["QUOTA_EXCEEDED"]["statusCode"] == "429"
    for kind, response in responses.items():
        template = response["responseTemplates"]["application/json"]
        rendered = json.loads(
            template.replace("$context.error.messageString", '"x"').replace("$context.", "")
        )
        assert isinstance(rendered["message"], str), kind
        assert set(rendered) <= {"message", "errors", "request_id"}, kind


def test_stage_traces_logs_json_to_an_encrypted_group_and_redeploys_on_change(synth, env):
    layers = synth(env)
    graph, keys = layers["api"], layers["security"].exports["kms_key_arns"]
    settings = layer_config("api", env)
    stage = graph.one(STAGE)
    assert stage.inputs["stageName"] == settings["stageName"] == graph.exports["stage_name"]
    assert stage.inputs["xrayTracingEnabled"] is True
    access = graph.one(LOG_GROUP, "api-access-logs")
    assert access.inputs["kmsKeyId"] == keys["logs"]
    assert access.inputs["retentionInDays"] == settings["logRetentionDays"]
    assert stage.inputs["accessLogSettings"]["destinationArn"] == access.outputs["arn"]
    fields = json.loads(stage.inputs["accessLogSettings"]["format"])
    for field in ("requestId", "extendedRequestId", "integrationRequestId", "caller", "httpMethod", "path",
                  "status", "responseLatency", "integrationLatency", "responseLength"):
        assert fields[field].startswith("$context."), field
    execution = graph.one(LOG_GROUP, "api-execution-logs")
    assert execution.inputs["name"].startswith("API-Gateway-Execution-Logs_")
    assert execution.inputs["retentionInDays"] == settings["logRetentionDays"]
    deployment = graph.one(DEPLOYMENT)
    assert stage.inputs["deployment"] == deployment.id
    assert len(deployment.inputs["triggers"]["document"]) == 64
    assert graph.exports["invoke_url"].endswith(f"/{settings['stageName']}")


def test_execution_logging_is_error_only_and_without_data_in_prod(synth):
    for path, s in method_settings(synth("prod")["api"]).items():
        assert s["loggingLevel"] == "ERROR" and s["dataTraceEnabled"] is False, path
        assert s["metricsEnabled"] is True


def test_caching_only_on_get_routes_with_their_ttls_and_cache_keys(synth, env):
    graph = synth(env)["api"]
    cache = layer_config("api", env).get("cache", {})
    stage = graph.one(STAGE)
    assert stage.inputs["cacheClusterEnabled"] is bool(cache.get("clusterSize"))
    all_settings = method_settings(graph)
    assert all_settings["*/*"]["cachingEnabled"] is False
    cached = {path for path, s in all_settings.items() if s["cachingEnabled"]}
    assert all(s["cacheDataEncrypted"] for s in all_settings.values())
    if env == "dev":
        assert cached == set() and "cacheClusterSize" not in stage.inputs
        return
    assert stage.inputs["cacheClusterSize"] == cache["clusterSize"]
    expected = {method_path(*route.split(" ", 1)): ttl for route, ttl in cache["ttlSeconds"].items() if ttl}
    assert {p: all_settings[p]["cacheTtlInSeconds"] for p in cached} == expected
    assert all(p.endswith("/GET") for p in cached)
    for method, path, op in operations(body(graph)):
        keys = op["x-amazon-apigateway-integration"].get("cacheKeyParameters")
        if method_path(method, path) in cached:
            names = {p["name"] for p in op.get("parameters", []) if "$ref" not in p}
            assert {k.rsplit(".", 1)[1] for k in keys} == names
        else:
            assert keys is None


def test_throttles_at_stage_and_method_level_cover_the_peak(synth, env):
    graph = synth(env)["api"]
    settings = layer_config("api", env)
    all_settings = method_settings(graph)
    stage = all_settings["*/*"]
    assert stage["throttlingRateLimit"] == settings["throttle"]["rateLimit"]
    assert stage["throttlingBurstLimit"] == settings["throttle"]["burstLimit"]
    if env in ("staging", "prod"):
        assert stage["throttlingRateLimit"] >= 10_000 / 60  # the seed's peak: 10,000 requests per minute
    for route, bucket in settings["methodThrottles"].items():
        s = all_settings[method_path(*route.split(" ", 1))]
        assert (s["throttlingRateLimit"], s["throttlingBurstLimit"]) == (bucket["rateLimit"], bucket["burstLimit"])
        assert s["loggingLevel"] == stage["loggingLevel"]  # an override carries every setting


def test_usage_plans_per_tier_and_no_key_value_in_outputs(synth, env):
    graph = synth(env)["api"]
    plans = layer_config("api", env)["usagePlans"]
    found = {r.inputs["name"]: r for r in graph.of_type("aws:apigateway/usagePlan:UsagePlan")}
    assert set(found) == {f"serverless-infra-{env}-plan-{tier}" for tier in plans}
    assert set(graph.exports["usage_plan_ids"]) == set(plans)
    for tier, plan in plans.items():
        resource = found[f"serverless-infra-{env}-plan-{tier}"]
        assert resource.inputs["throttleSettings"]["rateLimit"] == plan["throttle"]["rateLimit"]
        assert graph.exports["usage_plan_ids"][tier] == resource.id
    keys = graph.of_type("aws:apigateway/apiKey:ApiKey")
    assert len(keys) == sum(len(p.get("clients", [])) for p in plans.values())
    assert all("value" not in k.inputs for k in keys)  # generated by API Gateway, never in the program
    assert len(graph.of_type("aws:apigateway/usagePlanKey:UsagePlanKey")) == len(keys)
    assert "key" not in json.dumps(graph.exports).lower().replace("kms_key", "")


def test_waf_on_the_stage_where_enabled(synth, env):
    graph = synth(env)["api"]
    enabled = layer_config("api", env)["waf"]["enabled"]
    if not enabled:
        assert not graph.of_type(WEB_ACL) and graph.exports["web_acl_arn"] == ""
        return
    acl = graph.one(WEB_ACL)
    assert acl.inputs["scope"] == "REGIONAL"
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    assert rules["rate-per-ip"]["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= set(rules)
    association = graph.one(ASSOCIATION)
    assert association.inputs["resourceArn"] == graph.one(STAGE).outputs["arn"]
    assert association.inputs["webAclArn"] == graph.exports["web_acl_arn"] == acl.outputs["arn"]


def test_custom_domain_when_configured(synth, render_variant):
    assert synth("prod")["api"].exports["custom_domain_url"] == ""
    assert synth("prod")["api"].exports["public_url"] == synth("prod")["api"].exports["invoke_url"]
    domain = {"name": "api.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ"}
    graph = render_variant("api", "prod", {"serverless-infra-api:domain": domain})
    custom = graph.one("aws:apigateway/domainName:DomainName")
    assert custom.inputs["securityPolicy"] == "TLS_1_2"
    assert custom.inputs["endpointConfiguration"]["types"] == "REGIONAL"
    cert = graph.one("aws:acm/certificate:Certificate")
    assert cert.inputs["validationMethod"] == "DNS" and cert.inputs["domainName"] == "api.example.com"
    assert custom.inputs["regionalCertificateArn"] == cert.outputs["arn"]
    records = {r.inputs["type"]: r for r in graph.of_type("aws:route53/record:Record")}
    assert records["A"].inputs["aliases"][0]["name"] == custom.outputs["regionalDomainName"]
    assert records["CNAME"].inputs["records"] == [cert.outputs["domainValidationOptions"][0]["resourceRecordValue"]]
    assert all(r.inputs["zoneId"] == domain["hostedZoneId"] for r in records.values())
    mapping = graph.one("aws:apigateway/basePathMapping:BasePathMapping")
    assert mapping.inputs["stageName"] == "v1" and "basePath" not in mapping.inputs
    assert graph.exports["custom_domain_url"] == graph.exports["public_url"] == "https://api.example.com"


def test_half_a_domain_stops_the_synth_with_file_and_key(render_variant):
    from shared.synth.runner import SynthError

    with pytest.raises(SynthError, match=r"projects/api/Pulumi.dev.yaml: key 'domain.hostedZoneId'"):
        render_variant("api", "dev", {"serverless-infra-api:domain": {"name": "api.example.com"}})


def test_api_function_timeout_leaves_headroom_under_the_gateway(synth, env):
    fn = next(f for f in synth(env)["compute"].of_type("aws:lambda/function:Function")
              if f.inputs["name"] == f"serverless-infra-{env}-api")
    assert fn.inputs["timeout"] <= API_FUNCTION_MAX_TIMEOUT_SECONDS < API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS


def test_the_account_cloudwatch_role_is_set_before_the_stage_logs(synth, env, render_variant):
    graph = synth(env)["api"]
    account = graph.one("aws:apigateway/account:Account")
    role = graph.one("aws:iam/role:Role", "api-cloudwatch-role")
    assert account.inputs["cloudwatchRoleArn"] == role.outputs["arn"]
    assert account.urn in graph.one(STAGE).dependencies
    if env == "staging":  # an env sharing an account with the owner leaves the singleton alone
        other = render_variant("api", "staging", {"serverless-infra-api:manageAccountSettings": False})
        assert not other.of_type("aws:apigateway/account:Account")
        assert not [r for r in other.of_type("aws:iam/role:Role") if r.name == "api-cloudwatch-role"]


@pytest.mark.parametrize("override", [{"serverless-infra-api:dataTrace": True},
                                      {"serverless-infra-api:executionLogLevel": "INFO"}])
def test_prod_refuses_full_request_logging(render_variant, override):
    from shared.synth.runner import SynthError

    with pytest.raises(SynthError, match="projects/api/Pulumi.prod.yaml: keys 'dataTrace'/'executionLogLevel'"):
        render_variant("api", "prod", override)
