"""Every alarm of an env, as data: a pure function of the watched names and the settings.

`alarm_specs` decides which alarms exist (from the settings only) and what each watches; the
`Alarms` component turns them into CloudWatch alarms. docs/observability.md explains each threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shared.components.observability.metrics import Metric, app_metric, aws_metric, log_metric
from shared.components.observability.settings import AlarmSettings, ObservabilitySettings, RateAlarmSettings
from shared.components.observability.upstream import WATCHED_FUNCTIONS, Watched
from shared.naming import resource_name

GREATER = "GreaterThanThreshold"
LESS = "LessThanThreshold"
# Where an alarm's ALARM and OK go (docs/observability.md, "What pages whom").
Urgency = Literal["page", "ticket"]
PAGE: Urgency = "page"  # the paging topic: someone acts now
TICKET: Urgency = "ticket"  # the ticket topic: someone looks in working hours


@dataclass(frozen=True)
class MathQuery:
    """One line of a metric-math alarm: a metric (``metric``) or an expression over the others."""

    id: str
    metric: Metric | None = None
    expression: str | None = None
    label: str | None = None
    return_data: bool = False


@dataclass(frozen=True)
class AlarmSpec:
    key: str  # stable key, exported in alarm_names
    name: str  # physical alarm name
    description: str
    settings: AlarmSettings
    comparison: str
    threshold: float
    metric: Metric | None = None  # a single-metric alarm ...
    queries: tuple[MathQuery, ...] = field(default_factory=tuple)  # ... or a metric-math alarm
    urgency: Urgency = PAGE  # TICKET: a burn-rate window (the composite over them pages), the replica's alarms

    @property
    def period(self) -> int:
        return self.settings.period_seconds


def _name(w: Watched, key: str) -> str:
    return resource_name(w.env, "alarm", key, service="alarm")


def _single(w: Watched, key: str, what: str, s: AlarmSettings, metric: Metric, comparison: str = GREATER,
            threshold: float | None = None) -> AlarmSpec:
    value = s.threshold if threshold is None else threshold
    return AlarmSpec(key, _name(w, key), what, s, comparison, value, metric=metric)


def _api(w: Watched, name: str, stat: str = "Sum") -> Metric:
    return aws_metric("AWS/ApiGateway", name, {"ApiName": w.rest_api_name, "Stage": w.stage_name}, stat)


def _rate(w: Watched, key: str, what: str, s: RateAlarmSettings, errors: str) -> AlarmSpec:
    """Percent of requests answered ``errors``; reads 0 below minRequests, so it is quiet at zero traffic."""
    queries = (
        MathQuery("errors", _api(w, errors)),
        MathQuery("requests", _api(w, "Count")),
        MathQuery("rate", expression=f"IF(requests >= {s.min_requests}, 100 * errors / requests, 0)",
                  label=f"{errors} % of requests", return_data=True),
    )
    return AlarmSpec(key, _name(w, key), what, s, GREATER, s.threshold, queries=queries)


def api_alarms(w: Watched, s: ObservabilitySettings) -> list[AlarmSpec]:
    a = s.alarms
    return [
        _single(w, "api-latency-p99", "API Gateway p99 latency over the 200 ms target", a.api_latency_p99,
                _api(w, "Latency", "p99")),
        _rate(w, "api-5xx-rate", "share of API requests failing with 5XX", a.api5xx_rate, "5XXError"),
        _rate(w, "api-4xx-rate", "surge of 4XX answers (a broken client release, a scan, throttling)",
              a.api4xx_rate, "4XXError"),
        _single(w, "api-429s", "API Gateway answered 429 (stage or usage-plan throttling)", a.api_throttled,
                log_metric(w.env, "ThrottledRequests")),
    ]


def _fn(w: Watched, fn: str, name: str, stat: str = "Sum") -> Metric:
    return aws_metric("AWS/Lambda", name, {"FunctionName": w.functions[fn]}, stat)


def lambda_alarms(w: Watched, s: ObservabilitySettings) -> list[AlarmSpec]:
    a = s.alarms
    specs = []
    for fn in WATCHED_FUNCTIONS:
        specs += [
            _single(w, f"{fn}-errors", f"{fn} function errors", a.lambda_errors, _fn(w, fn, "Errors")),
            _single(w, f"{fn}-throttles", f"{fn} function throttled (reserved concurrency reached)",
                    a.lambda_throttles, _fn(w, fn, "Throttles")),
            _single(w, f"{fn}-duration-p99", f"{fn} p99 duration near its {w.timeouts[fn]} s timeout",
                    a.lambda_duration_p99, _fn(w, fn, "Duration", "p99"),
                    threshold=round(a.lambda_duration_p99.threshold * w.timeouts[fn] * 1000, 3)),
            _single(w, f"{fn}-init-duration", f"{fn} cold start (init) longer than expected",
                    a.lambda_init_duration, log_metric(w.env, f"InitDuration-{fn}", "Maximum")),
        ]
    if a.provisioned_spillover is not None:
        resource = f"{w.functions['api']}:{w.api_alias_name}"
        specs.append(_single(
            w, "api-provisioned-spillover", "api requests beyond provisioned concurrency (cold starts on the alias)",
            a.provisioned_spillover,
            aws_metric("AWS/Lambda", "ProvisionedConcurrencySpilloverInvocations",
                       {"FunctionName": w.functions["api"], "Resource": resource})))
    return specs


def queue_alarms(w: Watched, s: ObservabilitySettings) -> list[AlarmSpec]:
    a = s.alarms

    def sqs(queue: str, name: str) -> Metric:
        return aws_metric("AWS/SQS", name, {"QueueName": queue}, "Maximum")

    return [
        _single(w, "queue-depth", "orders queue backlog", a.queue_depth,
                sqs(w.queue_name, "ApproximateNumberOfMessagesVisible")),
        _single(w, "queue-oldest-age", "oldest orders message waiting too long", a.queue_oldest_age,
                sqs(w.queue_name, "ApproximateAgeOfOldestMessage")),
        dlq_depth(w, s),
    ]


def dlq_depth(w: Watched, s: ObservabilitySettings) -> AlarmSpec:
    """Dead letters wherever they are: filed in the archive (where they stay until redriven: the normal
    place), or still in the DLQ, visible or being filed (docs/app.md, "Dead letters"). Missing data (a
    queue SQS reports nothing for) counts as 0."""
    a = s.alarms.dlq_depth

    def depth(query_id: str, queue: str, metric: str) -> MathQuery:
        return MathQuery(query_id, aws_metric("AWS/SQS", metric, {"QueueName": queue}, "Maximum"))

    queries = (
        depth("dlqvisible", w.dlq_name, "ApproximateNumberOfMessagesVisible"),
        depth("dlqheld", w.dlq_name, "ApproximateNumberOfMessagesNotVisible"),
        depth("archived", w.dlq_archive_name, "ApproximateNumberOfMessagesVisible"),
        depth("archiveheld", w.dlq_archive_name, "ApproximateNumberOfMessagesNotVisible"),
        MathQuery("dead", expression="FILL(dlqvisible, 0) + FILL(dlqheld, 0) + FILL(archived, 0) + FILL(archiveheld, 0)",
                  label="dead letters", return_data=True),
    )
    return AlarmSpec("dlq-depth", _name(w, "dlq-depth"),
                     "a dead letter: an order could not be written (fix the cause, then invoke dlq.redrive)",
                     a, GREATER, a.threshold, queries=queries)


def database_alarms(w: Watched, s: ObservabilitySettings) -> list[AlarmSpec]:
    a = s.alarms

    def rds(name: str, stat: str, instance: str | None = None) -> Metric:
        return aws_metric("AWS/RDS", name, {"DBInstanceIdentifier": instance or w.db_instance}, stat)

    specs = [
        _single(w, "rds-cpu", "primary database CPU", a.rds_cpu, rds("CPUUtilization", "Average")),
        _single(w, "rds-free-storage", "primary database running out of storage", a.rds_free_storage,
                rds("FreeStorageSpace", "Minimum"), LESS),
        _single(w, "rds-freeable-memory", "primary database low on memory", a.rds_freeable_memory,
                rds("FreeableMemory", "Minimum"), LESS),
        _single(w, "rds-connections", "primary database connections near max_connections", a.rds_connections,
                rds("DatabaseConnections", "Maximum")),
        _single(w, "proxy-client-connections", "RDS Proxy client connections", a.proxy_client_connections,
                aws_metric("AWS/RDS", "ClientConnections", {"ProxyName": w.proxy_name}, "Maximum")),
    ]
    if a.rds_replica_lag is not None:
        lines = tuple(MathQuery(f"lag{i}", rds("ReplicaLag", "Maximum", r)) for i, r in enumerate(w.db_replicas))
        worst = MathQuery("worst", expression=f"MAX([{', '.join(q.id for q in lines)}])",
                          label="worst replica lag (s)", return_data=True)
        specs.append(AlarmSpec("rds-replica-lag", _name(w, "rds-replica-lag"), "read replica behind the primary",
                               a.rds_replica_lag, GREATER, a.rds_replica_lag.threshold,
                               queries=(*lines, worst) if lines else ()))
    return specs + replica_alarms(w, s)


def replica_alarms(w: Watched, s: ObservabilitySettings) -> list[AlarmSpec]:
    """The replica's own connections (above the reader role's cap: not the app's doing) and the reads the
    primary serves because the replica is full: tickets, as the app keeps answering from the primary (its own
    alarms page if that hurts); docs/observability.md says what to do with each."""
    a, specs = s.alarms, []
    if a.rds_replica_connections is not None:
        lines = tuple(MathQuery(f"conn{i}", aws_metric("AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": r},
                                                       "Maximum")) for i, r in enumerate(w.db_replicas))
        busiest = MathQuery("busiest", expression=f"MAX([{', '.join(q.id for q in lines)}])",
                            label="connections, busiest replica", return_data=True)
        specs.append(AlarmSpec("rds-replica-connections", _name(w, "rds-replica-connections"),
                               "read replica connections near max_connections (above the reader role's cap)",
                               a.rds_replica_connections, GREATER, a.rds_replica_connections.threshold,
                               queries=(*lines, busiest) if lines else (), urgency=TICKET))
    if a.replica_full_fallbacks is not None:
        specs.append(AlarmSpec("replica-full", _name(w, "replica-full"),
                               "reads served by the primary because the replica refused the reader role as full",
                               a.replica_full_fallbacks, GREATER, a.replica_full_fallbacks.threshold,
                               metric=app_metric(w.env, "ReplicaFullFallbacks", "api"), urgency=TICKET))
    return specs


def availability_alarms(w: Watched, s: ObservabilitySettings) -> list[AlarmSpec]:
    """Multi-window burn-rate alarms on the 5XX ratio against the SLO's error budget (Google SRE workbook,
    "Alerting on SLOs"): a window pair breaches when both windows burn faster than the rate.

    Each window alone is a ticket, not a page: the composite pages when a pair breaches. A long window alone
    in ALARM means budget already spent (the burst is over), a short one alone a burst too brief to spend
    much: both worth a look, neither worth waking anyone. CloudWatch runs a child's own actions whatever
    the composite does ("Composite alarms": actions at the composite level only, or a different set on
    each level, https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-combining.html), so
    the windows notify the ticket topic and the composite the paging one."""
    av = s.availability
    specs = []
    for speed, rate, windows in (("fast", av.fast_burn_rate, av.fast_windows_seconds),
                                 ("slow", av.slow_burn_rate, av.slow_windows_seconds)):
        for size, window in zip(("long", "short"), windows, strict=True):
            key = f"availability-{speed}-burn-{size}"
            settings = AlarmSettings.model_validate({"threshold": rate * av.error_budget_percent,
                                                     "periodSeconds": window, "evaluationPeriods": 1,
                                                     "treatMissingData": "notBreaching"})
            queries = (
                MathQuery("errors", _api(w, "5XXError")),
                MathQuery("requests", _api(w, "Count")),
                MathQuery("burn", expression=f"IF(requests >= {av.min_requests}, 100 * errors / requests, 0)",
                          label=f"5XX % over {window // 60} min", return_data=True),
            )
            specs.append(AlarmSpec(key, _name(w, key),
                                   f"{speed} burn of the {av.slo_percent}% availability budget ({size} window)",
                                   settings, GREATER, settings.threshold, queries=queries, urgency=TICKET))
    return specs


def composite_rule(specs: list[AlarmSpec]) -> str:
    """(fast long AND fast short) OR (slow long AND slow short), by alarm name."""
    names = {spec.key: spec.name for spec in specs}

    def pair(speed: str) -> str:
        return (f'(ALARM("{names[f"availability-{speed}-burn-long"]}") AND '
                f'ALARM("{names[f"availability-{speed}-burn-short"]}"))')

    return f"{pair('fast')} OR {pair('slow')}"


def alarm_specs(w: Watched, s: ObservabilitySettings) -> list[AlarmSpec]:
    return [*api_alarms(w, s), *lambda_alarms(w, s), *queue_alarms(w, s), *database_alarms(w, s),
            *availability_alarms(w, s)]


def cold_start_metric(w: Watched, fn: str) -> Metric:
    """The app's own ColdStart metric of one function (Powertools, with the function name)."""
    return app_metric(w.env, "ColdStart", fn, function_name=w.functions[fn])
