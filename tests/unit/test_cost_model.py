"""The cost model on small hand-made graphs whose bills are worked out by hand in each test.

Prices are round test prices (not the dated table), so each expected figure is arithmetic a
reader can redo; the real table is checked for shape separately.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.config import ConfigError
from shared.cost.estimate import envelope, estimate
from shared.cost.prices import PRICES_FILE, PriceTable, load_prices
from shared.cost.profile import UsageProfile, load_profile
from shared.cost.report import over_budget_message, render_json, render_markdown, render_text
from shared.synth.graph import GraphResource, LayerGraph

pytestmark = pytest.mark.unit

ENV = "prod"
H = 730  # hours per month
DAYS = 730 / 24


def prices(**overrides: float) -> PriceTable:
    """The real table's shape with every price set to a round test value, then ``overrides``."""
    raw = yaml.safe_load(PRICES_FILE.read_text())
    flat = {"vpcInterfaceEndpointAzHour": 0.01, "natGatewayHour": 0.045, "natGatewayDataGb": 0.045,
            "publicIpv4Hour": 0.005, "dataTransferOutGb": 0.09, "kmsKeyMonth": 1.0, "secretsManagerSecretMonth": 0.40,
            "rdsGp3GbMonth": 0.115, "rdsBackupGbMonth": 0.095, "rdsProxyVcpuHour": 0.015,
            "rdsPerformanceInsightsVcpuMonth": 1.5, "lambdaRequestsMillion": 0.20, "sqsRequestsMillion": 0.40,
            "s3StandardGbMonth": 0.023, "wafWebAclMonth": 5.0, "wafRuleMonth": 1.0, "wafRequestsMillion": 0.60,
            "logsIngestGb": 0.50, "logsStorageGbMonth": 0.03, "cloudwatchDashboardMonth": 3.0,
            "cloudwatchAlarmMetricMonth": 0.10, "cloudwatchHighResAlarmMetricMonth": 0.30,
            "cloudwatchCompositeAlarmMonth": 0.50, "cloudwatchCustomMetricMonth": 0.30, "xrayTracesMillion": 5.0,
            "configItem": 0.003, "configRuleEvaluation": 0.001, "budgetDay": 0.02, **overrides}
    for key, usd in flat.items():
        raw["prices"][key]["usd"] = usd
    raw["prices"]["rdsPostgresHour"]["db.t4g.medium"]["usd"] = 0.065
    raw["prices"]["lambdaGbSecond"]["arm64"]["usd"] = 0.0000133334
    raw["prices"]["lambdaProvisionedGbSecond"]["arm64"]["usd"] = 0.0000033334
    raw["prices"]["apiGatewayRestMillion"] = [
        {"upToMillions": 333, "usd": 3.5, "source": "https://aws.amazon.com/api-gateway/pricing/"},
        {"upToMillions": None, "usd": 2.8, "source": "https://aws.amazon.com/api-gateway/pricing/"}]
    raw["prices"]["apiGatewayCacheHour"]["0.5"]["usd"] = 0.02
    return PriceTable.model_validate(raw)


def profile(**changes: Any) -> UsageProfile:
    base: dict[str, Any] = {
        "description": "test",
        "api": {"peakRequestsPerMinute": 10000, "peakHoursPerDay": 2, "offPeakRequestsPerMinute": 200,
                "responseBytes": 0, "cacheHitRate": 0.0},
        "functions": {"api": {"avgDurationMs": 40}},
        "batch": {"asyncRecordsPerDay": 0, "recordsPerInvocation": 100, "recordBytes": 1024},
        "logs": {"appBytesPerRequest": 0, "appBytesPerRecord": 0, "platformBytesPerInvocation": 0,
                 "accessBytesPerRequest": 0, "vpcFlowLogGibPerMonth": 0, "databaseLogGibPerMonth": 0,
                 "enhancedMonitoringBytesPerSample": 0},
        "tracing": {"sampledShare": 0},
        "data": {"usedGib": 10, "growthGibPerMonth": 0, "horizonMonths": 0, "dailyChangeShare": 0.02},
        "observability": {"customMetrics": 0, "configItemsPerMonth": 3000, "configEvaluationsPerRulePerMonth": 3000},
        "bucketGib": 0,
    }
    for dotted, value in changes.items():
        target = base
        *path, last = dotted.split("__")
        for part in path:
            target = target[part]
        target[last] = value
    return UsageProfile.model_validate(base)


