"""Each rule of the CrossGuard pack catches its violation and passes the fixed resource.

Resources go through the pack's real policy objects (`build_policies`), with the arguments the
engine passes: wire-named props, the AWS provider with its default tags, the policy's config.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from serverless_infra_policy.pack import RULES, build_policies

pytestmark = [pytest.mark.unit, pytest.mark.policy]

POLICIES = {p.name: p for p in build_policies()}
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def provider(env: str = "prod", drop: tuple[str, ...] = ()) -> PolicyProviderResource:
    tags = {"Environment": env, "CostCenter": "CC-1", "Owner": "team", "Application": "serverless-infra",
            "Backup": "daily", "Compliance": "sox" if env == "prod" else "internal"}
    tags = {k: v for k, v in tags.items() if k not in drop}
    return PolicyProviderResource("pulumi:providers:aws", {"defaultTags": json.dumps({"tags": tags})},
                                  f"urn:pulumi:{env}::p::pulumi:providers:aws::aws", "aws")


def urn(token: str, name: str, env: str = "prod") -> str:
    return f"urn:pulumi:{env}::serverless-infra-x::{token}::{name}"


def check(policy: str, token: str, props: dict[str, Any], env: str = "prod", config: dict[str, Any] | None = None,
          prov: PolicyProviderResource | None = None) -> list[str]:
    """The messages ``policy`` reports for one resource."""
    found: list[str] = []
    rule = POLICIES[policy]
    assert isinstance(rule, ResourceValidationPolicy)
    args = ResourceValidationArgs(token, props, urn(token, "res", env), "res", OPTS, prov or provider(env), config or {})
    rule.validate(args, lambda message, _urn=None: found.append(message))
    return found


def stack(policy: str, resources: list[PolicyResource], config: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(resource name, message) of every violation ``policy`` reports for a stack."""
    found: list[tuple[str, str]] = []
    rule = POLICIES[policy]
    assert isinstance(rule, StackValidationPolicy)
    rule.validate(StackValidationArgs(resources, config or {}),
                  lambda message, u=None: found.append(((u or "").rsplit("::", 1)[-1], message)))
    return found


def res(token: str, name: str, props: dict[str, Any], deps: list[PolicyResource] | None = None) -> PolicyResource:
    return PolicyResource(token, props, urn(token, name), name, OPTS, provider(), None, deps or [], {})


RESOURCE_CASES = {
    # policy: (type, violating props, fixed props, config)
    "resource-naming": ("aws:lambda/function:Function", {"name": "orders-api"},
                        {"name": "serverless-infra-prod-api"}, {}),
    "cmk-encryption": ("aws:sqs/queue:Queue", {"name": "q", "sqsManagedSseEnabled": True},
                       {"name": "q", "kmsMasterKeyId": KEY}, {}),
    "kms-key-rotation": ("aws:kms/key:Key", {"enableKeyRotation": False}, {"enableKeyRotation": True}, {}),
    "network-no-internet-path": ("aws:ec2/subnet:Subnet", {"mapPublicIpOnLaunch": True},
                                 {"mapPublicIpOnLaunch": False}, {}),
    "rds-private-tls": ("aws:rds/instance:Instance", {"publiclyAccessible": True}, {"publiclyAccessible": False}, {}),
    "iam-least-privilege": (
        "aws:iam/rolePolicy:RolePolicy",
        {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"}]})},
        {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"],
                                              "Resource": "arn:aws:sqs:us-east-1:123456789012:q"}]})}, {}),
    "log-retention": ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 90}, {"retentionInDays": 365}, {}),
    "xray-tracing": ("aws:lambda/function:Function", {"tracingConfig": {"mode": "PassThrough"}},
                     {"tracingConfig": {"mode": "Active"}}, {}),
    "lambda-code-signing": ("aws:lambda/codeSigningConfig:CodeSigningConfig",
                            {"allowedPublishers": {"signingProfileVersionArns": ["arn:x"]},
                             "policies": {"untrustedArtifactOnDeployment": "Warn"}},
                            {"allowedPublishers": {"signingProfileVersionArns": ["arn:x"]},
                             "policies": {"untrustedArtifactOnDeployment": "Enforce"}}, {}),
    "lambda-cost-and-limits": ("aws:lambda/function:Function",
                               {"architectures": ["x86_64"], "reservedConcurrentExecutions": 5},
                               {"architectures": ["arm64"], "reservedConcurrentExecutions": 5}, {}),
    "prod-data-protection": ("aws:rds/instance:Instance",
                             {"deletionProtection": False, "backupRetentionPeriod": 35, "multiAz": True},
                             {"deletionProtection": True, "backupRetentionPeriod": 35, "multiAz": True}, {}),
}


