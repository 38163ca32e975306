"""The six dashboards of an env, as data: business, API, Lambda, SQS, RDS and cost.

docs/observability.md says how to read each. Every metric goes through `metrics.py`, so a widget
cannot graph a metric that AWS does not document or the app does not emit.
"""

from __future__ import annotations

from app.dlq import CLASSES as DLQ_CLASSES
from shared.components.observability.alarm_specs import cold_start_metric
from shared.components.observability.logs import REJECTED_BY_REASON_QUERY
from shared.components.observability.metrics import Metric, app_metric, aws_metric, expression, log_metric
from shared.components.observability.settings import ObservabilitySettings
from shared.components.observability.upstream import WATCHED_FUNCTIONS, Watched
from shared.components.observability.widgets import AlarmStatus, DashboardSpec, Graph, LogTable, Text, Widget

DASHBOARDS = ("business", "api", "lambda", "sqs", "rds", "cost")


def _sum(w: Watched, name: str, service: str, label: str) -> Metric:
    return app_metric(w.env, name, service, "Sum", label)


def business(w: Watched, s: ObservabilitySettings) -> DashboardSpec:
    q = {"QueueName": w.queue_name}
    return DashboardSpec("business", [
        Text(f"## Orders, {w.env.value}\nOrders written by the API (sync) and the worker (async); what was refused "
             "and why; where async records stand; dead letters by class. See docs/observability.md."),
        Graph("Orders created", [_sum(w, "OrdersCreated", "api", "sync (API)"),
                                 _sum(w, "OrdersCreated", "worker", "async (worker)")], stacked=True),
        Graph("Order value (sum and average per order)", [app_metric(w.env, "OrderValue", "api", "Sum", "total value"),
                                                         app_metric(w.env, "OrderValue", "api", "Average", "average")]),
        Graph("Batch sizes", [app_metric(w.env, "BatchSize", "api", "Average", "API batch/async (avg)"),
                              app_metric(w.env, "BatchSize", "api", "Maximum", "API batch/async (max)"),
                              app_metric(w.env, "BatchSize", "worker", "Average", "worker SQS batch (avg)"),
                              app_metric(w.env, "BatchSize", "worker", "Maximum", "worker SQS batch (max)")]),
        Graph("Records and requests rejected", [_sum(w, "RecordsRejected", "api", "batch records rejected (API)"),
                                                _sum(w, "RecordsRejected", "worker", "async records failed (worker)"),
                                                _sum(w, "RequestsRejected", "api", "requests refused 400 (API)"),
                                                _sum(w, "IdempotentReplays", "api", "replays (API)")]),
        Graph("Async records by state", [
            aws_metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", q, "Maximum", "queued"),
            aws_metric("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", q, "Maximum", "in flight"),
            _sum(w, "OrdersCreated", "worker", "written"), _sum(w, "IdempotentReplays", "worker", "replayed"),
            _sum(w, "RecordsRejected", "worker", "failed (retried, then dead)"),
            aws_metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": w.dlq_archive_name},
                       "Maximum", "dead (archived, invoke dlq.list)"),
            aws_metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": w.dlq_name}, "Maximum",
                       "dead (not yet filed)")],
            width=12),
        Graph("Dead letters by class (when filed)",
              [app_metric(w.env, "DlqMessages", "dlq-analyzer", "Sum", cls, **{"class": cls}) for cls in DLQ_CLASSES],
              stacked=True, view="bar", width=12),
        LogTable("Worker records rejected, by reason", [w.log_groups["worker"]], REJECTED_BY_REASON_QUERY),
    ], period=s.dashboard_period_seconds)


