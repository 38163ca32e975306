"""Metric filters on the functions' JSON logs, and the saved Logs Insights queries.

Two kinds of lines reach a function's log group (compute sets ``logFormat: JSON``):
* the app's Powertools lines: ``level``, ``message``, ``correlation_id``, ``function_name``, ``error`` ...
  (the keys `APP_LOG_FIELDS` lists; a test runs the handlers and checks each is in their output);
* Lambda's JSON system lines, ``{"type": "platform.report", "record": {"status", "metrics": {...}}}``:
  ``record.status`` is ``success | failure | timeout | error`` and ``record.metrics.initDurationMs``
  is present on a cold start (https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html,
  https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html). platform.report is
  an INFO system line: the functions' system log level must stay INFO (a compute test checks it).
Filter syntax: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html.
API Gateway's access log lines are JSON with ``status`` (``$context.status``), the api layer's format (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.observability.metrics import log_metrics_namespace
from shared.components.observability.upstream import WATCHED_FUNCTIONS, Watched
from shared.config import Environment
from shared.naming import resource_name

# Keys of the app's JSON log lines the filters and queries below use.
APP_LOG_FIELDS = ("level", "message", "correlation_id", "function_name", "error", "cold_start")
ACCESS_LOG_STATUS_FIELD = "status"

ERROR_PATTERN = '{ ($.level = "ERROR") || ($.level = "CRITICAL") }'
TIMEOUT_PATTERN = '{ ($.type = "platform.report") && ($.record.status = "timeout") }'
COLD_START_PATTERN = '{ ($.type = "platform.report") && ($.record.metrics.initDurationMs > 0) }'
# A number or a string, whichever the access log format writes ($context.status is quoted in AWS's examples).
THROTTLED_PATTERN = f'{{ ($.{ACCESS_LOG_STATUS_FIELD} = 429) || ($.{ACCESS_LOG_STATUS_FIELD} = "429") }}'

REJECTED_BY_REASON_QUERY = (
    'filter message = "record failed" | parse error /^(?<reason>[A-Za-z]+):/ '
    "| stats count(*) as records by reason | sort records desc")


@dataclass(frozen=True)
class FilterSpec:
    key: str
    log_group: str
    pattern: str
    metric_name: str
    value: str = "1"
    unit: str = "Count"


def filter_specs(w: Watched) -> list[FilterSpec]:
    specs = []
    for fn in WATCHED_FUNCTIONS:
        group = w.log_groups[fn]
        specs += [
            FilterSpec(f"{fn}-errors", group, ERROR_PATTERN, f"ErrorLogs-{fn}"),
            FilterSpec(f"{fn}-timeouts", group, TIMEOUT_PATTERN, f"Timeouts-{fn}"),
            FilterSpec(f"{fn}-cold-starts", group, COLD_START_PATTERN, f"ColdStarts-{fn}"),
            FilterSpec(f"{fn}-init-duration", group, COLD_START_PATTERN, f"InitDuration-{fn}",
                       "$.record.metrics.initDurationMs", "Milliseconds"),
        ]
    specs.append(FilterSpec("api-throttled", w.access_log_group_name, THROTTLED_PATTERN, "ThrottledRequests"))
    return specs


@dataclass(frozen=True)
class QuerySpec:
    key: str
    title: str
    functions: tuple[str, ...]
    query: str


QUERIES = (
    QuerySpec("follow-correlation-id", "Follow one correlation id across API, worker and DLQ analyzer",
              WATCHED_FUNCTIONS,
              "# Replace the id below with the X-Correlation-Id a client got back (or a job id).\n"
              "fields @timestamp, function_name, level, message, correlation_id, error\n"
              '| filter correlation_id = "paste-correlation-id" or @message like "paste-correlation-id"\n'
              "| sort @timestamp asc | limit 500"),
    QuerySpec("top-errors", "Top errors by function and message", WATCHED_FUNCTIONS,
              'filter level = "ERROR" or level = "CRITICAL"\n'
              "| stats count(*) as errors, latest(error) as last_error by function_name, message\n"
              "| sort errors desc | limit 25"),
    QuerySpec("slowest-requests", "Slowest API invocations (platform.report)", ("api",),
              'filter type = "platform.report"\n'
              "| fields @timestamp, record.requestId, record.metrics.durationMs, record.metrics.initDurationMs,"
              " record.status\n| sort record.metrics.durationMs desc | limit 25"),
    QuerySpec("cold-starts", "Cold starts per hour and their init duration", WATCHED_FUNCTIONS,
              'filter type = "platform.report" and ispresent(record.metrics.initDurationMs)\n'
              "| stats count(*) as cold_starts, avg(record.metrics.initDurationMs) as avg_init_ms,"
              " pct(record.metrics.initDurationMs, 99) as p99_init_ms by bin(1h), @log\n| sort @timestamp desc"),
    QuerySpec("records-rejected-by-reason", "Async records the worker rejected, by reason", ("worker",),
              REJECTED_BY_REASON_QUERY),
    QuerySpec("dead-letter-summaries", "DLQ analyzer summaries: dead letters filed by class, with samples",
              ("dlq-analyzer",),
              'filter message = "dlq summary"\n| fields @timestamp, filed, kept_in_dlq, by_class.validation, by_class.database,'
              " by_class.timeout, by_class.unknown, @message\n| sort @timestamp desc | limit 50"),
)


class LogInsights(pulumi.ComponentResource):
    """The metric filters (numbers alarms and dashboards read) and the saved queries (for people)."""

    filter_names: dict[str, str]
    query_names: list[str]

    def __init__(self, name: str, env: Environment, watched: pulumi.Output[Watched],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:observability:LogInsights", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace = log_metrics_namespace(env)
        self.filter_names = {}
        for spec in filter_specs(Watched.placeholder(env)):
            key = spec.key
            filter_name = resource_name(env, "filter", key)
            aws.cloudwatch.LogMetricFilter(
                f"{name}-{key}",
                name=filter_name,
                log_group_name=watched.apply(lambda w, k=key: _filter(w, k).log_group),
                pattern=spec.pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=spec.metric_name, namespace=namespace, value=spec.value, unit=spec.unit),
                opts=child,
            )
            self.filter_names[key] = filter_name
        self.query_names = []
        for query in QUERIES:
            query_name = f"{resource_name(env, 'queries')}/{query.key}"  # a '/' makes a folder in the console
            aws.cloudwatch.QueryDefinition(
                f"{name}-query-{query.key}",
                name=query_name,
                log_group_names=watched.apply(lambda w, q=query: [w.log_groups[fn] for fn in q.functions]),
                query_string=query.query,
                opts=child,
            )
            self.query_names.append(query_name)
        self.register_outputs({"filter_names": self.filter_names})


def _filter(w: Watched, key: str) -> FilterSpec:
    return next(spec for spec in filter_specs(w) if spec.key == key)
