"""Values CloudWatch, Logs, Budgets, X-Ray, SNS and AWS Config refuse, checked at synth time.

Part of `shared.synth.aws_rules`: its ``CHECKS`` table takes ``OBSERVABILITY_CHECKS`` (one check per
resource type, like its own) and applies them to every resource of every layer; kept in its own module
because there are many. Errors are `AwsValidationError`, as everywhere in the synth rules. Sources, per service:

* PutMetricAlarm: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
  (ComparisonOperator, TreatMissingData, Statistic xor ExtendedStatistic, Period 10/20/30 or a multiple
  of 60 and the evaluation window limits, up to 5 actions per state, Metrics: ids start lowercase,
  exactly one ReturnData, each a MetricStat or an Expression) and
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html (pNN).
* PutCompositeAlarm: AlarmRule at most 10,240 characters of ALARM()/OK()/INSUFFICIENT_DATA() terms.
* Dashboard body: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
  (24-column grid, widget types, metric arrays, log widgets' SOURCE queries).
* PutMetricFilter: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html
  and API_MetricTransformation.html (pattern <= 1,024, unit enum); PutQueryDefinition (queryString <= 10,000).
* CreateBudget: https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_CreateBudget.html
  (BudgetType, TimeUnit, Notification enums; up to 5 notifications; 1 SNS + 10 email subscribers each).
* X-Ray CreateSamplingRule / CreateGroup: https://docs.aws.amazon.com/xray/latest/api/API_SamplingRule.html
  (RuleName 1-32, Priority 1-9999, FixedRate 0-1, Version 1), API_CreateGroup.html (GroupName 1-32).
* AWS Config PutConfigRule: https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigRule.html and
  API_Scope.html (a scope is resource types, or one type + one id, or a tag key/value: never types and a
  tag); managed identifiers: https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html.
* SNS Subscribe: https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html (Protocol enum).
"""

from __future__ import annotations

import json
import re
from typing import Any

from shared.aws_metrics import COMPARISON_OPERATORS, PERCENTILE, STATISTICS, TREAT_MISSING_DATA, documented, period_problem
from shared.synth.aws_rule_support import AwsValidationError, Rule, plain, refuse

# AWS Config managed rule identifiers this repo may use, each checked against the managed-rules list.
MANAGED_RULE_IDENTIFIERS = frozenset({
    "LAMBDA_INSIDE_VPC", "LAMBDA_CONCURRENCY_CHECK", "LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED",
    "RDS_STORAGE_ENCRYPTED", "RDS_MULTI_AZ_SUPPORT", "DB_INSTANCE_BACKUP_ENABLED", "RDS_INSTANCE_PUBLIC_ACCESS_CHECK",
    "RDS_INSTANCE_DELETION_PROTECTION_ENABLED", "RDS_SNAPSHOTS_PUBLIC_PROHIBITED", "S3_BUCKET_SSL_REQUESTS_ONLY",
    "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
    "S3_BUCKET_VERSIONING_ENABLED", "SNS_ENCRYPTED_KMS", "VPC_DEFAULT_SECURITY_GROUP_CLOSED",
    "API_GW_CACHE_ENABLED_AND_ENCRYPTED", "API_GW_EXECUTION_LOGGING_ENABLED", "API_GW_XRAY_ENABLED",
    "CLOUDWATCH_LOG_GROUP_ENCRYPTED", "CMK_BACKING_KEY_ROTATION_ENABLED", "VPC_FLOW_LOGS_ENABLED", "REQUIRED_TAGS",
})
CONFIG_FREQUENCIES = frozenset({"One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"})
METRIC_UNITS = frozenset({
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits",
    "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
    "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None"})
WIDGET_TYPES = frozenset({"metric", "text", "log", "alarm", "explorer"})
SNS_PROTOCOLS = frozenset({"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"})
_METRIC_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
_ALARM_TERM = re.compile(r'(ALARM|OK|INSUFFICIENT_DATA)\("[^"]+"\)')
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$")