def api(w: Watched, s: ObservabilitySettings, alarm_arns: list[str]) -> DashboardSpec:
    dims = {"ApiName": w.rest_api_name, "Stage": w.stage_name}

    def gw(name: str, stat: str = "Sum", label: str | None = None) -> Metric:
        return aws_metric("AWS/ApiGateway", name, dims, stat, label)

    widgets: list[Widget] = [
        Graph("Requests", [gw("Count", label="requests")]),
        Graph("4XX and 5XX", [gw("4XXError", label="4XX"), gw("5XXError", label="5XX"),
                              log_metric(w.env, "ThrottledRequests", label="429 throttled")]),
        Graph("Latency (ms)", [gw("Latency", "p50"), gw("Latency", "p90"), gw("Latency", "p99"),
                               gw("IntegrationLatency", "p99", "integration p99")],
              horizontal=[(s.alarms.api_latency_p99.threshold, "p99 alarm")]),
        Graph("5XX rate (%)", [gw("5XXError"), gw("Count"),
                               expression("IF(m1 > 0, 100 * m0 / m1, 0)", "5XX %", "rate")],
              hidden_ids=frozenset({"m0", "m1"}), horizontal=[(s.alarms.api5xx_rate.threshold, "alarm")]),
        Graph("Cache hits and misses", [gw("CacheHitCount", label="hit"), gw("CacheMissCount", label="miss")]),
        Graph("Dependencies down (503 answered)", [_sum(w, "DependencyUnavailable", "api", "503 dependency down")]),
    ]
    if w.web_acl_name:
        waf = {"WebACL": w.web_acl_name, "Region": "us-east-1", "Rule": "ALL"}
        widgets.append(Graph("WAF", [aws_metric("AWS/WAFV2", "BlockedRequests", waf, label="blocked"),
                                     aws_metric("AWS/WAFV2", "AllowedRequests", waf, label="allowed")], width=24))
    widgets.append(AlarmStatus("Alarms", alarm_arns))
    return DashboardSpec("api", widgets, period=s.dashboard_period_seconds)


def lambda_(w: Watched, s: ObservabilitySettings) -> DashboardSpec:
    def per_fn(name: str, stat: str = "Sum") -> list[Metric]:
        return [aws_metric("AWS/Lambda", name, {"FunctionName": w.functions[fn]}, stat, fn) for fn in WATCHED_FUNCTIONS]

    alias = {"FunctionName": w.functions["api"], "Resource": f"{w.functions['api']}:{w.api_alias_name}"}
    return DashboardSpec("lambda", [
        Graph("Invocations", per_fn("Invocations")),
        Graph("Errors", per_fn("Errors")),
        Graph("Throttles", per_fn("Throttles")),
        Graph("Concurrent executions (max)", per_fn("ConcurrentExecutions", "Maximum")),
        *[Graph(f"{fn} duration (ms)", [
            aws_metric("AWS/Lambda", "Duration", {"FunctionName": w.functions[fn]}, "p50", "p50"),
            aws_metric("AWS/Lambda", "Duration", {"FunctionName": w.functions[fn]}, "p99", "p99")],
            width=8, horizontal=[(w.timeouts[fn] * 1000, "timeout")]) for fn in WATCHED_FUNCTIONS],
        Graph("api provisioned concurrency", [
            aws_metric("AWS/Lambda", "ProvisionedConcurrencyUtilization", alias, "Maximum", "utilization"),
            aws_metric("AWS/Lambda", "ProvisionedConcurrencySpilloverInvocations", alias, "Sum", "spillover")]),
        Graph("Cold starts (app ColdStart metric)", [cold_start_metric(w, fn).with_stat("Sum", fn)
                                                     for fn in WATCHED_FUNCTIONS]),
        Graph("Init duration, max (ms, from platform.report)",
              [log_metric(w.env, f"InitDuration-{fn}", "Maximum", fn) for fn in WATCHED_FUNCTIONS]),
        Graph("ERROR log lines and timeouts", [
            *[log_metric(w.env, f"ErrorLogs-{fn}", label=f"{fn} errors") for fn in WATCHED_FUNCTIONS],
            *[log_metric(w.env, f"Timeouts-{fn}", label=f"{fn} timeouts") for fn in WATCHED_FUNCTIONS]]),
    ], period=s.dashboard_period_seconds)


