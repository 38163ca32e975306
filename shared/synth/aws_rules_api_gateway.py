"""What API Gateway REST refuses at deploy time that the mocks accept: the imported OpenAPI body's
integrations, stage names and cache settings, method-settings paths (API Gateway API reference:
PutRestApi, CreateStage, UpdateStage). Part of `shared.synth.aws_rules`, whose ``CHECKS`` takes
``API_GATEWAY_CHECKS``; the enums and ranges of these resources are in its ``ENUMS``/``RANGES`` tables.
"""

from __future__ import annotations

import json
import re
from typing import Any

from shared.synth.aws_rule_support import AwsValidationError, Rule, plain, refuse

_IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_LAMBDA_INVOKE_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    r"arn:aws[a-z-]*:lambda:us-east-1:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?/invocations$")


def _check_rest_api_body(name: str, raw: Any) -> None:
    """What PutRestApi refuses in an imported OpenAPI document's integrations."""
    token = "aws:apigateway/restApi:RestApi"
    try:
        body = json.loads(plain(raw))
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


def _rest_api(token: str, name: str, inputs: dict[str, Any]) -> None:
    if inputs.get("body"):
        _check_rest_api_body(name, inputs["body"])


def _stage(token: str, name: str, inputs: dict[str, Any]) -> None:
    if inputs.get("cacheClusterEnabled") and not inputs.get("cacheClusterSize"):
        refuse(token, name, "cacheClusterEnabled needs a cacheClusterSize")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", str(inputs.get("stageName", ""))):
        refuse(token, name, f"stageName {inputs.get('stageName')!r} (letters, digits, - _; at most 128)")


def _method_settings(token: str, name: str, inputs: dict[str, Any]) -> None:
    path = str(inputs.get("methodPath", ""))
    if path != "*/*" and not re.fullmatch(r"[^/].*/(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|\*)", path):
        refuse(token, name, f"methodPath {path!r} is not {{resource_path}}/{{METHOD}}")


API_GATEWAY_CHECKS: dict[str, Rule] = {
    "aws:apigateway/restApi:RestApi": _rest_api,
    "aws:apigateway/stage:Stage": _stage,
    "aws:apigateway/methodSettings:MethodSettings": _method_settings,
}