@pytest.mark.parametrize("policy", sorted(RESOURCE_CASES))
def test_resource_rule_catches_the_violation_and_passes_the_fix(policy):
    token, bad, fixed, config = RESOURCE_CASES[policy]
    assert check(policy, token, bad, config=config), f"{policy} missed {bad}"
    assert check(policy, token, fixed, config=config) == []


def test_every_rule_of_the_pack_has_a_test():
    stack_rules = {"s3-bucket-baseline", "s3-access-logging", "s3-cross-region-replication",
                   "tls-only-resource-policies", "sqs-dead-letter-queues", "lambda-async-failure-destination",
                   "reserved-concurrency-quota"}
    assert {r.name for r in RULES} == set(RESOURCE_CASES) | stack_rules | {"required-tags"}


def test_required_tags_are_the_effective_ones_after_provider_default_tags():
    bucket = "aws:s3/bucket:Bucket"
    assert check("required-tags", bucket, {"bucket": "b"}, prov=provider(drop=("Owner",))) == [
        "effective tags (provider default_tags + own tags) lack ['Owner']"]
    # The resource's own tags complete the provider's defaults.
    assert check("required-tags", bucket, {"bucket": "b", "tags": {"Owner": "team"}},
                 prov=provider(drop=("Owner",))) == []
    # Types the provider does not tag are not asked for tags.
    assert check("required-tags", "aws:iam/rolePolicy:RolePolicy", {}, prov=provider(drop=("Owner",))) == []


def test_naming_knows_the_service_specific_shapes():
    assert check("resource-naming", "aws:cloudwatch/logGroup:LogGroup",
                 {"name": "/aws/rds/instance/serverless-infra-prod-db/postgresql"}) == []
    assert check("resource-naming", "aws:ssm/parameter:Parameter", {"name": "/myapp/prod/api/page_size_max"}) == []
    assert check("resource-naming", "aws:signer/signingProfile:SigningProfile",
                 {"name": "serverless_infra_prod_lambda"}) == []
    # The env in the name must be the resource's env.
    assert check("resource-naming", "aws:lambda/function:Function", {"name": "serverless-infra-dev-api"})
    # A bucket, queue, function... may not be auto-named.
    assert check("resource-naming", "aws:s3/bucket:Bucket", {})


def test_internet_paths_follow_the_egress_mode_but_open_ingress_never_passes():
    nat = "aws:ec2/natGateway:NatGateway"
    assert check("network-no-internet-path", nat, {})
    assert check("network-no-internet-path", nat, {}, config={"allowInternetEgress": True}) == []
    ingress = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    assert check("network-no-internet-path", ingress, {"cidrIpv4": "0.0.0.0/0"}, config={"allowInternetEgress": True})


def test_star_resources_only_for_unscopable_actions_and_with_the_condition_aws_offers():
    def doc(statement: dict[str, Any]) -> dict[str, Any]:
        return {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Resource": "*", **statement}]})}

    role_policy = "aws:iam/rolePolicy:RolePolicy"
    assert check("iam-least-privilege", role_policy, doc({"Action": ["xray:PutTraceSegments"]})) == []
    assert check("iam-least-privilege", role_policy, doc({"Action": "cloudwatch:PutMetricData"}))
    assert check("iam-least-privilege", role_policy, doc(
        {"Action": "cloudwatch:PutMetricData", "Condition": {"StringEquals": {"cloudwatch:namespace": "X"}}})) == []
    assert check("iam-least-privilege", role_policy, doc({"Action": "ec2:CreateNetworkInterface"}))
    assert check("iam-least-privilege", role_policy, {"policy": json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}]})})