def check_statistic(stat: str, where: str) -> None:
    if stat not in STATISTICS and not re.fullmatch(PERCENTILE, stat):
        raise AwsValidationError(f"{where}: statistic {stat!r} is neither one of {sorted(STATISTICS)} "
                                           "nor a percentile pNN")


def check_metric(namespace: str, name: str, dimensions: dict[str, Any], where: str) -> None:
    """AWS namespaces: only documented metrics under a documented dimension set."""
    if namespace.startswith("AWS/"):
        problem = documented(namespace, name, frozenset(dimensions))
        if problem:
            raise AwsValidationError(f"{where}: {problem}")


def _actions(token: str, name: str, inputs: dict[str, Any]) -> None:
    for key in ("alarmActions", "okActions", "insufficientDataActions"):
        actions = plain(inputs.get(key)) or []
        if len(actions) > 5:
            refuse(token, name, f"{key} has {len(actions)} actions; CloudWatch allows 5")
        for arn in actions:
            if not isinstance(arn, str) or not _ARN.match(arn):
                refuse(token, name, f"{key} entry {arn!r} is not an ARN")


def _check_metric_alarm(token: str, name: str, inputs: dict[str, Any]) -> None:
    if inputs.get("comparisonOperator") not in COMPARISON_OPERATORS:
        refuse(token, name, f"comparisonOperator {inputs.get('comparisonOperator')!r}; AWS accepts "
                             f"{sorted(COMPARISON_OPERATORS)}")
    missing = inputs.get("treatMissingData", "missing")
    if missing not in TREAT_MISSING_DATA:
        refuse(token, name, f"treatMissingData {missing!r}; AWS accepts {sorted(TREAT_MISSING_DATA)}")
    evaluation = inputs.get("evaluationPeriods") or 0
    datapoints = inputs.get("datapointsToAlarm")
    if datapoints is not None and not 1 <= datapoints <= evaluation:
        refuse(token, name, f"datapointsToAlarm {datapoints} must lie in 1..evaluationPeriods ({evaluation})")
    if len(inputs.get("alarmDescription") or "") > 1024:
        refuse(token, name, "alarmDescription is over 1,024 characters")
    _actions(token, name, inputs)
    queries = plain(inputs.get("metricQueries")) or []
    if bool(inputs.get("metricName")) == bool(queries):
        refuse(token, name, "needs either metricName (one metric) or metricQueries (metric math), not both")
    if inputs.get("metricName"):
        stat, extended = inputs.get("statistic"), inputs.get("extendedStatistic")
        if bool(stat) == bool(extended):
            refuse(token, name, "needs exactly one of statistic and extendedStatistic")
        if stat and stat not in STATISTICS:
            refuse(token, name, f"statistic {stat!r}; AWS accepts {sorted(STATISTICS)} (percentiles go in "
                                 "extendedStatistic)")
        if extended and not re.fullmatch(PERCENTILE, extended):
            refuse(token, name, f"extendedStatistic {extended!r} is not a percentile pNN")
        problem = period_problem(inputs.get("period") or 0, evaluation)
        if problem:
            refuse(token, name, problem)
        check_metric(inputs.get("namespace", ""), inputs["metricName"], plain(inputs.get("dimensions")) or {},
                     f"{token} {name!r}")
        return
    _check_queries(token, name, queries, evaluation)


def _check_queries(token: str, name: str, queries: list[dict[str, Any]], evaluation: int) -> None:
    returned = [q for q in queries if q.get("returnData")]
    if len(returned) != 1:
        refuse(token, name, f"metricQueries need exactly one returnData: true, got {len(returned)}")
    for q in queries:
        if not _METRIC_ID.match(q.get("id", "")):
            refuse(token, name, f"metric query id {q.get('id')!r} must start with a lowercase letter "
                                 "(letters, digits, underscore)")
        metric, expr = q.get("metric"), q.get("expression")
        if bool(metric) == bool(expr):
            refuse(token, name, f"metric query {q.get('id')!r} needs exactly one of metric and expression")
        if expr and len(expr) > 1024:
            refuse(token, name, f"expression of {q.get('id')!r} is over 1,024 characters")
        if metric:
            check_statistic(metric.get("stat", ""), f"{token} {name!r} query {q.get('id')!r}")
            problem = period_problem(metric.get("period") or 0, evaluation)
            if problem:
                refuse(token, name, f"query {q.get('id')!r}: {problem}")
            check_metric(metric.get("namespace", ""), metric.get("metricName", ""), metric.get("dimensions") or {},
                         f"{token} {name!r} query {q.get('id')!r}")


