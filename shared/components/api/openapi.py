"""The REST API's definition: ``app/openapi.yaml`` plus the API Gateway extensions, added at synth time.

The app's document stays the one source of truth for routes, parameters and request schemas; this
module adds, in code, what only API Gateway needs: the Lambda proxy integration of every operation
(credentials = the api layer's role, target = the api function's ``live`` alias by name), the request
validators, the API key requirement, the cache keys of the cached GETs, and the gateway responses
(API Gateway's own errors in the app's error shape). Pure Python: no Pulumi, so tests call it directly.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from shared.aws_limits import API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS

OPENAPI_PATH = Path(__file__).resolve().parents[3] / "app" / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
VALIDATOR = "body-and-parameters"
API_KEY_SCHEME = "api_key"
# Operations a client may call without an API key: load balancers and uptime checks probe them.
KEYLESS_OPERATIONS = frozenset({"health"})
LAMBDA_INVOKE_PATH = "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"

# API Gateway's own refusals, answered in the app's error shape {"message": ..., "errors"?: [...]}
# (app/openapi.yaml components.schemas.Error). $context.error.messageString is already quoted JSON.
# Gateway response types: "Gateway response types for API Gateway" (developer guide).
_MESSAGE = '{"message": $context.error.messageString, "request_id": "$context.requestId"}'
_VALIDATION = (
    '{"message": "request does not match the API definition", "request_id": "$context.requestId", '
    '"errors": [{"field": "%s", "message": "$context.error.validationErrorString"}]}'
)
GATEWAY_RESPONSES: dict[str, tuple[int | None, str]] = {
    "THROTTLED": (429, '{"message": "too many requests: slow down and retry", "request_id": "$context.requestId"}'),
    "QUOTA_EXCEEDED": (429, '{"message": "usage plan quota exhausted for this period", '
                            '"request_id": "$context.requestId"}'),
    "BAD_REQUEST_BODY": (400, _VALIDATION % "body"),
    "BAD_REQUEST_PARAMETERS": (400, _VALIDATION % "parameters"),
    "INVALID_API_KEY": (403, _MESSAGE),
    "MISSING_AUTHENTICATION_TOKEN": (404, '{"message": "no route for $context.httpMethod $context.path", '
                                          '"request_id": "$context.requestId"}'),
    "WAF_FILTERED": (403, _MESSAGE),
    "REQUEST_TOO_LARGE": (413, _MESSAGE),
    "INTEGRATION_TIMEOUT": (504, '{"message": "the request took too long; retry later", '
                                 '"request_id": "$context.requestId"}'),
    "DEFAULT_4XX": (None, _MESSAGE),
    "DEFAULT_5XX": (None, '{"message": "service temporarily unavailable; retry later", '
                          '"request_id": "$context.requestId"}'),
}


def load_document(path: Path = OPENAPI_PATH) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise ValueError(f"{path}: not an OpenAPI 3 document")
    return document


def operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation of the document, in document order."""
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def resolve(document: Mapping[str, Any], node: Any) -> Any:
    """Follow a local ``$ref`` (``#/components/...``) once."""
    if isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return target
    return node


def parameters(document: Mapping[str, Any], operation: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [resolve(document, p) for p in operation.get("parameters", [])]


def cache_key_parameters(document: Mapping[str, Any], operation: Mapping[str, Any]) -> list[str]:
    """Every path and query parameter changes the answer of a GET, so each is part of its cache key."""
    where = {"path": "path", "query": "querystring"}
    return [
        f"method.request.{where[p['in']]}.{p['name']}"
        for p in parameters(document, operation)
        if p["in"] in where
    ]


def lambda_invoke_uri(region: str, function_arn: str) -> str:
    return LAMBDA_INVOKE_PATH.format(region=region, function_arn=function_arn)


def rest_api_body(
    document: Mapping[str, Any],
    *,
    title: str,
    invoke_uri: str,
    credentials_arn: str,
    cached_routes: Mapping[str, int],
) -> dict[str, Any]:
    """The document API Gateway imports: the app's routes with the integration extensions added.

    ``cached_routes`` maps 'GET /path' -> TTL; those GETs get cache keys on their path and query
    parameters (the TTL itself is a stage method setting).
    """
    body = copy.deepcopy(dict(document))
    body["info"] = {**body.get("info", {}), "title": title}
    body.pop("servers", None)  # the stage and the custom domain define where it is served
    body["x-amazon-apigateway-request-validators"] = {
        VALIDATOR: {"validateRequestBody": True, "validateRequestParameters": True}
    }
    body["x-amazon-apigateway-request-validator"] = VALIDATOR
    body["x-amazon-apigateway-api-key-source"] = "HEADER"
    components = body.setdefault("components", {})
    components.setdefault("securitySchemes", {})[API_KEY_SCHEME] = {
        "type": "apiKey", "name": "x-api-key", "in": "header"
    }
    body["x-amazon-apigateway-gateway-responses"] = {
        kind: {
            **({"statusCode": str(status)} if status else {}),
            "responseTemplates": {"application/json": template},
        }
        for kind, (status, template) in GATEWAY_RESPONSES.items()
    }
    for method, path, operation in operations(body):
        operation["security"] = [] if operation.get("operationId") in KEYLESS_OPERATIONS else [{API_KEY_SCHEME: []}]
        integration: dict[str, Any] = {
            "type": "aws_proxy",
            "httpMethod": "POST",  # Lambda's Invoke API is always a POST, whatever the client's method
            "uri": invoke_uri,
            "credentials": credentials_arn,
            "passthroughBehavior": "when_no_match",
            "timeoutInMillis": API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS * 1000,
        }
        if f"{method} {path}" in cached_routes:
            integration["cacheKeyParameters"] = cache_key_parameters(body, operation)
            integration["cacheNamespace"] = operation.get("operationId", path)
        operation["x-amazon-apigateway-integration"] = integration
    return body


def document_hash(body: Mapping[str, Any]) -> str:
    """A stable digest of the imported document: a new value redeploys the stage."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def method_path(method: str, path: str) -> str:
    """A stage MethodSetting key: ``{resource_path}/{http_method}`` without the leading slash."""
    return f"{path.lstrip('/')}/{method}"