def test_retention_follows_env_and_compliance_class():
    group = "aws:cloudwatch/logGroup:LogGroup"
    assert check("log-retention", group, {"retentionInDays": 7}, env="dev") == []  # dev, internal
    assert check("log-retention", group, {}, env="dev")  # forever is not a retention
    assert check("log-retention", group, {"retentionInDays": 30}, env="staging",
                 config={"complianceRetentionDays": {"internal": 90}})


def test_code_signing_warn_is_fine_outside_prod_and_functions_need_a_config():
    csc = "aws:lambda/codeSigningConfig:CodeSigningConfig"
    warn = {"allowedPublishers": {"signingProfileVersionArns": ["arn:x"]},
            "policies": {"untrustedArtifactOnDeployment": "Warn"}}
    assert check("lambda-code-signing", csc, warn, env="dev") == []
    fn = "aws:lambda/function:Function"
    assert check("lambda-code-signing", fn, {"name": "f"})
    assert check("lambda-code-signing", fn, {"name": "f", "codeSigningConfigArn": "arn:csc"}) == []


def test_prod_data_protection_applies_to_prod_only():
    instance = "aws:rds/instance:Instance"
    assert check("prod-data-protection", instance, {"deletionProtection": False}, env="dev") == []
    replica = {"replicateSourceDb": "db", "deletionProtection": True, "backupRetentionPeriod": 0, "multiAz": True}
    assert check("prod-data-protection", instance, replica) == [
        "prod replica keeps automated backups 0 days (< 1)"]


# -- stack rules ---------------------------------------------------------------------------------

def _bucket_set(name: str = "b", sse: str = "aws:kms", tls: bool = True, logging: bool = True,
                replicated: bool = True) -> list[PolicyResource]:
    bucket = res("aws:s3/bucket:Bucket", f"{name}-bucket", {"bucket": name})
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    children = [
        res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", f"{name}-sse",
            {"bucket": name, "rules": [{"applyServerSideEncryptionByDefault": {
                "sseAlgorithm": sse, **({"kmsMasterKeyId": KEY} if sse == "aws:kms" else {})}}]}),
        res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{name}-pab",
            {"bucket": name, "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
             "restrictPublicBuckets": True}),
        res("aws:s3/bucketVersioning:BucketVersioning", f"{name}-ver",
            {"bucket": name, "versioningConfiguration": {"status": "Enabled"}}),
        res("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{name}-lc", {"bucket": name}),
        res("aws:s3/bucketPolicy:BucketPolicy", f"{name}-policy",
            {"bucket": name, "policy": json.dumps({"Statement": [deny] if tls else []})}),
    ]
    if logging:
        children.append(res("aws:s3/bucketLogging:BucketLogging", f"{name}-logging",
                            {"bucket": name, "targetBucket": "logs"}))
    if replicated:
        children.append(res("aws:s3/bucketReplicationConfig:BucketReplicationConfig", f"{name}-crr", {"bucket": name}))
    return [bucket, *children]


def test_bucket_baseline_wants_cmk_except_on_the_access_log_target():
    assert stack("s3-bucket-baseline", _bucket_set()) == []
    assert stack("s3-bucket-baseline", _bucket_set(sse="AES256"))
    # The log bucket must be SSE-S3: S3 cannot deliver server access logs to an SSE-KMS bucket.
    logs = _bucket_set("logs", sse="AES256", logging=False)
    assert stack("s3-bucket-baseline", _bucket_set() + logs) == []
    assert stack("s3-bucket-baseline", _bucket_set() + _bucket_set("logs", logging=False)) == [
        ("logs-bucket", "an access-log target bucket must default to SSE-S3 (AES256): S3 does not deliver logs "
                        "to SSE-KMS")]


def test_access_logging_and_replication():
    assert stack("s3-access-logging", _bucket_set(logging=False)) == [
        ("b-bucket", "no server access logging (aws.s3.BucketLogging to the log bucket)")]
    # The log bucket itself does not log (it would log its own log deliveries).
    assert stack("s3-access-logging", _bucket_set() + _bucket_set("logs", logging=False)) == []
    assert stack("s3-cross-region-replication", _bucket_set(replicated=False))
    assert stack("s3-cross-region-replication", _bucket_set()) == []