def sqs(w: Watched, s: ObservabilitySettings) -> DashboardSpec:
    def m(queue: str, name: str, stat: str, label: str) -> Metric:
        return aws_metric("AWS/SQS", name, {"QueueName": queue}, stat, label)

    return DashboardSpec("sqs", [
        Graph("Orders queue depth", [m(w.queue_name, "ApproximateNumberOfMessagesVisible", "Maximum", "visible"),
                                     m(w.queue_name, "ApproximateNumberOfMessagesNotVisible", "Maximum", "in flight")],
              horizontal=[(s.alarms.queue_depth.threshold, "alarm")]),
        Graph("Oldest orders message (s)", [m(w.queue_name, "ApproximateAgeOfOldestMessage", "Maximum", "age")],
              horizontal=[(s.alarms.queue_oldest_age.threshold, "alarm")]),
        Graph("Orders queue throughput", [m(w.queue_name, "NumberOfMessagesSent", "Sum", "sent"),
                                          m(w.queue_name, "NumberOfMessagesDeleted", "Sum", "done")]),
        Graph("Dead letters", [m(w.dlq_archive_name, "ApproximateNumberOfMessagesVisible", "Maximum", "archived"),
                               m(w.dlq_name, "ApproximateNumberOfMessagesVisible", "Maximum", "not yet filed"),
                               m(w.dlq_name, "ApproximateNumberOfMessagesNotVisible", "Maximum", "being filed"),
                               m(w.dlq_archive_name, "ApproximateAgeOfOldestMessage", "Maximum", "oldest archived (s)"),
                               app_metric(w.env, "DlqMessagesNotFiled", "dlq-analyzer", "Sum", "not filed (retried)")]),
    ], period=s.dashboard_period_seconds)


def rds(w: Watched, s: ObservabilitySettings) -> DashboardSpec:
    instances = [w.db_instance, *w.db_replicas]

    def each(name: str, stat: str) -> list[Metric]:
        return [aws_metric("AWS/RDS", name, {"DBInstanceIdentifier": i}, stat, i) for i in instances]

    proxy = {"ProxyName": w.proxy_name}
    widgets = [
        Graph("CPU (%)", each("CPUUtilization", "Average"), horizontal=[(s.alarms.rds_cpu.threshold, "alarm")]),
        Graph("Connections", [*each("DatabaseConnections", "Maximum"),
                              aws_metric("AWS/RDS", "ClientConnections", proxy, "Maximum", "proxy clients"),
                              aws_metric("AWS/RDS", "DatabaseConnections", proxy, "Maximum", "proxy to database")]),
        Graph("Free storage (bytes)", each("FreeStorageSpace", "Minimum"),
              horizontal=[(s.alarms.rds_free_storage.threshold, "alarm")]),
        Graph("Freeable memory (bytes)", each("FreeableMemory", "Minimum")),
    ]
    full = w.reader_routing == "replica"  # the api reads from the replica: it counts reads a full one sent back
    if w.db_replicas:
        widgets.append(Graph("Replica lag (s)", [aws_metric("AWS/RDS", "ReplicaLag", {"DBInstanceIdentifier": r},
                                                            "Maximum", r) for r in w.db_replicas],
                             width=12 if full else 24))
    if full:
        widgets.append(Graph("Reads the primary served for a full replica", [
            _sum(w, "ReplicaFullFallbacks", "api", "ReplicaFullFallbacks")]))
    return DashboardSpec("rds", widgets, period=s.dashboard_period_seconds)


def cost(w: Watched, s: ObservabilitySettings, monthly_budget_usd: float, budget_name: str) -> DashboardSpec:
    charges = aws_metric("AWS/Billing", "EstimatedCharges", {"Currency": "USD"}, "Maximum", "account estimate (USD)")
    return DashboardSpec("cost", [
        Text(f"## Cost, {w.env.value}\nEstimatedCharges is the whole account's month to date (AWS updates it about "
             f"every 6 hours); the env's own spend is the budget **{budget_name}** (filtered by the Environment "
             f"tag) in the Billing console. Budget: **${monthly_budget_usd:,.0f}/month**."),
        Graph("Month to date vs budget (USD)", [charges], width=24, period=21600,
              horizontal=[(monthly_budget_usd, "monthly budget"), (0.8 * monthly_budget_usd, "80%")]),
    ], start="-P31D", period=21600)


def dashboard_specs(w: Watched, s: ObservabilitySettings, alarm_arns: list[str], monthly_budget_usd: float,
                    budget_name: str) -> dict[str, DashboardSpec]:
    specs = [business(w, s), api(w, s, alarm_arns), lambda_(w, s), sqs(w, s), rds(w, s),
             cost(w, s, monthly_budget_usd, budget_name)]
    return {spec.key: spec for spec in specs}
