"""Pricing rules for the api and observability layers' resource types (API Gateway, WAF,
CloudWatch dashboards and alarms, AWS Config, Budgets, SNS), priced from the graph by type."""

from __future__ import annotations

from shared.cost.model import GIB, Context, LineItem, Rule, item
from shared.synth.graph import GraphResource


def rest_api_requests(ctx: Context, requests: float) -> tuple[float, str]:
    """API Gateway REST requests, priced by the monthly tiers."""
    usd, left, lower, parts = 0.0, requests / 1e6, 0.0, []
    for tier in ctx.p.api_gateway_rest_million:
        upper = tier.up_to_millions if tier.up_to_millions is not None else float("inf")
        take = max(0.0, min(left, upper - lower))
        if take:
            usd += take * tier.usd
            parts.append(f"{take:,.3f} M x ${tier.usd}")
        left -= take
        lower = upper
    return usd, " + ".join(parts) or "0 requests"


def rest_api(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    requests = ctx.traffic.requests
    usd, basis = rest_api_requests(ctx, requests)
    out_gib = requests * ctx.profile.api.response_bytes / GIB
    rate = ctx.p.data_transfer_out_gb.usd
    return [item(layer, r, "REST API requests", usd, basis, usage=True),
            item(layer, r, "data transfer out (responses)", out_gib * rate, f"{out_gib:,.2f} GiB x ${rate}", usage=True)]


def stage(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    items = []
    if r.input("cacheClusterEnabled"):
        size = str(r.input("cacheClusterSize") or "0.5")
        price = ctx.p.api_gateway_cache_hour.get(size) or ctx.p.api_gateway_cache_hour[f"{float(size):g}"]
        items.append(item(layer, r, "API cache cluster", ctx.monthly(price),
                          f"{size} GB: {ctx.prices.hours_per_month:g} h x ${price.usd}"))
    if r.input("xrayTracingEnabled"):
        traced = ctx.traced(ctx.traffic.requests)
        items.append(item(layer, r, "X-Ray traces", traced / 1e6 * ctx.p.xray_traces_million.usd,
                          f"{traced / 1e6:,.3f} M traces x ${ctx.p.xray_traces_million.usd}", usage=True))
    return items


def web_acl(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    rules = len(r.input("rules") or [])
    p = ctx.p
    requests = ctx.traffic.requests
    return [item(layer, r, "WAF web ACL", p.waf_web_acl_month.usd, f"${p.waf_web_acl_month.usd}/month"),
            item(layer, r, "WAF rules", rules * p.waf_rule_month.usd, f"{rules} x ${p.waf_rule_month.usd}"),
            item(layer, r, "WAF requests", requests / 1e6 * p.waf_requests_million.usd,
                 f"{requests / 1e6:,.3f} M x ${p.waf_requests_million.usd}", usage=True)]


def dashboard(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    usd = ctx.p.cloudwatch_dashboard_month.usd
    return [item(layer, r, "dashboard", usd, f"${usd}/month")]


def metric_alarm(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    """Per metric the alarm evaluates; high resolution (period < 60 s) and anomaly detection (x3) cost more."""
    queries = r.input("metricQueries") or []
    metrics = sum(1 for q in queries if isinstance(q, dict) and q.get("metric")) or 1
    period = r.input("period") or min((q.get("metric", {}).get("period", 60) for q in queries
                                       if isinstance(q, dict) and q.get("metric")), default=60)
    high_res = float(period) < 60
    price = ctx.p.cloudwatch_high_res_alarm_metric_month if high_res else ctx.p.cloudwatch_alarm_metric_month
    factor = 3 if r.input("thresholdMetricId") else 1
    what = "alarm" + (" (high resolution)" if high_res else "") + (" (anomaly detection)" if factor == 3 else "")
    return [item(layer, r, what, metrics * factor * price.usd, f"{metrics} metric(s) x {factor} x ${price.usd}")]


def composite_alarm(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    usd = ctx.p.cloudwatch_composite_alarm_month.usd
    return [item(layer, r, "composite alarm", usd, f"${usd}/month")]


def metric_filter(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    usd = ctx.p.cloudwatch_custom_metric_month.usd
    return [item(layer, r, "custom metric (metric filter)", usd, f"1 metric x ${usd}")]


def config_recorder(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    n = ctx.profile.observability.config_items_per_month
    rate = ctx.p.config_item.usd
    return [item(layer, r, "Config items recorded", n * rate, f"{n:,.0f} items x ${rate}", usage=True)]


def config_rule(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    n = ctx.profile.observability.config_evaluations_per_rule_per_month
    rate = ctx.p.config_rule_evaluation.usd
    return [item(layer, r, "Config rule evaluations", n * rate, f"{n:,.0f} evaluations x ${rate}", usage=True)]


def budget(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    rate = ctx.p.budget_day.usd
    return [item(layer, r, "budget", rate * ctx.traffic.days,
                 f"{ctx.traffic.days:.2f} days x ${rate} (an account's first two budgets are free)")]


RULES: dict[str, Rule] = {
    "aws:apigateway/restApi:RestApi": rest_api,
    "aws:apigateway/stage:Stage": stage,
    "aws:wafv2/webAcl:WebAcl": web_acl,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": composite_alarm,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": metric_filter,
    "aws:cfg/recorder:Recorder": config_recorder,
    "aws:cfg/rule:Rule": config_rule,
    "aws:budgets/budget:Budget": budget,
}

# Types that cost nothing by themselves (their usage, if any, is priced on another resource).
FREE_PREFIXES = (
    "aws:iam/", "aws:ec2/vpc:", "aws:ec2/subnet:", "aws:ec2/routeTable", "aws:ec2/route:", "aws:ec2/securityGroup",
    "aws:ec2/defaultSecurityGroup:", "aws:ec2/internetGateway:", "aws:ec2/flowLog:", "aws:ec2/networkAcl",
    "aws:vpc/", "aws:kms/alias:", "aws:rds/subnetGroup:", "aws:rds/parameterGroup:", "aws:rds/proxyDefaultTargetGroup:",
    "aws:rds/proxyTarget:", "aws:secretsmanager/secretVersion:",
    "aws:secretsmanager/secretRotation:", "aws:secretsmanager/secretPolicy:", "aws:s3/bucket", "aws:lambda/alias:",
    "aws:lambda/layerVersion", "aws:lambda/permission:", "aws:lambda/functionEventInvokeConfig:",
    "aws:lambda/codeSigningConfig:", "aws:signer/",
    "aws:sqs/queuePolicy:", "aws:sqs/redrive", "aws:appautoscaling/policy:", "aws:appautoscaling/scheduledAction:",
    "aws:apigateway/", "aws:wafv2/webAclAssociation:", "aws:wafv2/webAclLoggingConfiguration:", "aws:wafv2/ipSet:",
    "aws:wafv2/ruleGroup:", "aws:wafv2/regexPatternSet:", "aws:cloudwatch/logResourcePolicy:",
    "aws:cloudwatch/logSubscriptionFilter:", "aws:cloudwatch/queryDefinition:", "aws:cloudwatch/eventRule:",
    "aws:cloudwatch/eventTarget:", "aws:cfg/deliveryChannel:", "aws:cfg/recorderStatus:", "aws:cfg/retentionConfiguration:",
    "aws:budgets/budgetAction:", "aws:sns/", "aws:xray/", "aws:acm/", "aws:route53/record:", "aws:servicequotas/",
    # A secret-rotation function from the Serverless Application Repository: a few invocations a month.
    "aws:serverlessrepository/",
)