def _check_composite(token: str, name: str, inputs: dict[str, Any]) -> None:
    rule = inputs.get("alarmRule") or ""
    if not rule or len(rule) > 10_240:
        refuse(token, name, "alarmRule must be 1..10,240 characters")
    if not _ALARM_TERM.search(rule):
        refuse(token, name, f"alarmRule {rule!r} names no ALARM(\"...\")/OK(\"...\") term")
    _actions(token, name, inputs)


def check_dashboard_body(body: Any, where: str) -> dict[str, Any]:
    """The dashboard body AWS accepts (the parts we use); returns it decoded."""
    doc = json.loads(body) if isinstance(body, str) else body
    widgets = doc.get("widgets") if isinstance(doc, dict) else None
    if not isinstance(widgets, list) or not widgets:
        raise AwsValidationError(f"{where}: dashboard body needs a non-empty widgets list")
    for i, widget in enumerate(widgets):
        at = f"{where} widget {i}"
        if widget.get("type") not in WIDGET_TYPES:
            raise AwsValidationError(f"{at}: type {widget.get('type')!r}; AWS accepts {sorted(WIDGET_TYPES)}")
        x, width = widget.get("x", 0), widget.get("width", 6)
        if not 1 <= width <= 24 or x < 0 or x + width > 24 or not 1 <= widget.get("height", 6) <= 1000:
            raise AwsValidationError(f"{at}: x {x} width {width} height {widget.get('height')} leave the "
                                               "24-column grid")
        props = widget.get("properties") or {}
        if widget["type"] == "metric":
            _check_widget_metrics(props, at)
        if widget["type"] == "log" and not str(props.get("query", "")).startswith("SOURCE '"):
            raise AwsValidationError(f"{at}: a log widget's query starts with SOURCE '<log group>'")
    return doc


def _check_widget_metrics(props: dict[str, Any], at: str) -> None:
    period = props.get("period", 300)
    if period not in (1, 5, 10, 30) and period % 60:
        raise AwsValidationError(f"{at}: period {period}; dashboards take 1, 5, 10, 30 or multiples of 60")
    check_statistic(props.get("stat", "Average"), at)
    for line in props.get("metrics") or []:
        options = line[-1] if line and isinstance(line[-1], dict) else {}
        names = [part for part in line if isinstance(part, str)]
        if not names:  # an expression line
            if not options.get("expression") or not _METRIC_ID.match(options.get("id", "")):
                raise AwsValidationError(f"{at}: expression line {line} needs an expression and a "
                                                   "lowercase id")
            continue
        namespace, metric, *pairs = names
        if len(pairs) % 2:
            raise AwsValidationError(f"{at}: metric line {line} has a dimension without a value")
        check_statistic(options.get("stat", props.get("stat", "Average")), at)
        check_metric(namespace, metric, dict(zip(pairs[::2], pairs[1::2], strict=True)), at)


def _check_dashboard(token: str, name: str, inputs: dict[str, Any]) -> None:
    check_dashboard_body(plain(inputs.get("dashboardBody")), f"{token} {name!r}")


def _check_metric_filter(token: str, name: str, inputs: dict[str, Any]) -> None:
    """PutMetricFilter: pattern 1-1,024 characters; a CloudWatch unit; a value and a namespace without ':'."""
    if not 0 < len(inputs.get("pattern") or "") <= 1024:
        refuse(token, name, "pattern must be 1..1,024 characters")
    transform = inputs.get("metricTransformation") or {}
    if transform.get("unit", "None") not in METRIC_UNITS:
        refuse(token, name, f"metricTransformation.unit {transform.get('unit')!r} is not a CloudWatch unit")
    if ":" in transform.get("namespace", "") or not transform.get("value"):
        refuse(token, name, "metricTransformation needs a value and a namespace without ':'")