def res(token: str, logical: str, outputs: dict[str, Any] | None = None, **inputs: Any) -> GraphResource:
    return GraphResource(urn=f"urn:{logical}", type=token, name=logical, physical_name=inputs.get("name"), id=logical,
                         custom=True, parent=None, dependencies=[], provider=None, inputs=inputs, secret_inputs=[],
                         outputs=outputs or {}, taggable=False, effective_tags=None)


def graphs(**layers: list[GraphResource]) -> dict[str, LayerGraph]:
    return {layer: LayerGraph(layer, ENV, f"serverless-infra-{layer}", ENV, resources, {}, [])
            for layer, resources in layers.items()}


def bill(g: dict[str, LayerGraph], p: UsageProfile | None = None, pt: PriceTable | None = None, budget: float = 500):
    return estimate(ENV, g, pt or prices(), p or profile(), budget, "config/usage/test.yaml")


def amount(b, resource: str, what: str | None = None) -> float:
    return sum(i.monthly_usd for i in b.items if i.resource == resource and (what is None or what in i.item))


API_FN: dict[str, Any] = {"name": "serverless-infra-prod-api", "memorySize": 512, "architectures": ["arm64"]}
REQUESTS = 60 * (10000 * 2 * DAYS + 200 * 22 * DAYS)  # 44,530,000


def test_traffic_is_peak_hours_plus_the_base_rate():
    assert bill(graphs()).requests == pytest.approx(44_530_000)


def test_network_endpoints_per_az_nat_and_public_ip():
    g = graphs(network=[
        *(res("aws:ec2/vpcEndpoint:VpcEndpoint", f"{s}-endpoint", vpcEndpointType="Interface",
              serviceName=f"com.amazonaws.us-east-1.{s}", subnetIds=["a", "b"]) for s in ("ssm", "sqs", "secretsmanager")),
        res("aws:ec2/vpcEndpoint:VpcEndpoint", "s3-endpoint", vpcEndpointType="Gateway"),
        res("aws:ec2/natGateway:NatGateway", "nat"), res("aws:ec2/eip:Eip", "nat-ip"),
        res("aws:ec2/vpc:Vpc", "vpc"), res("aws:iam/role:Role", "role")])
    b = bill(g, profile(natGibPerMonth=10))
    assert amount(b, "ssm-endpoint") == pytest.approx(2 * 730 * 0.01)  # 14.60
    assert amount(b, "s3-endpoint") == 0
    assert amount(b, "nat") == pytest.approx(730 * 0.045 + 10 * 0.045)  # 32.85 + 0.45
    assert amount(b, "nat-ip") == pytest.approx(3.65)
    assert b.total == pytest.approx(3 * 14.60 + 33.30 + 3.65)
    assert b.unpriced_types == []


def _database(**primary: Any) -> list[GraphResource]:
    return [
        res("aws:rds/instance:Instance", "primary", identifier="db", instanceClass="db.t4g.medium", multiAz=True,
            allocatedStorage=50, maxAllocatedStorage=200, backupRetentionPeriod=35, **primary),
        res("aws:rds/instance:Instance", "replica", identifier="db-replica-1", instanceClass="db.t4g.medium",
            replicateSourceDb="db", backupRetentionPeriod=0),
        res("aws:rds/proxy:Proxy", "proxy", name="db-proxy"),
        res("aws:rds/proxyTarget:ProxyTarget", "target", dbProxyName="db-proxy", dbInstanceIdentifier="db"),
        res("aws:secretsmanager/secret:Secret", "secret"),
    ]