def test_tls_only_policies_on_buckets_and_queues():
    assert stack("tls-only-resource-policies", _bucket_set(tls=False)) == [
        ("b-bucket", "no bucket policy denying aws:SecureTransport false")]
    queue = res("aws:sqs/queue:Queue", "q", {"name": "serverless-infra-prod-orders"})
    assert stack("tls-only-resource-policies", [queue])
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    policy = res("aws:sqs/queuePolicy:QueuePolicy", "qp", {
        "queueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/serverless-infra-prod-orders",
        "policy": json.dumps({"Statement": [deny]})})
    assert stack("tls-only-resource-policies", [queue, policy]) == []


def test_every_consumed_queue_but_a_dlq_redrives():
    dlq = res("aws:sqs/queue:Queue", "dlq", {"name": "orders-dlq"})
    lonely = res("aws:sqs/queue:Queue", "queue", {"name": "orders"})
    esm = "aws:lambda/eventSourceMapping:EventSourceMapping"
    consumers = [res(esm, f"{q}-mapping", {"eventSourceArn": f"arn:aws:sqs:us-east-1:123456789012:{name}"})
                 for q, name in (("queue", "orders"), ("dlq", "orders-dlq"))]
    assert stack("sqs-dead-letter-queues", [dlq, lonely, *consumers]) == [
        ("dlq", "queue without a redrivePolicy to a dead-letter queue"),
        ("queue", "queue without a redrivePolicy to a dead-letter queue")]
    fixed = res("aws:sqs/queue:Queue", "queue", {"name": "orders", "redrivePolicy": json.dumps(
        {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:orders-dlq", "maxReceiveCount": 5})})
    assert stack("sqs-dead-letter-queues", [dlq, fixed, *consumers]) == []
    archive = res("aws:sqs/queue:Queue", "archive", {"name": "orders-dlq-archive"})  # no consumer: no redrive
    assert stack("sqs-dead-letter-queues", [dlq, fixed, archive, *consumers]) == []


def test_async_failures_need_a_destination_or_dlq():
    fn = res("aws:lambda/function:Function", "fn", {"name": "serverless-infra-prod-api"})
    bare = res("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "async",
               {"functionName": "serverless-infra-prod-api", "qualifier": "live"})
    assert stack("lambda-async-failure-destination", [fn, bare])
    wired = res("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "async",
                {"functionName": "serverless-infra-prod-api", "qualifier": "live",
                 "destinationConfig": {"onFailure": {"destination": "arn:aws:sqs:us-east-1:123456789012:dlq"}}})
    assert stack("lambda-async-failure-destination", [fn, wired]) == []


def test_reservations_leave_the_unreserved_minimum():
    fns = [res("aws:lambda/function:Function", f"f{i}", {"name": f"f{i}", "reservedConcurrentExecutions": n})
           for i, n in enumerate((700, 150, 5, 1))]
    assert stack("reserved-concurrency-quota", fns) == []
    assert stack("reserved-concurrency-quota", fns, {"accountConcurrencyLimit": 900}) == [
        ("f0", "reservations 856 here + 0 elsewhere exceed the account quota 900 minus 100 that must stay unreserved")]
    assert stack("reserved-concurrency-quota", fns, {"reservedElsewhere": 50})
    assert stack("reserved-concurrency-quota", [], {"reservedElsewhere": 5000}) == []  # a stack without functions


def test_advisories_are_reported_but_do_not_block():
    from shared.synth.crossguard import evaluate
    from shared.synth.graph import GraphResource, LayerGraph

    token = "aws:lambda/function:Function"
    function = GraphResource(
        urn=f"urn:pulumi:dev::serverless-infra-compute::{token}::fn", type=token, name="fn", physical_name=None,
        id=None, custom=True, parent=None, dependencies=[], provider=None,
        inputs={"name": "serverless-infra-dev-api", "architectures": ["x86_64"], "reservedConcurrentExecutions": 5},
        secret_inputs=[], outputs={}, taggable=True, effective_tags=None)
    graph = LayerGraph(layer="compute", env="dev", project="serverless-infra-compute", stack="dev",
                       resources=[function], exports={}, secret_exports=[])
    report = evaluate([graph])
    assert [(f.policy, f.level) for f in report.advisories] == [("lambda-cost-and-limits", "advisory")]
    assert "lambda-cost-and-limits" not in {f.policy for f in report.blocking}