def _check_query_definition(token: str, name: str, inputs: dict[str, Any]) -> None:
    """PutQueryDefinition: queryString 1-10,000 and name 1-255 characters."""
    query, query_name = inputs.get("queryString") or "", inputs.get("name") or ""
    if not (0 < len(query) <= 10_000 and 0 < len(query_name) <= 255):
        refuse(token, name, "queryString must be 1..10,000 and name 1..255 characters")


def _check_budget(token: str, name: str, inputs: dict[str, Any]) -> None:
    enums = {"budgetType": {"USAGE", "COST", "RI_UTILIZATION", "RI_COVERAGE", "SAVINGS_PLANS_UTILIZATION",
                            "SAVINGS_PLANS_COVERAGE"},
             "timeUnit": {"DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY", "CUSTOM"}}
    for key, allowed in enums.items():
        if inputs.get(key) not in allowed:
            refuse(token, name, f"{key} {inputs.get(key)!r}; AWS accepts {sorted(allowed)}")
    try:
        if float(inputs.get("limitAmount", "")) <= 0:
            raise ValueError
    except ValueError:
        refuse(token, name, f"limitAmount {inputs.get('limitAmount')!r} is not a positive amount")
    notifications = inputs.get("notifications") or []
    if len(notifications) > 5:
        refuse(token, name, f"{len(notifications)} notifications; a budget has at most 5")
    for n in notifications:
        checks = {"comparisonOperator": {"GREATER_THAN", "LESS_THAN", "EQUAL_TO"},
                  "notificationType": {"ACTUAL", "FORECASTED"}, "thresholdType": {"PERCENTAGE", "ABSOLUTE_VALUE"}}
        for key, allowed in checks.items():
            if n.get(key) not in allowed:
                refuse(token, name, f"notification {key} {n.get(key)!r}; AWS accepts {sorted(allowed)}")
        if len(n.get("subscriberSnsTopicArns") or []) > 1 or len(n.get("subscriberEmailAddresses") or []) > 10:
            refuse(token, name, "a notification takes 1 SNS topic and up to 10 email subscribers")


def _check_sampling_rule(token: str, name: str, inputs: dict[str, Any]) -> None:
    """CreateSamplingRule: name and match lengths, priority 1-9999, fixed rate 0-1, version 1."""
    lengths = [("ruleName", 1, 32), ("serviceName", 1, 64), ("serviceType", 1, 64), ("host", 1, 64),
               ("httpMethod", 1, 10), ("urlPath", 1, 128)]
    for key, low, high in lengths:
        if not low <= len(str(inputs.get(key, ""))) <= high:
            refuse(token, name, f"{key} {inputs.get(key)!r} must be {low}..{high} characters")
    if not 1 <= inputs.get("priority", 0) <= 9999 or not 0 <= inputs.get("fixedRate", -1) <= 1:
        refuse(token, name, "priority must be 1..9999 and fixedRate 0..1")
    if inputs.get("version") != 1 or inputs.get("reservoirSize", -1) < 0:
        refuse(token, name, "version must be 1 and reservoirSize >= 0")


def _check_xray_group(token: str, name: str, inputs: dict[str, Any]) -> None:
    """CreateGroup: GroupName 1-32 characters."""
    if not 1 <= len(inputs.get("groupName", "")) <= 32:
        refuse(token, name, f"groupName {inputs.get('groupName')!r} must be 1..32 characters")