def test_rds_multi_az_replica_proxy_and_secret():
    b = bill(graphs(data=_database()))
    assert amount(b, "primary", "instance hours") == pytest.approx(2 * 730 * 0.065)  # 94.90, Multi-AZ bills twice
    assert amount(b, "primary", "gp3") == pytest.approx(2 * 50 * 0.115)  # 11.50
    assert amount(b, "primary", "backup") == 0  # 10 + 35 x 0.02 x 10 = 17 GiB < 50 GiB free
    assert amount(b, "replica") == pytest.approx(730 * 0.065 + 50 * 0.115)  # 47.45 + 5.75, storage from its source
    assert amount(b, "proxy") == pytest.approx(2 * 730 * 0.015)  # 21.90: 2 vCPU of db.t4g.medium
    assert b.total == pytest.approx(94.90 + 11.50 + 53.20 + 21.90 + 0.40)


def test_storage_grows_with_data_and_backup_beyond_the_free_allowance_is_billed():
    # 40 GiB + 5 GiB/month x 2 months = 50 GiB of data; autoscaling keeps 10% free: 50 / 0.9 = 55.6 -> 56 GiB.
    p = profile(data__usedGib=40, data__growthGibPerMonth=5, data__horizonMonths=2)
    b = bill(graphs(data=_database()), p)
    assert amount(b, "primary", "gp3") == pytest.approx(2 * 56 * 0.115)
    # backups: 50 + 35 days x 2% x 50 = 85 GiB, of which 56 are free: 29 GiB x $0.095
    assert amount(b, "primary", "backup") == pytest.approx(29 * 0.095)


def test_performance_insights_is_free_for_7_days_and_per_vcpu_beyond():
    seven = bill(graphs(data=_database(performanceInsightsEnabled=True, performanceInsightsRetentionPeriod=7)))
    long = bill(graphs(data=_database(performanceInsightsEnabled=True, performanceInsightsRetentionPeriod=93)))
    assert amount(seven, "primary", "Performance Insights") == 0
    assert amount(long, "primary", "Performance Insights") == pytest.approx(2 * 1.5)


def test_api_gateway_waf_and_lambda_priced_per_request():
    g = graphs(
        compute=[res("aws:lambda/function:Function", "api-fn", **API_FN)],
        api=[res("aws:apigateway/restApi:RestApi", "rest", name="orders"),
             res("aws:wafv2/webAcl:WebAcl", "acl", rules=[{}, {}, {}]),
             res("aws:apigateway/deployment:Deployment", "deployment")])
    b = bill(g, profile(api__responseBytes=1024))
    m = REQUESTS / 1e6  # 44.53
    assert amount(b, "rest", "REST API requests") == pytest.approx(m * 3.5)  # 155.86
    assert amount(b, "rest", "data transfer") == pytest.approx(REQUESTS * 1024 / 1024**3 * 0.09)
    assert amount(b, "acl") == pytest.approx(5 + 3 * 1 + m * 0.60)
    assert amount(b, "api-fn", "requests") == pytest.approx(m * 0.20)
    assert amount(b, "api-fn", "duration") == pytest.approx(REQUESTS * 0.04 * 0.5 * 0.0000133334)


def test_rest_requests_beyond_333_million_take_the_next_tier():
    p = profile(api__peakRequestsPerMinute=400e6 / 60 / H, api__peakHoursPerDay=24, api__offPeakRequestsPerMinute=0)
    b = bill(graphs(api=[res("aws:apigateway/restApi:RestApi", "rest", name="orders")]), p)
    assert b.requests == pytest.approx(400e6)
    assert amount(b, "rest", "REST API requests") == pytest.approx(333 * 3.5 + 67 * 2.8)


def test_a_stage_cache_serves_hits_so_lambda_sees_fewer_invocations():
    g = graphs(compute=[res("aws:lambda/function:Function", "api-fn", **API_FN)],
               api=[res("aws:apigateway/stage:Stage", "stage", cacheClusterEnabled=True, cacheClusterSize="0.5")])
    b = bill(g, profile(api__cacheHitRate=0.5))
    assert amount(b, "stage", "cache") == pytest.approx(730 * 0.02)
    assert amount(b, "api-fn", "requests") == pytest.approx(REQUESTS / 2 / 1e6 * 0.20)
    no_cache = bill(graphs(compute=[res("aws:lambda/function:Function", "api-fn", **API_FN)]), profile(api__cacheHitRate=0.5))
    assert amount(no_cache, "api-fn", "requests") == pytest.approx(REQUESTS / 1e6 * 0.20)  # no cache cluster: no hits


