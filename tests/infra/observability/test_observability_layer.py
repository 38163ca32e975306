"""The observability layer, per env: alarms and their actions, dashboards that resolve, Config, budget, logs, X-Ray."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from shared.components.observability.compliance import MANAGED_RULES
from shared.components.observability.metrics import APP_METRICS, log_metrics_namespace
from shared.components.observability.upstream import WATCHED_FUNCTIONS
from shared.config import Environment, load_shared_settings
from shared.synth.graph import LayerGraph
from shared.synth.render import layer_config
from shared.tags import REQUIRED_TAG_KEYS

pytestmark = pytest.mark.synth

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
BUDGET = "aws:budgets/budget:Budget"


def settings(env: str) -> dict[str, Any]:
    return layer_config("observability", env)


def alarms(graph: LayerGraph) -> dict[str, Any]:
    return {a.inputs["name"].removeprefix(f"serverless-infra-{graph.env}-alarm-"): a for a in graph.of_type(ALARM)}


def _alarm_name(alarm: Any) -> str:
    return alarm.inputs.get("name") or alarm.inputs["alarmName"]


def test_every_alarm_notifies_a_subscribed_topic_on_alarm_and_ok(synth, env):
    """Every alarm of the graph (metric, composite, billing; no exemption): ALARM and OK to the same topic of
    this stack, a KMS-encrypted one somebody is subscribed to."""
    graph = synth(env)["observability"]
    key = graph.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    topics = {t.outputs["arn"]: t for t in graph.of_type(TOPIC)}
    assert all(t.inputs["kmsMasterKeyId"] == key.outputs["arn"] for t in topics.values())
    subscribed = {sub.inputs["topic"] for sub in graph.of_type(SUBSCRIPTION)}
    every = [*graph.of_type(ALARM), *graph.of_type(COMPOSITE)]
    assert len(every) >= 29
    for alarm in every:
        actions = alarm.inputs.get("alarmActions")
        assert actions and alarm.inputs.get("okActions") == actions, _alarm_name(alarm)
        assert set(actions) <= set(topics) & subscribed, _alarm_name(alarm)


REPLICA_TICKETS = ("rds-replica-connections", "replica-full")  # where there is a replica (docs/observability.md)


def test_what_pages_whom(synth, env):
    """The composite and every alarm but its burn-rate windows and the replica's two page; those go to the
    ticket topic, whose subscribers are `notifications.tickets` (default: the paging emails, not the pager)."""
    graph = synth(env)["observability"]
    page, ticket = graph.exports["alarm_topic_arn"], graph.exports["ticket_topic_arn"]
    assert page != ticket
    composite = graph.one(COMPOSITE)
    assert composite.inputs["alarmActions"] == [page] and composite.inputs["okActions"] == [page]
    windows = set(re.findall(r'ALARM\("([^"]+)"\)', composite.inputs["alarmRule"]))
    assert windows == {f"serverless-infra-{env}-alarm-availability-{speed}-burn-{size}"
                       for speed in ("fast", "slow") for size in ("long", "short")}
    tickets = windows | {f"serverless-infra-{env}-alarm-{key}" for key in REPLICA_TICKETS}
    for alarm in graph.of_type(ALARM):
        want = ticket if alarm.inputs["name"] in tickets else page
        assert alarm.inputs["alarmActions"] == [want] == alarm.inputs["okActions"], alarm.inputs["name"]
    configured = settings(env)["notifications"]
    by_topic: dict[str, set[tuple[str, str]]] = {page: set(), ticket: set()}
    for sub in graph.of_type(SUBSCRIPTION):
        by_topic[sub.inputs["topic"]].add((sub.inputs["protocol"], sub.inputs["endpoint"]))
    pager = {("https", configured["httpsEndpoint"])} if configured.get("httpsEndpoint") else set()
    assert by_topic[page] == {("email", e) for e in configured["emails"]} | pager
    tickets = configured.get("tickets") or {"emails": configured["emails"]}
    ticket_https = {("https", tickets["httpsEndpoint"])} if tickets.get("httpsEndpoint") else set()
    assert by_topic[ticket] == {("email", e) for e in tickets["emails"]} | ticket_https


def test_ticket_topic_needs_a_subscriber(render_variant):
    from shared.synth.runner import SynthError

    pager_only = {"httpsEndpoint": "https://pager.example.com/hook"}
    with pytest.raises(SynthError, match="notifications.tickets: no email and no httpsEndpoint"):
        render_variant("observability", "dev", {"serverless-infra-observability:notifications": pager_only})
    graph = render_variant("observability", "dev", {"serverless-infra-observability:notifications": {
        **pager_only, "tickets": {"httpsEndpoint": "https://tickets.example.com/hook"}}})
    ticket = graph.exports["ticket_topic_arn"]
    assert [(s.inputs["protocol"], s.inputs["endpoint"]) for s in graph.of_type(SUBSCRIPTION)
            if s.inputs["topic"] == ticket] == [("https", "https://tickets.example.com/hook")]


def test_alarms_carry_the_stack_file_values(synth, env):
    graph, compute = synth(env)["observability"], synth(env)["compute"]
    configured = settings(env)["alarms"]
    found = alarms(graph)
    latency = found["api-latency-p99"]
    assert latency.inputs["extendedStatistic"] == "p99" and "statistic" not in latency.inputs
    for key, setting in (("api-latency-p99", "apiLatencyP99"), ("queue-depth", "queueDepth"),
                         ("rds-cpu", "rdsCpu"), ("dlq-depth", "dlqDepth"), ("api-5xx-rate", "api5xxRate")):
        want = configured[setting]
        got = found[key].inputs
        assert (got["threshold"], got["evaluationPeriods"], got["treatMissingData"]) == (
            want["threshold"], want["evaluationPeriods"], want["treatMissingData"]), key
        periods = [q["metric"]["period"] for q in got.get("metricQueries") or [] if q.get("metric")]
        assert set(periods or [got["period"]]) == {want["periodSeconds"]}, key
    timeouts = {f.inputs["name"]: f.inputs["timeout"] for f in compute.of_type("aws:lambda/function:Function")}
    fraction = configured["lambdaDurationP99"]["threshold"]
    for fn in WATCHED_FUNCTIONS:
        duration = found[f"{fn}-duration-p99"].inputs
        assert duration["extendedStatistic"] == "p99"
        assert duration["threshold"] == pytest.approx(fraction * timeouts[duration["dimensions"]["FunctionName"]] * 1000)
    assert ("api-provisioned-spillover" in found) == (configured["provisionedSpillover"] is not None)
    assert ("rds-replica-lag" in found) == bool(synth(env)["data"].exports["db_replica_identifiers"])


def test_error_rate_is_metric_math_that_is_quiet_at_zero_traffic(synth, env):
    rate = alarms(synth(env)["observability"])["api-5xx-rate"].inputs
    minimum = settings(env)["alarms"]["api5xxRate"]["minRequests"]
    queries = {q["id"]: q for q in rate["metricQueries"]}
    assert queries["errors"]["metric"]["metricName"] == "5XXError"
    assert queries["requests"]["metric"]["metricName"] == "Count"
    assert queries["rate"]["expression"] == f"IF(requests >= {minimum}, 100 * errors / requests, 0)"
    assert queries["rate"]["returnData"] is True
    assert rate["treatMissingData"] == "notBreaching"  # no traffic publishes no Count: no data, no page


def test_availability_composite_burns_the_slo_budget(synth, env):
    found = alarms(synth(env)["observability"])
    fast_long = found["availability-fast-burn-long"].inputs
    assert fast_long["threshold"] == pytest.approx(14.4 * 0.1)  # 14.4x a 0.1% error budget
    assert fast_long["metricQueries"][0]["metric"]["period"] == 3600
    assert found["availability-slow-burn-short"].inputs["threshold"] == pytest.approx(6 * 0.1)


def _resolvable(layers: dict[str, LayerGraph], graph: LayerGraph) -> tuple[set[str], set[str]]:
    """Names a widget or alarm may point at: upstream resources (as exported) and this stack's filter metrics."""
    compute, data = layers["compute"].exports, layers["data"].exports
    api = layers["api"].exports
    names = {compute["api_function_name"], compute["worker_function_name"], compute["dlq_analyzer_function_name"],
             compute["queue_name"], compute["dlq_name"], compute["dlq_archive_name"],
             data["db_instance_identifier"], *data["db_replica_identifiers"],
             data["db_proxy_name"], f"{compute['api_function_name']}:{compute['api_alias_name']}", "USD", "ALL",
             "us-east-1"}
    names |= {api["rest_api_name"], api["stage_name"]}
    if api["web_acl_name"]:
        names.add(api["web_acl_name"])
    filters = {f.inputs["metricTransformation"]["name"] for f in graph.of_type(FILTER)}
    return names, filters


