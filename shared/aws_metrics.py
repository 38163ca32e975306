"""The CloudWatch metrics AWS documents, per namespace, with the dimension sets they are published under.

An alarm or a dashboard on a metric nobody publishes shows "no data" for ever, and CloudWatch
accepts it without a word. So the observability layer may name an AWS metric only if it is listed
here, with a dimension set AWS documents for it; `shared/synth/aws_rules.py` checks every alarm
and dashboard of every layer against this list at synth time. Sources, one per namespace:

* AWS/ApiGateway: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
  (REST API metrics by ApiName, and by ApiName + Stage; cache metrics by ApiName + Stage).
* AWS/Lambda: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
  (by FunctionName, by FunctionName + Resource for a version or alias, account-wide without dimension;
  ProvisionedConcurrency* metrics by FunctionName + Resource).
* AWS/SQS: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
  (QueueName is the only dimension).
* AWS/RDS: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html
  (instance metrics by DBInstanceIdentifier; ReplicaLag on replicas) and
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.monitoring.html (proxy metrics by ProxyName).
* AWS/Billing: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/monitor_estimated_charges_with_cloudwatch.html
  (EstimatedCharges by Currency, or Currency + ServiceName; published in us-east-1 only).
* AWS/WAFV2: https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html
  (AllowedRequests/BlockedRequests by WebACL + Region + Rule).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AwsMetric:
    namespace: str
    name: str
    dimension_sets: tuple[frozenset[str], ...]


def _metrics(namespace: str, names: tuple[str, ...], *dimension_sets: tuple[str, ...]) -> dict[tuple[str, str], AwsMetric]:
    sets = tuple(frozenset(d) for d in dimension_sets)
    return {(namespace, n): AwsMetric(namespace, n, sets) for n in names}


_API = ("Count", "4XXError", "5XXError", "Latency", "IntegrationLatency")
_API_CACHE = ("CacheHitCount", "CacheMissCount")
_LAMBDA = ("Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions", "DeadLetterErrors",
           "DestinationDeliveryFailures", "AsyncEventsReceived", "AsyncEventAge", "AsyncEventsDropped")
_LAMBDA_PC = ("ProvisionedConcurrencyUtilization", "ProvisionedConcurrencyInvocations",
              "ProvisionedConcurrencySpilloverInvocations", "ProvisionedConcurrentExecutions")
_SQS = ("ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed", "ApproximateAgeOfOldestMessage", "NumberOfMessagesSent",
        "NumberOfMessagesReceived", "NumberOfMessagesDeleted", "NumberOfEmptyReceives", "SentMessageSize")
_RDS = ("CPUUtilization", "FreeStorageSpace", "FreeableMemory", "DatabaseConnections", "ReadIOPS", "WriteIOPS",
        "ReadLatency", "WriteLatency", "ReplicaLag", "DiskQueueDepth", "CPUCreditBalance", "MaximumUsedTransactionIDs")
_PROXY = ("ClientConnections", "DatabaseConnections", "QueryRequests", "DatabaseConnectionsCurrentlyBorrowed",
          "ClientConnectionsSetupFailedAuth", "DatabaseConnectionRequestsWithTLS", "AvailabilityPercentage")

def _merge(*groups: dict[tuple[str, str], AwsMetric]) -> dict[tuple[str, str], AwsMetric]:
    """One entry per metric; a name published in two contexts (RDS DatabaseConnections of an instance
    and of a proxy) keeps the dimension sets of both."""
    merged: dict[tuple[str, str], AwsMetric] = {}
    for group in groups:
        for key, metric in group.items():
            if key in merged:
                metric = AwsMetric(metric.namespace, metric.name, merged[key].dimension_sets + metric.dimension_sets)
            merged[key] = metric
    return merged


DOCUMENTED: dict[tuple[str, str], AwsMetric] = _merge(
    _metrics("AWS/ApiGateway", _API, ("ApiName",), ("ApiName", "Stage")),
    _metrics("AWS/ApiGateway", _API_CACHE, ("ApiName", "Stage")),
    _metrics("AWS/Lambda", _LAMBDA, ("FunctionName",), ("FunctionName", "Resource"), ()),
    _metrics("AWS/Lambda", _LAMBDA_PC, ("FunctionName", "Resource")),
    _metrics("AWS/Lambda", ("UnreservedConcurrentExecutions",), ()),
    _metrics("AWS/SQS", _SQS, ("QueueName",)),
    _metrics("AWS/RDS", _RDS, ("DBInstanceIdentifier",)),
    _metrics("AWS/RDS", _PROXY, ("ProxyName",)),
    _metrics("AWS/Billing", ("EstimatedCharges",), ("Currency",), ("Currency", "ServiceName")),
    _metrics("AWS/WAFV2", ("AllowedRequests", "BlockedRequests"), ("WebACL", "Region", "Rule")),
)

# PutMetricAlarm / GetMetricData: the simple statistics, and the percentile form of ExtendedStatistic
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html).
STATISTICS = frozenset({"SampleCount", "Average", "Sum", "Minimum", "Maximum"})
PERCENTILE = r"p(\d{1,2}(\.\d{1,10})?|100)"

# PutMetricAlarm ComparisonOperator; the last three are for anomaly-detection bands only.
COMPARISON_OPERATORS = frozenset({
    "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold",
})
TREAT_MISSING_DATA = frozenset({"breaching", "notBreaching", "ignore", "missing"})

# PutMetricAlarm Period: 10, 20, 30 (high resolution) or a multiple of 60; Period x EvaluationPeriods at most
# one day when Period < 1 h, else at most 7 days (PutMetricAlarm API reference, "Period").
HIGH_RESOLUTION_PERIODS = frozenset({10, 20, 30})
MAX_EVALUATION_SECONDS_SHORT = 86_400
MAX_EVALUATION_SECONDS = 604_800


def documented(namespace: str, name: str, dimensions: frozenset[str]) -> str | None:
    """None when AWS documents ``name`` in ``namespace`` under exactly these dimension keys, else why not."""
    metric = DOCUMENTED.get((namespace, name))
    if metric is None:
        known = sorted(n for ns, n in DOCUMENTED if ns == namespace)
        return f"{namespace} {name} is not a metric AWS documents (known: {', '.join(known) or 'none'})"
    if dimensions not in metric.dimension_sets:
        shown = " | ".join("{" + ", ".join(sorted(s)) + "}" for s in metric.dimension_sets)
        return f"{namespace} {name} is published by {shown}, not by {{{', '.join(sorted(dimensions))}}}"
    return None


def period_problem(period: int, evaluation_periods: int) -> str | None:
    """None when CloudWatch accepts this period and evaluation window, else why not."""
    if period not in HIGH_RESOLUTION_PERIODS and (period <= 0 or period % 60):
        return f"period {period} s: CloudWatch accepts 10, 20, 30 or a multiple of 60"
    window = period * evaluation_periods
    limit = MAX_EVALUATION_SECONDS_SHORT if period < 3600 else MAX_EVALUATION_SECONDS
    if evaluation_periods < 1 or window > limit:
        return f"period {period} s x {evaluation_periods} evaluation periods = {window} s; the limit is {limit} s"
    return None