def _provisioned(**policy: Any) -> list[GraphResource]:
    rid = "function:serverless-infra-prod-api:live"
    dim = "lambda:function:ProvisionedConcurrency"
    return [
        res("aws:lambda/function:Function", "api-fn", **API_FN),
        res("aws:appautoscaling/target:Target", "pc", resourceId=rid, scalableDimension=dim, minCapacity=5, maxCapacity=100),
        res("aws:appautoscaling/scheduledAction:ScheduledAction", "peak-start", resourceId=rid,
            schedule="cron(0 8 ? * MON-FRI *)", scalableTargetAction={"minCapacity": 10, "maxCapacity": 100}),
        res("aws:appautoscaling/scheduledAction:ScheduledAction", "peak-end", resourceId=rid,
            schedule="cron(0 18 ? * MON-FRI *)", scalableTargetAction={"minCapacity": 5, "maxCapacity": 100}),
        res("aws:appautoscaling/policy:Policy", "pc-policy", resourceId=rid,
            targetTrackingScalingPolicyConfiguration={"targetValue": 0.7}),
    ]


def test_provisioned_concurrency_floor_plus_weekday_peak_floor():
    # 5 units all month + 5 more for 10 h on 5 of 7 days; 0.5 GB each at $0.0000033334/GB-s.
    # At 10,000/min x 40 ms the API needs 6.7 / 0.7 -> 10 units: the peak floor already covers it.
    b = bill(graphs(compute=_provisioned()))
    unit_hours = 5 * 730 + 5 * 10 * 5 / 7 * DAYS
    assert amount(b, "pc") == pytest.approx(unit_hours * 3600 * 0.5 * 0.0000033334)  # ~28.42


def test_provisioned_concurrency_autoscales_above_the_floor_at_a_higher_peak():
    # 100,000/min x 40 ms = 66.7 concurrent / 0.7 target -> 96 units for the 2 peak hours a day.
    b = bill(graphs(compute=_provisioned()), profile(api__peakRequestsPerMinute=100_000))
    unit_hours = 5 * 730 + 5 * 10 * 5 / 7 * DAYS + (96 - 10) * 2 * DAYS
    assert amount(b, "pc") == pytest.approx(unit_hours * 3600 * 0.5 * 0.0000033334)


def test_log_groups_ingest_and_store_for_their_retention():
    g = graphs(network=[res("aws:cloudwatch/logGroup:LogGroup", "flow", name="/aws/vpc-flow-logs/x", retentionInDays=90)],
               compute=[res("aws:lambda/function:Function", "api-fn", **API_FN),
                        res("aws:cloudwatch/logGroup:LogGroup", "api-logs", name="/aws/lambda/serverless-infra-prod-api",
                            retentionInDays=30)])
    p = profile(logs__vpcFlowLogGibPerMonth=6, logs__appBytesPerRequest=300, logs__platformBytesPerInvocation=100)
    b = bill(g, p)
    assert amount(b, "flow", "ingestion") == pytest.approx(3.0)
    assert amount(b, "flow", "storage") == pytest.approx(6 * 90 / DAYS * 0.03)
    api_gib = REQUESTS * 400 / 1024**3
    assert amount(b, "api-logs", "ingestion") == pytest.approx(api_gib * 0.5)
    assert amount(b, "api-logs", "storage") == pytest.approx(api_gib * 30 / DAYS * 0.03)