def _check_metric(namespace: str, name: str, dims: dict[str, str], env: str, names: set[str], filters: set[str],
                  services: set[str], app_namespace: str) -> None:
    """AWS metrics of upstream resources, the app's metrics in the namespace compute gives this env's functions,
    or this stack's filter metrics: anything else (another env's namespace, the bare root) fails."""
    if namespace.startswith("AWS/"):
        assert set(dims.values()) <= names, (namespace, name, dims)
    elif namespace == app_namespace:
        assert (name, dims.get("service")) in APP_METRICS and dims["service"] in services, (name, dims)
    else:
        assert namespace == log_metrics_namespace(Environment(env)) and name in filters, (namespace, name)


def test_every_widget_and_alarm_resolves(synth, env):
    layers = synth(env)
    graph = layers["observability"]
    names, filters = _resolvable(layers, graph)
    variables = [f.inputs["environment"]["variables"] for f in layers["compute"].of_type("aws:lambda/function:Function")]
    services = {v["POWERTOOLS_SERVICE_NAME"] for v in variables}
    (app_namespace,) = {v["POWERTOOLS_METRICS_NAMESPACE"] for v in variables}
    assert app_namespace == f"ServerlessInfra/{env}"
    log_groups = set(layers["compute"].exports["log_group_names"].values())
    alarm_names = [a.inputs["name"] for a in graph.of_type(ALARM)] + [graph.one(COMPOSITE).inputs["alarmName"]]
    alarm_arns = {f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{n}" for n in alarm_names}
    dashboards = graph.of_type(DASHBOARD)
    assert {d.inputs["dashboardName"] for d in dashboards} == set(graph.exports["dashboard_names"].values())
    assert set(graph.exports["dashboard_names"]) == {"business", "api", "lambda", "sqs", "rds", "cost"}
    for dashboard in dashboards:
        for widget in json.loads(dashboard.inputs["dashboardBody"])["widgets"]:
            props = widget["properties"]
            if widget["type"] == "metric":
                for line in props["metrics"]:
                    parts = [p for p in line if isinstance(p, str)]
                    if parts:
                        _check_metric(parts[0], parts[1], dict(zip(parts[2::2], parts[3::2], strict=True)), env,
                                      names, filters, services, app_namespace)
            elif widget["type"] == "log":
                sources = [s.split("'")[1] for s in props["query"].split("|") if s.strip().startswith("SOURCE")]
                assert sources and set(sources) <= log_groups, sources
            elif widget["type"] == "alarm":
                assert set(props["alarms"]) <= alarm_arns and props["alarms"]
    for alarm in graph.of_type(ALARM):
        i = alarm.inputs
        lines = [(i["namespace"], i["metricName"], i.get("dimensions") or {})] if i.get("metricName") else [
            (q["metric"]["namespace"], q["metric"]["metricName"], q["metric"].get("dimensions") or {})
            for q in i["metricQueries"] if q.get("metric")]
        for namespace, name, dims in lines:
            _check_metric(namespace, name, dims, env, names, filters, services, app_namespace)


def test_exports_name_what_the_graph_holds(synth, env):
    graph = synth(env)["observability"]
    e = graph.exports
    alarm_names = {a.inputs["name"] for a in graph.of_type(ALARM)} | {graph.one(COMPOSITE).inputs["alarmName"]}
    assert set(e["alarm_names"].values()) | ({e["billing_alarm_name"]} - {""}) == alarm_names
    assert e["availability_alarm_name"] == graph.one(COMPOSITE).inputs["alarmName"]
    assert set(e["log_metric_filter_names"].values()) == {f.inputs["name"] for f in graph.of_type(FILTER)}
    queries = {q.inputs["name"] for q in graph.of_type("aws:cloudwatch/queryDefinition:QueryDefinition")}
    assert set(e["query_definition_names"]) == queries
    assert set(e["config_rule_names"].values()) == {r.inputs["name"] for r in graph.of_type("aws:cfg/rule:Rule")}
    assert e["xray_group_name"] == graph.one("aws:xray/group:Group").inputs["groupName"]
    assert e["xray_sampling_rule_name"] == graph.one("aws:xray/samplingRule:SamplingRule").inputs["ruleName"]
    assert e["config_recorder_name"] == graph.one("aws:cfg/recorder:Recorder").inputs["name"]
    for key, url in e["dashboard_urls"].items():
        assert url.endswith(f"#dashboards/dashboard/{e['dashboard_names'][key]}")


def test_config_recorder_bucket_and_rules(synth, env):
    graph = synth(env)["observability"]
    excluded = set(settings(env)["awsConfig"]["excludeRules"])
    rules = {r.inputs["source"]["sourceIdentifier"]: r for r in graph.of_type("aws:cfg/rule:Rule")}
    assert set(rules) == {m.identifier for m in MANAGED_RULES} - excluded
    assert set(graph.exports["config_rule_names"]) == set(rules)
    for required in ("LAMBDA_INSIDE_VPC", "RDS_STORAGE_ENCRYPTED", "S3_BUCKET_SSL_REQUESTS_ONLY",
                     "CLOUDWATCH_LOG_GROUP_ENCRYPTED", "VPC_DEFAULT_SECURITY_GROUP_CLOSED", "REQUIRED_TAGS",
                     "CMK_BACKING_KEY_ROTATION_ENABLED", "API_GW_EXECUTION_LOGGING_ENABLED"):
        assert required in rules
    tags = json.loads(rules["REQUIRED_TAGS"].inputs["inputParameters"])
    assert sorted(tags.values()) == sorted(REQUIRED_TAG_KEYS) and len(tags) == 6
    assert rules["LAMBDA_INSIDE_VPC"].inputs["scope"] == {"tagKey": "Environment", "tagValue": env}
    recorder = graph.one("aws:cfg/recorder:Recorder")
    assert "AWS::Lambda::Function" in recorder.inputs["recordingGroup"]["resourceTypes"]
    channel = graph.one("aws:cfg/deliveryChannel:DeliveryChannel")
    assert channel.inputs["s3BucketName"] == graph.exports["config_bucket_name"]
    assert channel.inputs["s3KmsKeyArn"] == graph.one("aws:kms/key:Key").outputs["arn"]
    assert graph.one("aws:cfg/recorderStatus:RecorderStatus").inputs["isEnabled"] is True
    bucket = graph.exports["config_bucket_name"]
    on_bucket = {r.type for r in graph.aws_resources() if r.inputs.get("bucket") == bucket}
    assert {"aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "aws:s3/bucketPolicy:BucketPolicy"} <= on_bucket
    (bucket_policy,) = [r for r in graph.of_type("aws:s3/bucketPolicy:BucketPolicy") if r.inputs["bucket"] == bucket]
    policy = json.loads(bucket_policy.inputs["policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # Its requests are logged to the env's config access-log bucket (policy pack: s3-access-logging).
    (logging,) = [r for r in graph.of_type("aws:s3/bucketLogging:BucketLogging") if r.inputs["bucket"] == bucket]
    assert logging.inputs["targetBucket"].startswith(f"serverless-infra-{env}-access-logs-config-")


def test_budget_at_the_configured_amount_with_actual_and_forecast(synth, env):
    graph = synth(env)["observability"]
    budget = graph.one("aws:budgets/budget:Budget")
    amount = load_shared_settings(Environment(env)).monthly_budget_usd
    assert float(budget.inputs["limitAmount"]) == amount
    assert budget.inputs["name"] == graph.exports["budget_name"]
    kinds = {n["notificationType"] for n in budget.inputs["notifications"]}
    assert kinds == {"ACTUAL", "FORECASTED"}
    assert budget.inputs["costFilters"] == [{"name": "TagKeyValue", "values": [f"user:Environment${env}"]}]
    billing = alarms(graph)["account-estimated-charges"].inputs
    assert (billing["namespace"], billing["metricName"], billing["dimensions"]) == (
        "AWS/Billing", "EstimatedCharges", {"Currency": "USD"})
    assert billing["threshold"] == amount and billing["period"] == 21600


def budget_routes(graph: LayerGraph) -> dict[tuple[str, float], str]:
    """(notificationType, threshold) -> "page" or "ticket", from the one SNS subscriber of each notification."""
    topics = {graph.exports["alarm_topic_arn"]: "page", graph.exports["ticket_topic_arn"]: "ticket"}
    routes = {}
    for n in graph.one(BUDGET).inputs["notifications"]:
        (arn,) = n["subscriberSnsTopicArns"]
        assert not n.get("subscriberEmailAddresses")  # people are reached through the topics' subscriptions
        routes[(n["notificationType"], n["threshold"])] = topics[arn]
    return routes


def test_budget_forecasts_file_tickets_and_actual_spend_past_the_budget_pages(synth, env):
    """The stack files' thresholds (80% and 100% actual, 100% forecast; pages from 100% actual): only the
    actual 100% pages; the 80% warning and the forecast go to the ticket topic (docs/decisions.md)."""
    assert settings(env)["budget"]["pageAtActualPercent"] == 100
    assert budget_routes(synth(env)["observability"]) == {
        ("ACTUAL", 80): "ticket", ("ACTUAL", 100): "page", ("FORECASTED", 100): "ticket"}


def test_budget_paging_threshold_comes_from_the_stack_file(render_variant):
    budget = {"actualPercents": [50, 80, 120], "forecastPercent": 90, "pageAtActualPercent": 80}
    graph = render_variant("observability", "dev", {"serverless-infra-observability:budget": budget})
    assert budget_routes(graph) == {("ACTUAL", 50): "ticket", ("ACTUAL", 80): "page", ("ACTUAL", 120): "page",
                                    ("FORECASTED", 90): "ticket"}


def _grants(policy: dict[str, Any], service: str, action: str, resource: str) -> list[dict[str, Any]]:
    """The Allow statements of ``policy`` that name ``service`` as principal for ``action`` on ``resource``."""
    found = []
    for st in policy["Statement"]:
        principal = st.get("Principal")
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        actions = [a.lower() for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])]
        resources = [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]
        if (st["Effect"] == "Allow" and service in ([services] if isinstance(services, str) else services)
                and action.lower() in actions and resource in resources):
            found.append(st)
    return found


@pytest.mark.parametrize("topic", ["alarm_topic_arn", "ticket_topic_arn"])
def test_budgets_may_publish_to_each_topic_and_use_its_key(synth, env, topic):
    """AWS Budgets delivers to an encrypted topic only if the topic policy lets budgets.amazonaws.com publish
    (for this account's budgets alone) and the topic's key lets the service encrypt: checked on both topics,
    alarms too (https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html)."""
    graph = synth(env)["observability"]
    arn = graph.exports[topic]
    account = arn.split(":")[4]
    (resource,) = [t for t in graph.of_type(TOPIC) if t.outputs["arn"] == arn]
    (policy,) = [json.loads(p.inputs["policy"]) for p in graph.of_type("aws:sns/topicPolicy:TopicPolicy")
                 if p.inputs["arn"] == arn]
    (budgets,) = _grants(policy, "budgets.amazonaws.com", "sns:Publish", arn)
    assert budgets["Condition"] == {"StringEquals": {"aws:SourceAccount": account},
                                    "ArnLike": {"aws:SourceArn": f"arn:aws:budgets::{account}:*"}}
    (alarms,) = _grants(policy, "cloudwatch.amazonaws.com", "sns:Publish", arn)
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": account}}
    denies = [st for st in policy["Statement"] if st["Effect"] == "Deny"]
    assert all(st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for st in denies)  # AWS sends over TLS

    (key,) = [k for k in graph.of_type("aws:kms/key:Key") if k.outputs["arn"] == resource.inputs["kmsMasterKeyId"]]
    key_policy = json.loads(key.inputs["policy"])
    for service in ("budgets.amazonaws.com", "cloudwatch.amazonaws.com"):
        for action in ("kms:GenerateDataKey*", "kms:Decrypt"):
            assert _grants(key_policy, service, action, "*"), (service, action)


def test_log_filters_queries_and_tracing(synth, env):
    layers = synth(env)
    graph, compute = layers["observability"], layers["compute"]
    groups = compute.exports["log_group_names"]
    filters = {f.inputs["metricTransformation"]["name"]: f for f in graph.of_type(FILTER)}
    for fn in WATCHED_FUNCTIONS:
        for metric in (f"ErrorLogs-{fn}", f"Timeouts-{fn}", f"ColdStarts-{fn}", f"InitDuration-{fn}"):
            assert filters[metric].inputs["logGroupName"] == groups[fn], metric
    assert filters["InitDuration-api"].inputs["metricTransformation"]["value"] == "$.record.metrics.initDurationMs"
    # Beside the env's app metrics, apart from every other env's (envs may share an account).
    namespaces = {f.inputs["metricTransformation"]["namespace"] for f in filters.values()}
    assert namespaces == {f"ServerlessInfra/{env}/Logs"}
    queries = {q.inputs["name"].rsplit("/", 1)[1]: q for q in graph.of_type("aws:cloudwatch/queryDefinition:QueryDefinition")}
    assert {"follow-correlation-id", "top-errors", "slowest-requests", "cold-starts"} <= set(queries)
    assert set(queries["follow-correlation-id"].inputs["logGroupNames"]) == {groups[fn] for fn in WATCHED_FUNCTIONS}
    rule = graph.one("aws:xray/samplingRule:SamplingRule")
    assert rule.inputs["fixedRate"] == settings(env)["xray"]["fixedRate"]
    assert rule.inputs["serviceType"] == "AWS::ApiGateway::Stage"
    group = graph.one("aws:xray/group:Group")
    assert all(f'service("{compute.exports[k]}")' in group.inputs["filterExpression"]
               for k in ("api_function_name", "worker_function_name", "dlq_analyzer_function_name"))


def test_platform_report_lines_reach_the_log_groups(synth, env):
    """Timeouts, cold starts and init duration are read from platform.report, an INFO system log line."""
    for fn in synth(env)["compute"].of_type("aws:lambda/function:Function"):
        assert fn.inputs["loggingConfig"]["logFormat"] == "JSON"
        assert fn.inputs["loggingConfig"]["systemLogLevel"] in ("DEBUG", "INFO"), fn.inputs["name"]


def test_access_log_format_has_the_status_field_the_429_filter_reads(synth, env):
    from shared.components.observability.logs import ACCESS_LOG_STATUS_FIELD

    layers = synth(env)
    stage = layers["api"].one("aws:apigateway/stage:Stage")
    fmt = json.loads(stage.inputs["accessLogSettings"]["format"])
    assert fmt[ACCESS_LOG_STATUS_FIELD] == "$context.status"
    throttled = [f for f in layers["observability"].of_type(FILTER) if f.inputs["metricTransformation"]["name"]
                 == "ThrottledRequests"]
    assert [f.inputs["logGroupName"] for f in throttled] == [layers["api"].exports["access_log_group_name"]]


def test_existing_recorder_mode_adds_rules_only(render_variant):
    graph = render_variant("observability", "staging",
                           {"serverless-infra-observability:awsConfig": {"recorder": "existing"}})
    assert not graph.of_type("aws:cfg/recorder:Recorder") and not graph.of_type("aws:s3/bucket:Bucket")
    assert graph.of_type("aws:cfg/rule:Rule")
    assert graph.exports["config_recorder_name"] == "" and graph.exports["config_bucket_name"] == ""


def test_replica_lag_setting_must_match_the_data_layer(render_variant):
    from shared.synth.runner import SynthError

    lag = {"threshold": 30, "periodSeconds": 60, "evaluationPeriods": 5, "treatMissingData": "missing"}
    alarms_dev = {**settings("dev")["alarms"], "rdsReplicaLag": lag}
    with pytest.raises(SynthError, match="rdsReplicaLag is set, but the data layer publishes no read replica"):
        render_variant("observability", "dev", {"serverless-infra-observability:alarms": alarms_dev})
    alarms_prod = {**settings("prod")["alarms"], "rdsReplicaLag": None}
    with pytest.raises(SynthError, match="has read replicas .* but alarms.rdsReplicaLag is null"):
        render_variant("observability", "prod", {"serverless-infra-observability:alarms": alarms_prod})


def test_replica_alarms_where_reads_go_to_a_replica(synth, env):
    """The replica's connections (busiest replica, above the reader role's cap, below its max_connections) and
    the api's ReplicaFullFallbacks, both tickets, in the envs whose data layer has a replica that reads go to."""
    layers = synth(env)
    graph, data = layers["observability"], layers["data"].exports
    found, configured = alarms(graph), settings(env)["alarms"]
    limits, replicas = data["db_connection_limits"], data["db_replica_identifiers"]
    assert ("rds-replica-connections" in found) == bool(replicas)
    assert ("replica-full" in found) == (limits["reader_routing"] == "replica")
    if env == "prod":  # the env with a replica has both (not vacuous)
        assert replicas and limits["reader_routing"] == "replica"
    ticket = graph.exports["ticket_topic_arn"]
    if replicas:
        busiest = found["rds-replica-connections"].inputs
        queries = busiest["metricQueries"]
        watched = [q["metric"]["dimensions"]["DBInstanceIdentifier"] for q in queries if q.get("metric")]
        assert watched == replicas and data["db_instance_identifier"] not in watched
        assert {q["metric"]["metricName"] for q in queries if q.get("metric")} == {"DatabaseConnections"}
        assert [q["expression"] for q in queries if q.get("returnData")] == [
            f"MAX([{', '.join(f'conn{i}' for i in range(len(replicas)))}])"]
        assert busiest["threshold"] == configured["rdsReplicaConnections"]["threshold"]
        assert limits["replica_reader_cap"] < busiest["threshold"] < limits["replica_max_connections"]
        assert busiest["alarmActions"] == [ticket] == busiest["okActions"]
        primary = found["rds-connections"].inputs
        assert primary["dimensions"] == {"DBInstanceIdentifier": data["db_instance_identifier"]}
    if limits["reader_routing"] == "replica":
        full = found["replica-full"].inputs
        assert (full["namespace"], full["metricName"], full["dimensions"], full["statistic"]) == (
            f"ServerlessInfra/{env}", "ReplicaFullFallbacks", {"service": "api"}, "Sum")
        want = configured["replicaFullFallbacks"]
        assert (full["threshold"], full["period"], full["evaluationPeriods"], full["treatMissingData"]) == (
            want["threshold"], want["periodSeconds"], want["evaluationPeriods"], want["treatMissingData"])
        assert full["alarmActions"] == [ticket] == full["okActions"]
        rds = json.loads(next(d for d in graph.of_type(DASHBOARD) if d.inputs["dashboardName"].endswith("-rds"))
                         .inputs["dashboardBody"])  # and operators see the count on the rds dashboard
        assert any(line[1] == "ReplicaFullFallbacks" for widget in rds["widgets"]
                   for line in widget.get("properties", {}).get("metrics", []))


def test_replica_alarm_settings_must_match_the_data_layer(render_variant):
    from shared.synth.runner import SynthError

    connections = {"threshold": 360, "periodSeconds": 300, "evaluationPeriods": 3, "treatMissingData": "missing"}
    fallbacks = {"threshold": 0, "periodSeconds": 300, "evaluationPeriods": 3, "treatMissingData": "notBreaching"}
    key = "serverless-infra-observability:alarms"
    dev = {**settings("dev")["alarms"], "rdsReplicaConnections": connections, "replicaFullFallbacks": fallbacks}
    with pytest.raises(SynthError) as caught:
        render_variant("observability", "dev", {key: dev})
    assert "alarms.rdsReplicaConnections is set, but the data layer publishes no read replica" in str(caught.value)
    assert "alarms.replicaFullFallbacks is set, but the data layer routes reads to 'proxy'" in str(caught.value)
    prod = settings("prod")["alarms"]
    with pytest.raises(SynthError, match="routes reads to the replica .* but alarms.replicaFullFallbacks is null"):
        render_variant("observability", "prod", {key: {**prod, "replicaFullFallbacks": None}})
    with pytest.raises(SynthError, match="has read replicas .* but alarms.rdsReplicaConnections is null"):
        render_variant("observability", "prod", {key: {**prod, "rdsReplicaConnections": None}})
    with pytest.raises(SynthError, match="threshold 350 is not above the reader role's cap of 350"):
        render_variant("observability", "prod", {key: {**prod, "rdsReplicaConnections": {**connections, "threshold": 350}}})
    with pytest.raises(SynthError, match=r"threshold 450 is not below the replica's max_connections \(450\)"):
        render_variant("observability", "prod", {key: {**prod, "rdsReplicaConnections": {**connections, "threshold": 450}}})


def test_a_period_cloudwatch_refuses_names_the_key_and_file(render_variant):
    from shared.synth.runner import SynthError

    bad = {**settings("dev")["alarms"]}
    bad["queueDepth"] = {**bad["queueDepth"], "periodSeconds": 90}
    with pytest.raises(SynthError) as caught:
        render_variant("observability", "dev", {"serverless-infra-observability:alarms": bad})
    message = str(caught.value)
    assert "projects/observability/Pulumi.dev.yaml" in message and "alarms.queueDepth" in message
    assert "period 90 s: CloudWatch accepts 10, 20, 30 or a multiple of 60" in message
