"""Pricing rules for Lambda, provisioned concurrency, SQS, S3 and CloudWatch log groups."""

from __future__ import annotations

import re

from shared.cost.model import GIB, Context, LineItem, Rule, ceil_div, item
from shared.synth.graph import GraphResource

# Lambda reads an SQS queue with long polling from about five pollers while it is idle
# (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html); a 20 s long poll
# is one ReceiveMessage request (https://aws.amazon.com/sqs/pricing/).
ESM_IDLE_POLLERS = 5
LONG_POLL_SECONDS = 20
SQS_BATCH_ENTRIES = 10  # SendMessageBatch takes up to 10 messages
SQS_CHUNK_BYTES = 64 * 1024  # each 64 KB chunk of a request is billed as one request


def _function_name(r: GraphResource) -> str:
    return str(r.input("name") or r.physical_name or r.name)


def _arch(r: GraphResource) -> str:
    return (r.input("architectures") or ["x86_64"])[0]


def _memory_gb(r: GraphResource) -> float:
    return float(r.input("memorySize") or 128) / 1024


def lambda_function(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    role = ctx.function_role(_function_name(r))
    usage = ctx.function_usage(role)
    calls = ctx.invocations(role)
    seconds = usage.avg_duration_ms / 1000
    rate = ctx.p.lambda_gb_second[_arch(r)].usd
    gb_s = calls * seconds * _memory_gb(r)
    items = [
        item(layer, r, "Lambda requests", calls / 1e6 * ctx.p.lambda_requests_million.usd,
             f"{calls / 1e6:,.3f} M x ${ctx.p.lambda_requests_million.usd}", usage=True),
        item(layer, r, "Lambda duration", gb_s * rate,
             f"{_arch(r)}: {calls:,.0f} x {seconds:g} s x {_memory_gb(r):g} GB x ${rate}", usage=True),
    ]
    items += _config_decrypts(layer, r, ctx, role, seconds)
    if role == "api":  # the app's EMF metrics are custom metrics; priced once, here
        n, rate = ctx.profile.observability.custom_metrics, ctx.p.cloudwatch_custom_metric_month.usd
        items.append(item(layer, r, "custom metrics (EMF)", n * rate, f"{n} metrics x ${rate}"))
    if r.input("tracingConfig.mode") == "Active" and not (role == "api" and ctx.stage_traced):
        traced = ctx.traced(ctx.traffic.requests if role == "api" else calls)
        items.append(item(layer, r, "X-Ray traces", traced / 1e6 * ctx.p.xray_traces_million.usd,
                          f"{traced / 1e6:,.3f} M traces x ${ctx.p.xray_traces_million.usd}", usage=True))
    return items


def _config_decrypts(layer: str, r: GraphResource, ctx: Context, role: str, seconds: float) -> list[LineItem]:
    """KMS requests of the config cache: each warm environment re-reads the SecureStrings every
    CONFIG_TTL_SECONDS, one Decrypt per parameter (docs/security.md). Warm environments: the average
    concurrency at peak and off peak (requests/s x duration), at least one while the function is used."""
    ttl = r.input("environment.variables.CONFIG_TTL_SECONDS")
    if not ttl or ctx.invocations(role) <= 0:
        return []
    params = sum(1 for _, p in ctx.resources("aws:ssm/parameter:Parameter") if p.input("type") == "SecureString")
    t = ctx.traffic
    if role == "api":
        hit = 1 - ctx.cache_hit_rate
        env_hours = (max(1.0, t.peak_rpm / 60 * hit * seconds) * t.peak_hours
                     + max(1.0, t.off_peak_rpm / 60 * hit * seconds) * t.off_peak_hours)
    else:
        env_hours = max(ctx.prices.hours_per_month / 24,  # at least an hour a day warm
                        ctx.invocations(role) * seconds / 3600)
    requests = env_hours * 3600 / float(ttl) * params
    rate = ctx.p.kms_requests10k.usd
    return [item(layer, r, "KMS decrypts (config cache)", requests / 1e4 * rate,
                 f"{env_hours:,.0f} warm env-hours x 3600 / {float(ttl):g} s x {params} SecureStrings = "
                 f"{requests:,.0f} x ${rate}/10k", usage=True)]


def _cron_window(start: str, end: str) -> tuple[float, int] | None:
    """Hours a day and days a week between two ``cron(M H ? * DAYS *)`` schedules."""
    pattern = re.compile(r"cron\((\d+) (\d+) \? \* ([A-Z,-]+|\*) \*\)")
    a, b = pattern.fullmatch(start), pattern.fullmatch(end)
    if not a or not b:
        return None
    hours = (int(b[2]) + int(b[1]) / 60) - (int(a[2]) + int(a[1]) / 60)
    days = a[3]
    week = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
    if days == "*":
        count = 7
    elif "-" in days:
        first, last = days.split("-")
        count = week.index(last) - week.index(first) + 1
    else:
        count = len(days.split(","))
    return hours % 24, count


def provisioned_concurrency(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    """Units x memory x time: the floor all month, the scheduled peak floor, and autoscaling above them."""
    if r.input("scalableDimension") != "lambda:function:ProvisionedConcurrency":
        return []
    resource_id = str(r.input("resourceId"))  # function:<name>:<alias>
    fn_name = resource_id.split(":")[1]
    fn = next((f for _, f in ctx.resources("aws:lambda/function:Function") if _function_name(f) == fn_name), None)
    if fn is None:
        ctx.warnings.append(f"{r.name}: no function {fn_name} in the graph; provisioned concurrency not priced")
        return []
    floor, ceiling = float(r.input("minCapacity") or 0), float(r.input("maxCapacity") or 0)
    actions = [a for _, a in ctx.resources("aws:appautoscaling/scheduledAction:ScheduledAction")
               if a.input("resourceId") == resource_id]
    peak_floor, window_hours = floor, 0.0
    raised = [a for a in actions if (a.input("scalableTargetAction.minCapacity") or 0) > floor]
    lowered = [a for a in actions if a not in raised]
    if raised and lowered:
        window = _cron_window(str(raised[0].input("schedule")), str(lowered[0].input("schedule")))
        if window:
            peak_floor = float(raised[0].input("scalableTargetAction.minCapacity"))
            window_hours = window[0] * window[1] / 7 * ctx.traffic.days
    # Target tracking keeps utilization at the target: units = concurrency / target (Little's law:
    # concurrency = requests per second x duration), clamped by the scalable target's bounds.
    target = _target_utilization(ctx, resource_id) or 1.0
    seconds = ctx.function_usage(ctx.function_role(fn_name)).avg_duration_ms / 1000
    hit = 1 - ctx.cache_hit_rate
    need_peak = ceil_div(ctx.traffic.peak_rpm / 60 * hit * seconds, target)
    need_off = ceil_div(ctx.traffic.off_peak_rpm / 60 * hit * seconds, target)
    t = ctx.traffic
    unit_hours = floor * ctx.prices.hours_per_month + (peak_floor - floor) * window_hours
    extra_peak = max(0.0, min(ceiling, need_peak) - peak_floor) * t.peak_hours  # the traffic peak sits in the window
    extra_off = max(0.0, min(ceiling, need_off) - floor) * t.off_peak_hours
    gb, rate = _memory_gb(fn), ctx.p.lambda_provisioned_gb_second[_arch(fn)].usd
    usd = (unit_hours + extra_peak + extra_off) * 3600 * gb * rate
    basis = (f"({floor:g} x {ctx.prices.hours_per_month:g} h + {peak_floor - floor:g} x {window_hours:.1f} h scheduled"
             f" + {extra_peak / max(t.peak_hours, 1e-9):g} x {t.peak_hours:.1f} h + {extra_off / max(t.off_peak_hours, 1e-9):g}"
             f" x {t.off_peak_hours:.1f} h autoscaled) unit-h x 3600 x {gb:g} GB x ${rate}")
    return [item(layer, r, "provisioned concurrency", usd, f"{fn_name}: {basis}", usage=extra_peak + extra_off > 0)]


def provisioned_concurrency_config(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    """A fixed allocation (no autoscaling): units x memory all month."""
    name = str(r.input("functionName")).split(":function:")[-1].split(":")[0]
    fn = next((f for _, f in ctx.resources("aws:lambda/function:Function") if _function_name(f) == name), None)
    units = float(r.input("provisionedConcurrentExecutions") or 0)
    if fn is None:
        ctx.warnings.append(f"{r.name}: no function {name} in the graph; provisioned concurrency not priced")
        return []
    gb, rate = _memory_gb(fn), ctx.p.lambda_provisioned_gb_second[_arch(fn)].usd
    return [item(layer, r, "provisioned concurrency", units * ctx.seconds_per_month * gb * rate,
                 f"{name}: {units:g} units x {ctx.seconds_per_month:g} s x {gb:g} GB x ${rate}")]


def _target_utilization(ctx: Context, resource_id: str) -> float | None:
    for _, policy in ctx.resources("aws:appautoscaling/policy:Policy"):
        if policy.input("resourceId") == resource_id:
            value = policy.input("targetTrackingScalingPolicyConfiguration.targetValue")
            return float(value) if value else None
    return None


def sqs_queue(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    """The orders queue: sends (batches of 10 in 64 KB chunks), and the worker's reads and deletes."""
    if r.input("redrivePolicy") is None:
        return []  # the DLQ: its traffic is the rare dead letter, priced with the analyzer's polling
    b = ctx.profile.batch
    records = b.async_records_per_day * ctx.traffic.days
    chunks = max(1, ceil_div(SQS_BATCH_ENTRIES * b.record_bytes, SQS_CHUNK_BYTES))
    sends = records / SQS_BATCH_ENTRIES * chunks
    batches = ctx.invocations("worker")
    requests = sends + 2 * batches  # a receive and a delete per worker batch
    return [item(layer, r, "SQS requests", requests / 1e6 * ctx.p.sqs_requests_million.usd,
                 f"({sends:,.0f} sends + 2 x {batches:,.0f} batches) / 1M x ${ctx.p.sqs_requests_million.usd}", usage=True)]


def event_source_mapping(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    polls = ESM_IDLE_POLLERS * ctx.seconds_per_month / LONG_POLL_SECONDS
    rate = ctx.p.sqs_requests_million.usd
    return [item(layer, r, "SQS long polling by Lambda", polls / 1e6 * rate,
                 f"{ESM_IDLE_POLLERS} pollers x {ctx.seconds_per_month:g} s / {LONG_POLL_SECONDS} s"
                 f" = {polls:,.0f} x ${rate}/M")]


def s3_bucket(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    gib = ctx.profile.bucket_gib
    return [item(layer, r, "S3 Standard storage", gib * ctx.p.s3_standard_gb_month.usd,
                 f"{gib:g} GiB x ${ctx.p.s3_standard_gb_month.usd}", usage=True)]


def _log_source(ctx: Context, r: GraphResource) -> tuple[float, str]:
    """Bytes a month that land in this log group, and where they come from."""
    name = str(r.input("name") or "")
    logs = ctx.profile.logs
    writer = _function_logging_to(ctx, name)
    if writer is not None:
        role = ctx.function_role(_function_name(writer))
        calls = ctx.invocations(role)
        app = 0.0
        if role == "api":
            app = calls * logs.app_bytes_per_request
        elif role == "worker":
            app = ctx.profile.batch.async_records_per_day * ctx.traffic.days * logs.app_bytes_per_record
        return calls * logs.platform_bytes_per_invocation + app, f"{role}: platform + app lines"
    if name.startswith("/aws/vpc-flow-logs/"):
        return logs.vpc_flow_log_gib_per_month * GIB, "VPC flow logs (profile)"
    if name.startswith("/aws/rds/") and name.endswith("/postgresql"):
        return logs.database_log_gib_per_month * GIB, "PostgreSQL log export (profile)"
    if _is_access_log(ctx, r):
        return ctx.traffic.requests * logs.access_bytes_per_request, "API Gateway access log lines"
    return 0.0, "no source in the profile"


def _function_logging_to(ctx: Context, group: str) -> GraphResource | None:
    """The function whose logs land in ``group``: its loggingConfig.logGroup, else Lambda's default name."""
    for _, fn in ctx.resources("aws:lambda/function:Function"):
        if (fn.input("loggingConfig.logGroup") or f"/aws/lambda/{_function_name(fn)}") == group:
            return fn
    return None


def _is_access_log(ctx: Context, r: GraphResource) -> bool:
    arn = str(r.outputs.get("arn") or "")
    for _, stage in ctx.resources("aws:apigateway/stage:Stage"):
        destination = str(stage.input("accessLogSettings.destinationArn") or "")
        if destination and arn and destination.rstrip(":*") == arn.rstrip(":*"):
            return True
    return "access" in str(r.input("name") or "").lower()


def log_group(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    volume, source = _log_source(ctx, r)
    gib = volume / GIB
    ingest = ctx.p.logs_ingest_gb.usd
    retention = r.input("retentionInDays") or 0
    # Stored at steady state: a month's volume x retention in months; never-expiring groups keep the horizon's.
    months = retention / ctx.traffic.days if retention else max(1, ctx.profile.data.horizon_months)
    store = ctx.p.logs_storage_gb_month.usd
    return [
        item(layer, r, "log ingestion", gib * ingest, f"{gib:,.3f} GiB ({source}) x ${ingest}", usage=True),
        item(layer, r, "log storage", gib * months * store,
             f"{gib:,.3f} GiB x {months:.2f} months kept ({retention or 'never expire'} d) x ${store}", usage=True),
    ]


RULES: dict[str, Rule] = {
    "aws:lambda/function:Function": lambda_function,
    "aws:appautoscaling/target:Target": provisioned_concurrency,
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": provisioned_concurrency_config,
    "aws:sqs/queue:Queue": sqs_queue,
    "aws:lambda/eventSourceMapping:EventSourceMapping": event_source_mapping,
    "aws:s3/bucket:Bucket": s3_bucket,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
}