def test_observability_types_priced_from_the_graph():
    g = graphs(observability=[
        res("aws:cloudwatch/dashboard:Dashboard", "dash"),
        res("aws:cloudwatch/metricAlarm:MetricAlarm", "errors", period=60),
        res("aws:cloudwatch/metricAlarm:MetricAlarm", "ratio", metricQueries=[
            {"id": "a", "metric": {"period": 60}}, {"id": "b", "metric": {"period": 60}}, {"id": "e", "expression": "a/b"}]),
        res("aws:cloudwatch/metricAlarm:MetricAlarm", "fast", period=10),
        res("aws:cloudwatch/metricAlarm:MetricAlarm", "anomaly", thresholdMetricId="ad1", metricQueries=[
            {"id": "m", "metric": {"period": 300}}, {"id": "ad1", "expression": "ANOMALY_DETECTION_BAND(m)"}]),
        res("aws:cloudwatch/logMetricFilter:LogMetricFilter", "filter"),
        res("aws:cfg/recorder:Recorder", "recorder"), res("aws:cfg/rule:Rule", "rule"),
        res("aws:budgets/budget:Budget", "budget"), res("aws:sns/topic:Topic", "topic"),
        res("aws:xray/samplingRule:SamplingRule", "sampling")])
    b = bill(g)
    expected = {"dash": 3.0, "errors": 0.10, "ratio": 0.20, "fast": 0.30, "anomaly": 0.30, "filter": 0.30,
                "recorder": 9.0, "rule": 3.0, "budget": 0.02 * DAYS, "topic": 0.0, "sampling": 0.0}
    for name, usd in expected.items():
        assert amount(b, name) == pytest.approx(usd), name
    assert b.unpriced_types == []


def test_an_unknown_type_is_reported_not_silently_free():
    b = bill(graphs(api=[res("aws:elasticache/cluster:Cluster", "cache")]))
    assert b.unpriced_types == ["aws:elasticache/cluster:Cluster"]


def _budget_case() -> tuple[dict[str, LayerGraph], UsageProfile]:
    """$100 of keys plus REST requests at $3.50/M and nothing else."""
    g = graphs(security=[res("aws:kms/key:Key", f"key{i}") for i in range(100)],
               api=[res("aws:apigateway/restApi:RestApi", "rest", name="orders")])
    return g, profile(api__offPeakRequestsPerMinute=0)


def test_envelope_and_marginal_cost_solved_by_hand():
    g, p = _budget_case()
    # cost(h) = 100 + 3.5e-6 x 60 x 10,000 x h x 30.4167 = 100 + 63.875 h  ->  h = 100 / 63.875 within $200
    # cost(rpm) at 2 h/day = 100 + 3.5e-6 x 60 x rpm x 2 x 30.4167 -> rpm = 100 / (3.5e-6 x 3650)
    e = envelope(ENV, g, prices(), p, budget_usd=200)
    assert e.max_peak_hours == pytest.approx(100 / (3.5e-6 * 60 * 10_000 * DAYS), rel=1e-6)
    assert e.max_peak_rpm == pytest.approx(100 / (3.5e-6 * 60 * 2 * DAYS), rel=1e-6)
    assert e.marginal_per_million == pytest.approx(3.5)
    assert envelope(ENV, g, prices(), p, budget_usd=99).max_peak_hours is None  # the fixed cost alone is over
    assert envelope(ENV, g, prices(), p, budget_usd=10_000).max_peak_hours == 24


def test_over_budget_names_the_three_largest_items():
    g, p = _budget_case()
    b = bill(g, p, budget=200)
    assert b.total == pytest.approx(100 + 3.5 * 60 * 10_000 * 2 * DAYS / 1e6)  # 227.75
    assert b.over_budget
    message = over_budget_message(b)
    assert "$227.75 > $200.00" in message and "api/rest REST API requests $127.75" in message
    assert message.count("security/key") == 2
    assert not bill(g, p, budget=250).over_budget


def test_renderings_carry_the_same_total():
    g, p = _budget_case()
    b = bill(g, p, budget=200)
    assert "$227.75" in render_text(b, []) and "**227.75**" in render_markdown(b, [])
    assert '"totalUsd": 227.75' in render_json(b, None)
    detailed = render_text(b, [], detail=True)
    assert "REST API requests: $127.75 = 36.500 M x $3.5" in detailed and "REST API requests: $" not in render_text(b, [])


