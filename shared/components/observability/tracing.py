"""The Tracing component: an X-Ray group of this env's traces and the env's sampling rule.

API Gateway applies X-Ray sampling rules, matching its stage as service ``{api name}/{stage}`` of type
``AWS::ApiGateway::Stage``, and passes the decision to the Lambda function it invokes
(https://docs.aws.amazon.com/xray/latest/devguide/xray-services-apigateway.html). Functions invoked by
SQS sample on Lambda's own default (1 request per second plus 5%), which no rule changes
(https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html). Rule and group names are at most
32 characters (X-Ray CreateSamplingRule / CreateGroup).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from shared.components.observability.settings import XRaySettings
from shared.components.observability.upstream import Watched
from shared.config import Environment
from shared.naming import resource_name

XRAY_NAME_MAX = 32
SECONDS_PER_MONTH = 30 * 24 * 3600
XRAY_PRICE_PER_MILLION_TRACES = 5.0  # recorded; the first 100,000 a month are free (X-Ray pricing page)
XRAY_FREE_TRACES = 100_000


def group_filter(w: Watched) -> str:
    """Traces that pass through any of this env's functions."""
    return " OR ".join(f'service("{name}")' for name in w.functions.values())


def monthly_traces(requests_per_second: float, settings: XRaySettings) -> float:
    """Traces recorded in a month at a steady rate: the reservoir each second, then fixed_rate of the rest."""
    reservoir = min(requests_per_second, settings.reservoir_per_second)
    sampled = reservoir + settings.fixed_rate * max(0.0, requests_per_second - reservoir)
    return sampled * SECONDS_PER_MONTH


def monthly_cost_usd(requests_per_second: float, settings: XRaySettings) -> float:
    traces = monthly_traces(requests_per_second, settings)
    return round(max(0.0, traces - XRAY_FREE_TRACES) / 1e6 * XRAY_PRICE_PER_MILLION_TRACES, 2)


def _short(env: Environment, kind: str) -> str:
    name = resource_name(env, kind)
    if len(name) > XRAY_NAME_MAX:
        raise ValueError(f"X-Ray name {name!r} is over {XRAY_NAME_MAX} characters")
    return name


class Tracing(pulumi.ComponentResource):
    group_name: str
    rule_name: str

    def __init__(self, name: str, env: Environment, settings: XRaySettings, watched: pulumi.Output[Watched],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:observability:Tracing", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.group_name = _short(env, "traces")
        self.rule_name = _short(env, "xray")  # "-sampling" would make staging 33 characters
        aws.xray.Group(
            f"{name}-group", group_name=self.group_name, filter_expression=watched.apply(group_filter),
            insights_configuration=aws.xray.GroupInsightsConfigurationArgs(
                insights_enabled=settings.insights, notifications_enabled=settings.insights),
            opts=child,
        )
        aws.xray.SamplingRule(
            f"{name}-sampling",
            rule_name=self.rule_name,
            priority=settings.priority,
            version=1,
            reservoir_size=settings.reservoir_per_second,
            fixed_rate=settings.fixed_rate,
            service_name=watched.apply(lambda w: f"{w.rest_api_name}/{w.stage_name}"),
            service_type="AWS::ApiGateway::Stage",
            host="*",
            http_method="*",
            url_path="*",
            resource_arn="*",
            opts=child,
        )
        self.register_outputs({"group_name": self.group_name, "rule_name": self.rule_name})
