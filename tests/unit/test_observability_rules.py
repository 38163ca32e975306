"""Observability: the settings model, the metric catalogues, the AWS value checks and the account singletons."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from app.contract import metrics_namespace
from shared.aws_metrics import documented, period_problem
from shared.components.observability.accounts import check_account_singletons
from shared.components.observability.metrics import MetricError, app_metric, aws_metric, log_metrics_namespace
from shared.components.observability.settings import AlarmSettings, ObservabilitySettings
from shared.components.observability.tracing import monthly_cost_usd, monthly_traces
from shared.config import ConfigError, Environment, validate_settings
from shared.synth.aws_rules import AwsValidationError, validate
from shared.synth.aws_rules_observability import check_dashboard_body
from shared.synth.render import layer_config
from shared.synth.runner import SynthError, with_stubs

pytestmark = pytest.mark.unit

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def alarm(**changes: Any) -> dict[str, Any]:
    inputs = {"name": "a", "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 3,
              "datapointsToAlarm": 2, "threshold": 1, "treatMissingData": "notBreaching", "namespace": "AWS/Lambda",
              "metricName": "Errors", "dimensions": {"FunctionName": "f"}, "statistic": "Sum", "period": 300,
              "alarmActions": ["arn:aws:sns:us-east-1:123456789012:t"]}
    inputs.update(changes)
    return {k: v for k, v in inputs.items() if v is not None}


@pytest.mark.parametrize(("changes", "message"), [
    ({"comparisonOperator": "GreaterThan"}, "comparisonOperator 'GreaterThan'"),
    ({"treatMissingData": "zero"}, "treatMissingData 'zero'"),
    ({"statistic": "p99"}, "percentiles go in extendedStatistic"),
    ({"statistic": None, "extendedStatistic": "p999"}, "is not a percentile"),
    ({"statistic": "Sum", "extendedStatistic": "p99"}, "exactly one of statistic and extendedStatistic"),
    ({"period": 90}, "period 90 s"),
    ({"period": 3000, "evaluationPeriods": 30, "datapointsToAlarm": 2}, "the limit is 86400 s"),
    ({"datapointsToAlarm": 4}, "datapointsToAlarm 4"),
    ({"metricName": "Error"}, "AWS/Lambda Error is not a metric AWS documents"),
    ({"dimensions": {"FunctionName": "f", "Stage": "x"}}, "is published by"),
    ({"alarmActions": ["topic"]}, "is not an ARN"),
])
def test_alarm_values_aws_refuses(changes: dict[str, Any], message: str) -> None:
    validate(ALARM, "a", alarm())  # the baseline passes
    with pytest.raises(AwsValidationError, match=message):
        validate(ALARM, "a", alarm(**changes))


def test_metric_math_alarm_checks() -> None:
    query = {"id": "m1", "metric": {"namespace": "AWS/SQS", "metricName": "ApproximateNumberOfMessagesVisible",
                                    "dimensions": {"QueueName": "q"}, "stat": "Maximum", "period": 300}}
    good = alarm(metricName=None, namespace=None, dimensions=None, statistic=None, period=None,
                 metricQueries=[query, {"id": "e1", "expression": "m1 * 2", "returnData": True}])
    validate(ALARM, "a", good)
    no_return = copy.deepcopy(good)
    no_return["metricQueries"][1]["returnData"] = False
    with pytest.raises(AwsValidationError, match="exactly one returnData"):
        validate(ALARM, "a", no_return)
    upper = copy.deepcopy(good)
    upper["metricQueries"][0]["id"] = "M1"
    with pytest.raises(AwsValidationError, match="must start with a lowercase letter"):
        validate(ALARM, "a", upper)


def test_dashboard_body_checks() -> None:
    line = ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "q", {"stat": "Maximum"}]
    body = {"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
                         "properties": {"metrics": [line], "period": 300, "region": "us-east-1"}}]}
    check_dashboard_body(json.dumps(body), "d")
    for mutate, message in (
        (lambda b: b["widgets"][0].update(x=18), "leave the 24-column grid"),
        (lambda b: b["widgets"][0]["properties"].update(period=90), "period 90"),
        (lambda b: b["widgets"][0]["properties"]["metrics"][0].__setitem__(1, "OldestAge"), "not a metric AWS"),
        (lambda b: b["widgets"][0]["properties"]["metrics"][0][-1].update(stat="avg"), "statistic 'avg'"),
        (lambda b: b["widgets"][0].update(type="log", properties={"query": "fields @message"}), "SOURCE"),
    ):
        broken = copy.deepcopy(body)
        mutate(broken)
        with pytest.raises(AwsValidationError, match=message):
            check_dashboard_body(json.dumps(broken), "d")


def test_config_rule_and_budget_checks() -> None:
    rule = {"name": "r", "source": {"owner": "AWS", "sourceIdentifier": "LAMBDA_INSIDE_VPC"}}
    validate("aws:cfg/rule:Rule", "r", rule)
    with pytest.raises(AwsValidationError, match="not a managed rule identifier"):
        validate("aws:cfg/rule:Rule", "r", {**rule, "source": {"owner": "AWS", "sourceIdentifier": "LAMBDA_IN_VPC"}})
    with pytest.raises(AwsValidationError, match="resource types or a tag, never both"):
        validate("aws:cfg/rule:Rule", "r", {**rule, "scope": {"complianceResourceTypes": ["AWS::S3::Bucket"],
                                                              "tagKey": "Environment"}})
    with pytest.raises(AwsValidationError, match="tag1Key..tag6Key"):
        validate("aws:cfg/rule:Rule", "r", {"name": "r", "source": {"owner": "AWS", "sourceIdentifier": "REQUIRED_TAGS"},
                                            "inputParameters": json.dumps({"tag7Key": "x"})})
    budget = {"name": "b", "budgetType": "COST", "timeUnit": "MONTHLY", "limitAmount": "500.00", "limitUnit": "USD",
              "notifications": [{"comparisonOperator": "GREATER_THAN", "notificationType": "ACTUAL", "threshold": 80,
                                 "thresholdType": "PERCENTAGE",
                                 "subscriberSnsTopicArns": ["arn:aws:sns:us-east-1:123456789012:t"]}]}
    validate("aws:budgets/budget:Budget", "b", budget)
    with pytest.raises(AwsValidationError, match="notificationType 'FORECAST'"):
        validate("aws:budgets/budget:Budget", "b", {**budget, "notifications": [
            {**budget["notifications"][0], "notificationType": "FORECAST"}]})
    with pytest.raises(AwsValidationError, match="1..32 characters"):
        validate("aws:xray/samplingRule:SamplingRule", "x", {"ruleName": "x" * 33, "priority": 1, "fixedRate": 0.1,
                                                              "version": 1, "reservoirSize": 1, "serviceName": "*",
                                                              "serviceType": "*", "host": "*", "httpMethod": "*",
                                                              "urlPath": "*", "resourceArn": "*"})


def test_metric_catalogues_refuse_what_nobody_publishes() -> None:
    assert documented("AWS/RDS", "DatabaseConnections", frozenset({"ProxyName"})) is None
    assert documented("AWS/RDS", "DatabaseConnections", frozenset({"DBInstanceIdentifier"})) is None
    with pytest.raises(MetricError, match="not a metric AWS documents"):
        aws_metric("AWS/Lambda", "InitDuration", {"FunctionName": "f"})
    with pytest.raises(MetricError, match="the app emits no 'OrdersCreated' from service 'dlq-analyzer'"):
        app_metric(Environment.DEV, "OrdersCreated", "dlq-analyzer")
    with pytest.raises(MetricError, match="carries dimensions"):
        app_metric(Environment.DEV, "DlqMessages", "dlq-analyzer")
    assert app_metric(Environment.DEV, "DlqMessages", "dlq-analyzer", **{"class": "timeout"}).dimensions == {
        "service": "dlq-analyzer", "class": "timeout"}
    assert period_problem(60, 1440) is None and period_problem(60, 1441)
    assert period_problem(3600, 168) is None and period_problem(3600, 169)


def test_app_and_log_metrics_live_in_the_envs_own_namespace() -> None:
    namespaces = {env: app_metric(env, "OrdersCreated", "api").namespace for env in Environment}
    assert namespaces == {Environment.DEV: "ServerlessInfra/dev", Environment.STAGING: "ServerlessInfra/staging",
                          Environment.PROD: "ServerlessInfra/prod"}
    assert {log_metrics_namespace(env) for env in Environment} == {f"{ns}/Logs" for ns in namespaces.values()}
    for bad in ("", "Prod", "AWS/x", "dev:1"):
        with pytest.raises(ValueError, match="metrics namespace"):
            metrics_namespace(bad)


def test_ticket_subscribers_default_to_the_paging_emails_and_must_exist() -> None:
    values = layer_config("observability", "dev")
    pager = "https://pager.example.com/hook"
    paged = validate_settings(ObservabilitySettings, {**values, "notifications": {"emails": ["a@b.co"],
                                                                                   "httpsEndpoint": pager}}, "f")
    assert paged.notifications.ticket_subscribers.emails == ["a@b.co"]
    assert paged.notifications.ticket_subscribers.https_endpoint is None  # tickets never ring the pager
    with pytest.raises(ConfigError, match="notifications.tickets: no email and no httpsEndpoint"):
        validate_settings(ObservabilitySettings, {**values, "notifications": {"httpsEndpoint": pager}}, "f")
    own = {"emails": ["a@b.co"], "tickets": {"emails": ["t@b.co"]}}
    assert validate_settings(ObservabilitySettings, {**values, "notifications": own},
                             "f").notifications.ticket_subscribers.emails == ["t@b.co"]


def test_settings_refuse_bad_values_with_the_key() -> None:
    values = layer_config("observability", "prod")
    validate_settings(ObservabilitySettings, values, "Pulumi.prod.yaml")
    nobody = {**values, "notifications": {"emails": []}}
    with pytest.raises(ConfigError, match="page nobody"):
        validate_settings(ObservabilitySettings, nobody, "Pulumi.prod.yaml")
    missing = {**values, "alarms": {k: v for k, v in values["alarms"].items() if k != "dlqDepth"}}
    with pytest.raises(ConfigError, match="alarms.dlqDepth"):
        validate_settings(ObservabilitySettings, missing, "Pulumi.prod.yaml")
    http = {**values, "notifications": {"emails": ["a@b.co"], "httpsEndpoint": "http://pager"}}
    with pytest.raises(ConfigError, match="https://"):
        validate_settings(ObservabilitySettings, http, "Pulumi.prod.yaml")
    with pytest.raises(ValueError, match="datapointsToAlarm"):
        AlarmSettings.model_validate({"threshold": 1, "periodSeconds": 60, "evaluationPeriods": 2,
                                      "datapointsToAlarm": 3, "treatMissingData": "missing"})


def test_envs_sharing_an_account_cannot_both_own_a_singleton() -> None:
    create = {"awsConfig": {"recorder": "create"}, "billingAlarm": {"enabled": False}}
    existing = {"awsConfig": {"recorder": "existing"}, "billingAlarm": {"enabled": True}}
    accounts = {Environment.DEV: ["111111111111"], Environment.STAGING: ["111111111111"],
                Environment.PROD: ["222222222222"]}
    check_account_singletons(accounts, {Environment.DEV: create, Environment.STAGING: existing,
                                        Environment.PROD: create})
    with pytest.raises(ConfigError, match="envs dev and staging share account 111111111111 and both create an AWS "
                                          "Config recorder"):
        check_account_singletons(accounts, {Environment.DEV: create, Environment.STAGING: create,
                                            Environment.PROD: create})
    with pytest.raises(ConfigError, match="the billing alarm"):
        check_account_singletons(accounts, {Environment.DEV: existing, Environment.STAGING: existing,
                                            Environment.PROD: create})


def test_xray_cost_arithmetic() -> None:
    from shared.components.observability.settings import XRaySettings

    prod = XRaySettings.model_validate({"fixedRate": 0.01, "reservoirPerSecond": 1})
    # 10 rps around the clock: 1 + 1% of 9 = 1.09 traces/s = 2,825,280 a month; less 100k free at $5/M
    assert monthly_traces(10, prod) == pytest.approx(1.09 * 2_592_000)
    assert monthly_cost_usd(10, prod) == pytest.approx((1.09 * 2_592_000 - 100_000) / 1e6 * 5, abs=0.01)
    assert monthly_cost_usd(0, prod) == 0


def test_stub_exports_fill_only_what_a_layer_does_not_publish() -> None:
    assert with_stubs("api", {"stage_name": "real"}, {"stage_name": "stub", "rest_api_name": "n"}) == {
        "stage_name": "real", "rest_api_name": "n"}
    with pytest.raises(SynthError, match="not publish: \\['made_up'\\]"):
        with_stubs("api", {}, {"made_up": 1})