def test_a_profile_entry_for_a_missing_function_is_a_typo():
    g = graphs(compute=[res("aws:lambda/function:Function", "api-fn", **API_FN)])
    p = profile(functions={"api": {"avgDurationMs": 40}, "wroker": {"avgDurationMs": 40}})
    with pytest.raises(ConfigError, match=r"config/usage/test.yaml: key 'functions.wroker'"):
        bill(g, p)


def test_a_function_without_a_profile_entry_is_an_error():
    g = graphs(compute=[res("aws:lambda/function:Function", "w", name="serverless-infra-prod-worker", memorySize=1024)])
    with pytest.raises(ConfigError, match=r"key 'functions.worker' is missing"):
        bill(g)


def test_profile_typo_names_file_and_key(tmp_path: Path):
    path = tmp_path / "prod.yaml"
    raw = yaml.safe_load((Path(__file__).resolve().parents[2] / "config/usage/prod.yaml").read_text())
    raw["api"]["peakRequestPerMinute"] = raw["api"].pop("peakRequestsPerMinute")
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as error:
        load_profile(path=path)
    assert str(path) in str(error.value) and "api.peakRequestPerMinute" in str(error.value)


def test_price_table_typo_names_file_and_key(tmp_path: Path):
    raw = yaml.safe_load(PRICES_FILE.read_text())
    raw["prices"]["kmsKeyMonthly"] = raw["prices"].pop("kmsKeyMonth")
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as error:
        load_prices(path)
    assert "prices.kmsKeyMonthly" in str(error.value) and "prices.kmsKeyMonth" in str(error.value)


def test_the_real_price_table_cites_a_public_source_for_every_price():
    table = load_prices()
    sources = []
    for value in table.prices.model_dump().values():
        entries = value if isinstance(value, list) else list(value.values()) if "usd" not in value else [value]
        sources += [e["source"] for e in entries]
    assert sources and all(s.startswith("https://") for s in sources)


def test_xray_traces_follow_the_graphs_sampling_rule_reservoir_then_rate():
    stage = res("aws:apigateway/stage:Stage", "stage", xrayTracingEnabled=True)
    rule = res("aws:xray/samplingRule:SamplingRule", "rule", priority=1000, reservoirSize=1, fixedRate=0.01)
    b = bill(graphs(api=[stage], observability=[rule]))
    reservoir = 1 * 730 * 3600  # one request a second all month (traffic never drops below 1/s here)
    assert amount(b, "stage", "X-Ray") == pytest.approx((reservoir + 0.01 * (REQUESTS - reservoir)) / 1e6 * 5.0)
    without_rule = bill(graphs(api=[stage]), profile(tracing__sampledShare=0.05))
    assert amount(without_rule, "stage", "X-Ray") == pytest.approx(REQUESTS * 0.05 / 1e6 * 5.0)


def test_async_orders_are_billed_as_sqs_requests_and_endpoint_data():
    # 150,000 records/day x 30.42 days = 4,562,500 messages; batches of 10 x 1 KB fit one 64 KB chunk;
    # the worker gets 100 per invocation: 45,625 receives + 45,625 deletes.
    p = profile(batch__asyncRecordsPerDay=150_000, functions={"worker": {"avgDurationMs": 600}})
    g = graphs(network=[res("aws:ec2/vpcEndpoint:VpcEndpoint", "sqs-endpoint", vpcEndpointType="Interface",
                            serviceName="com.amazonaws.us-east-1.sqs", subnetIds=["a"])],
               compute=[res("aws:sqs/queue:Queue", "queue", redrivePolicy="{}"), res("aws:sqs/queue:Queue", "dlq"),
                        res("aws:lambda/function:Function", "worker", name="serverless-infra-prod-worker", memorySize=1024,
                            architectures=["arm64"])])
    b = bill(g, p)
    records = 150_000 * DAYS
    assert amount(b, "queue") == pytest.approx((records / 10 + 2 * records / 100) / 1e6 * 0.40)
    assert amount(b, "dlq") == 0
    assert amount(b, "sqs-endpoint", "data") == pytest.approx(records * 1024 / 1024**3 * 0.01)
    assert amount(b, "worker", "duration") == pytest.approx(records / 100 * 0.6 * 1.0 * 0.0000133334)