def _check_config_rule(token: str, name: str, inputs: dict[str, Any]) -> None:
    """PutConfigRule: owner, a managed identifier checked against AWS's list, frequency, scope, parameters."""
    source = inputs.get("source") or {}
    if source.get("owner") not in ("AWS", "CUSTOM_LAMBDA", "CUSTOM_POLICY"):
        refuse(token, name, f"source.owner {source.get('owner')!r}")
    if source.get("owner") == "AWS" and source.get("sourceIdentifier") not in MANAGED_RULE_IDENTIFIERS:
        refuse(token, name, f"{source.get('sourceIdentifier')!r} is not a managed rule identifier this repo "
                            "checked against AWS's list (add it to MANAGED_RULE_IDENTIFIERS with care)")
    frequency = inputs.get("maximumExecutionFrequency")
    if frequency is not None and frequency not in CONFIG_FREQUENCIES:
        refuse(token, name, f"maximumExecutionFrequency {frequency!r}; AWS accepts {sorted(CONFIG_FREQUENCIES)}")
    scope = inputs.get("scope") or {}
    if scope.get("complianceResourceTypes") and scope.get("tagKey"):
        refuse(token, name, "a scope is resource types or a tag, never both")
    params = inputs.get("inputParameters")
    if params and (len(params) > 1024 or not isinstance(json.loads(params), dict)):
        refuse(token, name, "inputParameters must be a JSON object of at most 1,024 characters")
    if source.get("sourceIdentifier") == "REQUIRED_TAGS":
        keys = set(json.loads(params or "{}"))
        if not keys or not keys <= {f"tag{i}{kind}" for i in range(1, 7) for kind in ("Key", "Value")}:
            refuse(token, name, "REQUIRED_TAGS takes tag1Key..tag6Key (and their Values) only")


def _check_recorder(token: str, name: str, inputs: dict[str, Any]) -> None:
    """PutConfigurationRecorder: a recording group and frequency AWS accepts."""
    group = inputs.get("recordingGroup") or {}
    if group.get("allSupported") and group.get("resourceTypes"):
        refuse(token, name, "recordingGroup: allSupported and resourceTypes exclude each other")
    if group.get("includeGlobalResourceTypes") and not group.get("allSupported"):
        refuse(token, name, "recordingGroup: includeGlobalResourceTypes needs allSupported")
    mode = (inputs.get("recordingMode") or {}).get("recordingFrequency", "CONTINUOUS")
    if mode not in ("CONTINUOUS", "DAILY"):
        refuse(token, name, f"recordingMode.recordingFrequency {mode!r}")


def _check_delivery_channel(token: str, name: str, inputs: dict[str, Any]) -> None:
    """PutDeliveryChannel: a snapshot delivery frequency AWS knows."""
    frequency = (inputs.get("snapshotDeliveryProperties") or {}).get("deliveryFrequency")
    if frequency is not None and frequency not in CONFIG_FREQUENCIES:
        refuse(token, name, f"deliveryFrequency {frequency!r}; AWS accepts {sorted(CONFIG_FREQUENCIES)}")


def _check_subscription(token: str, name: str, inputs: dict[str, Any]) -> None:
    """Subscribe: a protocol SNS knows; an https endpoint for the https protocol."""
    protocol = inputs.get("protocol")
    if protocol not in SNS_PROTOCOLS:
        refuse(token, name, f"protocol {protocol!r}; SNS accepts {sorted(SNS_PROTOCOLS)}")
    endpoint = str(plain(inputs.get("endpoint")) or "")
    if protocol == "https" and not endpoint.startswith("https://"):
        refuse(token, name, f"an https subscription's endpoint must start with https://, not {endpoint!r}")


# token -> its check; `shared.synth.aws_rules.CHECKS` includes these.
OBSERVABILITY_CHECKS: dict[str, Rule] = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": _check_metric_alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _check_composite,
    "aws:cloudwatch/dashboard:Dashboard": _check_dashboard,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": _check_metric_filter,
    "aws:cloudwatch/queryDefinition:QueryDefinition": _check_query_definition,
    "aws:budgets/budget:Budget": _check_budget,
    "aws:xray/samplingRule:SamplingRule": _check_sampling_rule,
    "aws:xray/group:Group": _check_xray_group,
    "aws:cfg/rule:Rule": _check_config_rule,
    "aws:cfg/recorder:Recorder": _check_recorder,
    "aws:cfg/deliveryChannel:DeliveryChannel": _check_delivery_channel,
    "aws:sns/topicSubscription:TopicSubscription": _check_subscription,
}

