"""What a real `pulumi up` / `pulumi destroy` needs beyond what the mocks check: ordering, lifecycle
options, the quota request and the artifact history, asserted on the synthesized graphs."""

from __future__ import annotations

import pytest

from shared.accounts import account_budget
from shared.aws_limits import API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS
from shared.components.compute.artifacts import APP_KEY, LAYER_KEY
from shared.config import Environment
from shared.naming import order_queue_names
from shared.synth.graph import GraphResource, LayerGraph

pytestmark = pytest.mark.synth


def depends_on(resource: GraphResource, graph: LayerGraph, token: str, name_part: str = "") -> bool:
    wanted = {r.urn for r in graph.of_type(token) if name_part in r.name}
    assert wanted, f"no {token} named like {name_part!r}"
    return bool(wanted & set(resource.dependencies))


def test_flow_log_waits_for_its_roles_policy(synth, env):
    graph = synth(env)["network"]
    flow_log = graph.one("aws:ec2/flowLog:FlowLog")
    assert depends_on(flow_log, graph, "aws:iam/rolePolicy:RolePolicy", "flow-logs-policy")


def test_proxy_waits_for_the_policy_it_signs_in_with(synth, env):
    """End-to-end IAM (issue 13): the proxy reads no secret; it signs IAM tokens with rds-db:connect,
    which must be in place before it first connects to its target."""
    graph = synth(env)["data"]
    proxy = graph.one("aws:rds/proxy:Proxy")
    assert depends_on(proxy, graph, "aws:iam/rolePolicy:RolePolicy", "connect")
    assert not depends_on(proxy, graph, "aws:secretsmanager/secretVersion:SecretVersion")


def test_every_instance_waits_for_the_enhanced_monitoring_policy(synth, env):
    graph = synth(env)["data"]
    for instance in graph.of_type("aws:rds/instance:Instance"):
        assert instance.inputs["monitoringInterval"] > 0
        assert depends_on(instance, graph, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "monitoring")


def test_the_account_quota_is_requested_as_code_by_its_owner(synth, env):
    budget = account_budget(Environment(env))
    quotas = synth(env)["security"].of_type("aws:servicequotas/serviceQuota:ServiceQuota")
    assert budget.owner.value == env  # the shipped config gives each env its own account
    (quota,) = quotas
    assert (quota.inputs["serviceCode"], quota.inputs["quotaCode"]) == ("lambda", "L-B99A9384")
    assert quota.inputs["value"] == budget.quota >= budget.needed
    assert quota.options["retainOnDelete"] is True, "a destroy cannot lower a quota another env may rely on"


def test_prod_api_runs_a_thousand_concurrently(synth):
    graph = synth("prod")["compute"]
    api = next(f for f in graph.of_type("aws:lambda/function:Function") if f.inputs["name"].endswith("-api"))
    assert api.inputs["reservedConcurrentExecutions"] >= 1000
    target = graph.one("aws:appautoscaling/target:Target")
    assert target.inputs["maxCapacity"] <= api.inputs["reservedConcurrentExecutions"]


def test_api_function_ends_before_api_gateway_gives_up(synth, env):
    graph = synth(env)["compute"]
    api = next(f for f in graph.of_type("aws:lambda/function:Function") if f.inputs["name"].endswith("-api"))
    assert api.inputs["timeout"] < API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS


def test_an_update_during_peak_keeps_the_peak_floor(synth, render_variant, monkeypatch):
    off_peak = synth("prod")["compute"].one("aws:appautoscaling/target:Target")  # the synth's Sunday noon
    assert off_peak.inputs["minCapacity"] == 5
    monkeypatch.setenv("SERVERLESS_INFRA_NOW", "2026-01-06T16:00:00+00:00")  # Tuesday 11:00 in New York
    during_peak = render_variant("compute", "prod", {}).one("aws:appautoscaling/target:Target")
    assert during_peak.inputs["minCapacity"] == 10, "a deploy during peak must not lower the peak floor"
    assert during_peak.inputs["maxCapacity"] == off_peak.inputs["maxCapacity"]


def test_queues_outlive_a_compute_destroy(synth, env):
    graph = synth(env)["compute"]
    queues = graph.of_type("aws:sqs/queue:Queue")
    names = order_queue_names(env)
    assert {q.inputs["name"] for q in queues} == {names.queue, names.dlq, names.archive}
    assert all(q.options["retainOnDelete"] for q in queues)
    # Their policies are queue attributes: kept with them, so a retained queue stays TLS-only and byQueue.
    for token in ("aws:sqs/queuePolicy:QueuePolicy", "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"):
        assert all(p.options["retainOnDelete"] for p in graph.of_type(token))
    mappings = graph.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert not any(m.options["retainOnDelete"] for m in mappings)


def test_artifacts_keep_history_under_stable_keys(synth, env):
    graph = synth(env)["compute"]
    objects = {o.inputs["key"]: o for o in graph.of_type("aws:s3/bucketObjectv2:BucketObjectv2")}
    assert set(objects) == {LAYER_KEY, APP_KEY}, "a key per build would delete history on every deploy"
    lifecycle = graph.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "compute-artifacts-lifecycle")
    rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"]["noncurrentDays"] >= 1
    # Functions deploy the signed copy of exactly the uploaded version of APP_KEY (code signing, issue 15).
    job = graph.one("aws:signer/signingJob:SigningJob", "compute-artifacts-app-signing")
    assert job.inputs["source"]["s3"]["key"] == APP_KEY
    assert job.inputs["source"]["s3"]["version"] == objects[APP_KEY].outputs["versionId"]
    for fn in graph.of_type("aws:lambda/function:Function"):
        assert fn.inputs["s3Key"] == job.outputs["signedObjects"][0]["s3s"][0]["key"]
    # Prod keeps the history through a compute destroy: bucket, its settings and objects are retained.
    stored = [r for r in graph.aws_resources() if r.type.startswith("aws:s3/")]
    assert stored and all(r.options["retainOnDelete"] is (env == "prod") for r in stored)
    for bucket in graph.of_type("aws:s3/bucket:Bucket"):  # the artifacts and their access-log bucket
        assert bucket.inputs["forceDestroy"] is (env != "prod")