def test_records_per_invocation_above_the_batch_size_is_refused():
    g = graphs(compute=[res("aws:lambda/eventSourceMapping:EventSourceMapping", "orders", batchSize=50,
                            functionName="arn:aws:lambda:us-east-1:1:function:serverless-infra-prod-worker:live"),
                        res("aws:lambda/function:Function", "worker", name="serverless-infra-prod-worker", memorySize=1024)])
    p = profile(functions={"worker": {"avgDurationMs": 600}})
    with pytest.raises(ConfigError, match=r"'batch.recordsPerInvocation' = 100 exceeds the worker mapping's batchSize 50"):
        bill(g, p)


def test_diagram_request_path_runs_client_waf_gateway_function_on_a_hand_made_graph():
    from shared.synth.diagram import render_mermaid

    g = graphs(compute=[res("aws:lambda/function:Function", "api-fn", **API_FN)],
               api=[res("aws:wafv2/webAcl:WebAcl", "acl", rules=[{}, {}]),
                    res("aws:apigateway/restApi:RestApi", "rest", name="serverless-infra-prod-api")])
    mermaid = render_mermaid(g)
    assert 'client -->|"HTTPS"| waf_acl' in mermaid and "waf_acl --> apigw_rest" in mermaid
    assert "apigw_rest --> fn_api" in mermaid and "WAF web ACL<br/>2 rules" in mermaid
    without_gateway = render_mermaid(graphs(compute=[res("aws:lambda/function:Function", "api-fn", **API_FN)]))
    assert 'client -->|"HTTPS (no API Gateway in the graph yet)"| fn_api' in without_gateway


def test_config_cache_refreshes_are_billed_as_kms_decrypts():
    # warm environments = concurrency: 10,000/min x 40 ms = 6.67 for 60.8 h; 200/min -> 0.13, at least 1, for 669.2 h.
    # each refreshes every 300 s and decrypts both SecureStrings: 1,074.7 env-hours x 12 x 2 = 25,793 requests.
    fn = res("aws:lambda/function:Function", "api-fn", environment={"variables": {"CONFIG_TTL_SECONDS": "300"}}, **API_FN)
    params = [res("aws:ssm/parameter:Parameter", f"p{i}", type="SecureString") for i in range(2)]
    b = bill(graphs(security=params, compute=[fn]))
    env_hours = 10_000 / 60 * 0.04 * 2 * DAYS + 1 * 22 * DAYS
    assert amount(b, "api-fn", "KMS") == pytest.approx(env_hours * 3600 / 300 * 2 / 1e4 * 0.03)


def test_a_function_log_group_is_found_by_the_functions_logging_config_not_its_name():
    # Retained prod log groups carry a lifecycle suffix; the function's loggingConfig names the group.
    logging = {"logGroup": "/aws/lambda/serverless-infra-prod-api-abc123"}
    fn = res("aws:lambda/function:Function", "api-fn", loggingConfig=logging, **API_FN)
    group = res("aws:cloudwatch/logGroup:LogGroup", "api-logs", name="/aws/lambda/serverless-infra-prod-api-abc123",
                retentionInDays=30)
    b = bill(graphs(compute=[fn, group]), profile(logs__platformBytesPerInvocation=100))
    assert amount(b, "api-logs", "ingestion") == pytest.approx(REQUESTS * 100 / 1024**3 * 0.5)


def test_a_fixed_provisioned_concurrency_config_is_priced_all_month():
    g = graphs(compute=[res("aws:lambda/function:Function", "api-fn", **API_FN),
                        res("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", "pc",
                            functionName="serverless-infra-prod-api", qualifier="live", provisionedConcurrentExecutions=4)])
    assert amount(bill(g), "pc") == pytest.approx(4 * 730 * 3600 * 0.5 * 0.0000033334)
