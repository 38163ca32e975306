"""The stage: deployment trigger, access and execution logs, X-Ray, cache cluster, method settings.

Docs behind the choices:
* access logs take only ``$context`` variables ("API Gateway ... access logging variable reference"),
  never a request header: the client's ``X-Correlation-Id`` is joined through
  ``$context.integration.requestId`` (the Lambda request id Powertools logs beside the correlation id);
  without the header the app's correlation id *is* ``$context.requestId``;
* API Gateway writes execution logs to ``API-Gateway-Execution-Logs_{api id}/{stage}``, creating it
  without retention or CMK if it does not exist: we create it first, with retention and the logs key;
* method settings are keyed ``{resource_path}/{http_method}`` or ``*/*`` (Stage.MethodSettings); a
  method override replaces the stage's settings for that method, so each override carries all of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.api.openapi import method_path
from shared.components.api.settings import ApiSettings, Throttle

ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "integrationRequestId": "$context.integration.requestId",
    "xrayTraceId": "$context.xrayTraceId",
    "ip": "$context.identity.sourceIp",
    "caller": "$context.identity.caller",
    "apiKeyId": "$context.identity.apiKeyId",
    "userAgent": "$context.identity.userAgent",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "status": "$context.status",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "responseLength": "$context.responseLength",
    "errorMessage": "$context.error.message",
    "wafStatus": "$context.waf.status",
}


@dataclass(frozen=True)
class MethodSetting:
    """One method's effective settings (stage-wide for ``*/*``)."""

    path: str
    caching: bool
    ttl_seconds: int
    throttle: Throttle


def method_settings(settings: ApiSettings, routes: list[tuple[str, str]]) -> list[MethodSetting]:
    """``*/*`` (no caching, the stage throttle), then one override per cached GET or throttled method."""
    out = [MethodSetting("*/*", False, 0, settings.throttle)]
    for method, path in routes:
        key = f"{method} {path}"
        ttl = settings.cache.ttl_seconds.get(key, 0) if settings.caching else 0
        throttle = settings.method_throttles.get(key)
        if ttl > 0 or throttle is not None:
            out.append(MethodSetting(method_path(method, path), ttl > 0, ttl, throttle or settings.throttle))
    return out


@dataclass
class StageArgs:
    name: str
    rest_api: aws.apigateway.RestApi
    body_hash: pulumi.Input[str]
    settings: ApiSettings
    routes: list[tuple[str, str]]
    access_log_group_name: str
    logs_key_arn: pulumi.Input[str]
    depends_on: list[pulumi.Resource]


def build_stage(args: StageArgs, parent: pulumi.Resource) -> tuple[aws.apigateway.Stage, aws.cloudwatch.LogGroup]:
    s = args.settings
    child = pulumi.ResourceOptions(parent=parent)
    access_logs = aws.cloudwatch.LogGroup(
        f"{args.name}-access-logs",
        name=args.access_log_group_name,
        retention_in_days=s.log_retention_days,
        kms_key_id=args.logs_key_arn,
        opts=child,
    )
    execution_logs = aws.cloudwatch.LogGroup(
        f"{args.name}-execution-logs",
        name=pulumi.Output.concat("API-Gateway-Execution-Logs_", args.rest_api.id, "/", s.stage_name),
        retention_in_days=s.log_retention_days,
        kms_key_id=args.logs_key_arn,  # the logs key admits API-Gateway-Execution-Logs_* (security layer)
        opts=child,
    )
    deployment = aws.apigateway.Deployment(
        f"{args.name}-deployment",
        rest_api=args.rest_api.id,
        description="The imported OpenAPI document; replaced when it changes",
        triggers={"document": args.body_hash},
        opts=child,
    )
    stage = aws.apigateway.Stage(
        f"{args.name}-stage",
        rest_api=args.rest_api.id,
        deployment=deployment.id,
        stage_name=s.stage_name,
        xray_tracing_enabled=True,
        cache_cluster_enabled=s.caching,
        cache_cluster_size=s.cache.cluster_size,
        access_log_settings=aws.apigateway.StageAccessLogSettingsArgs(
            destination_arn=access_logs.arn, format=json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":"))
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[access_logs, execution_logs, *args.depends_on]),
    )
    for i, m in enumerate(method_settings(s, args.routes)):
        aws.apigateway.MethodSettings(
            f"{args.name}-settings-{i}",
            rest_api=args.rest_api.id,
            stage_name=stage.stage_name,
            method_path=m.path,
            settings=aws.apigateway.MethodSettingsSettingsArgs(
                metrics_enabled=True,
                logging_level=s.execution_log_level,
                data_trace_enabled=s.data_trace,
                caching_enabled=m.caching,
                cache_ttl_in_seconds=m.ttl_seconds,
                cache_data_encrypted=True,
                # A client's Cache-Control: max-age=0 does not flush the cache: it is served from it, with a
                # warning header (not a 403: browsers send it on reload). Operators flush: docs/api.md.
                require_authorization_for_cache_control=True,
                unauthorized_cache_control_header_strategy="SUCCEED_WITH_RESPONSE_HEADER",
                throttling_rate_limit=m.throttle.rate_limit,
                throttling_burst_limit=m.throttle.burst_limit,
            ),
            opts=child,
        )
    return stage, access_logs
