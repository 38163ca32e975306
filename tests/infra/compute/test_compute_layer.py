"""The compute layer, per env: functions, queues, mapping, scaling, bucket, roles and the wiring upstream."""

from __future__ import annotations

import json
import re

import pytest

from shared.synth.crossguard import violations
from shared.synth.render import layer_config

pytestmark = pytest.mark.synth

FUNCTION = "aws:lambda/function:Function"
ALIAS = "aws:lambda/alias:Alias"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
QUEUE = "aws:sqs/queue:Queue"
ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
CODE_SIGNING_CONFIG = "aws:lambda/codeSigningConfig:CodeSigningConfig"
TARGET = "aws:appautoscaling/target:Target"
SCHEDULED = "aws:appautoscaling/scheduledAction:ScheduledAction"
NAMES = ("api", "worker", "dlq-analyzer", "migrate")


def settings(env: str) -> dict:
    return layer_config("compute", env)


def functions(graph) -> dict:
    return {
        f.inputs["name"].removeprefix(f"serverless-infra-{graph.env}-"): f for f in graph.of_type(FUNCTION)
    }


def test_functions_in_private_subnets_traced_json_logged_and_encrypted(synth, env):
    layers = synth(env)
    graph, network, security = layers["compute"], layers["network"], layers["security"]
    fns = functions(graph)
    assert set(fns) == set(NAMES)
    keys = security.exports["kms_key_arns"]
    for short, fn in fns.items():
        assert fn.inputs["vpcConfig"]["subnetIds"] == network.exports["private_subnet_ids"]
        assert fn.inputs["vpcConfig"]["securityGroupIds"] == [network.exports["lambda_security_group_id"]]
        assert fn.inputs["tracingConfig"]["mode"] == "Active"
        assert fn.inputs["loggingConfig"]["logFormat"] == "JSON"
        group = fn.inputs["loggingConfig"]["logGroup"]
        if env == "prod":  # prod's groups outlive a destroy, so each compute lifecycle has its own suffix
            assert re.fullmatch(rf"/aws/lambda/serverless-infra-prod-{short}-[0-9a-f]{{6}}", group)
        else:
            assert group == f"/aws/lambda/serverless-infra-{env}-{short}"
        assert fn.inputs["kmsKeyArn"] == keys["lambda"]
        assert fn.inputs["runtime"] == "python3.12" and fn.inputs["architectures"] == ["arm64"]
        assert fn.inputs["publish"] is True
        assert fn.inputs["layers"] == [graph.exports["dependency_layer_arn"]]
        assert fn.inputs["handler"] == f"app.handlers.{short.replace('-', '_')}.lambda_handler"
        # The signed copy of app.zip (a new key per signing job, so it pins the bytes) under the signing config.
        assert fn.inputs["s3Key"].startswith("signed/functions/") and "s3ObjectVersion" not in fn.inputs
        assert fn.inputs["codeSigningConfigArn"] == graph.one(CODE_SIGNING_CONFIG).outputs["arn"]
        wanted = settings(env)["functions"][short]
        assert (fn.inputs["memorySize"], fn.inputs["timeout"], fn.inputs["reservedConcurrentExecutions"]) == (
            wanted["memoryMb"],
            wanted["timeoutSeconds"],
            wanted["reservedConcurrency"],
        )


def test_environment_carries_pointers_from_security_only(synth, env):
    layers = synth(env)
    prefixes = layers["security"].exports["parameter_prefixes"]
    for short, fn in functions(layers["compute"]).items():
        variables = fn.inputs["environment"]["variables"]
        assert variables["APP_ENV"] == env
        assert variables["PARAMETER_PREFIX_DATABASE"] == prefixes["database"] == f"/myapp/{env}/database/"
        assert variables["PARAMETER_PREFIX_API"] == prefixes["api"]
        assert variables["PARAMETER_PREFIX_CACHE"] == prefixes["cache"]
        assert variables["CONFIG_TTL_SECONDS"] == "300"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == f"ServerlessInfra/{env}"  # its own: envs may share an account
        assert variables["POWERTOOLS_LOG_LEVEL"] == settings(env)["logLevel"]
        assert ("ORDERS_QUEUE_URL" in variables) == (short == "api")
        # Pointers only: no secret value; the one ARN of a secret is the migrate function's bootstrap pointer.
        secrets = {key: value for key, value in variables.items() if any(w in key for w in ("PASSWORD", "SECRET", "TOKEN"))}
        expected = {"DATABASE_MASTER_SECRET_ARN": layers["data"].exports["db_master_secret_arn"]}
        assert secrets == (expected if short == "migrate" else {})
    api = functions(layers["compute"])["api"]
    assert (
        api.inputs["environment"]["variables"]["ORDERS_QUEUE_URL"] == layers["compute"].exports["queue_url"]
    )


def test_each_function_signs_in_as_its_own_role_with_iam_tokens(synth, env):
    layers = synth(env)
    data = layers["data"].exports
    assert data["db_auth_mode"] == "iam"
    for short, fn in functions(layers["compute"]).items():
        variables = fn.inputs["environment"]["variables"]
        assert variables["DATABASE_IAM_AUTH"] == "true"
        assert variables["DATABASE_USERNAME"] == (data["db_owner_username"] if short == "migrate" else data["db_app_username"])
        assert variables["DB_POOL_SIZE"] == "1"
        assert ("DATABASE_PRIMARY_HOST" in variables) == (short == "migrate")
    assert data["db_owner_username"] != data["db_app_username"]


def test_log_groups_created_first_with_retention_and_logs_key(synth, env):
    layers = synth(env)
    graph = layers["compute"]
    groups = {g.inputs["name"]: g for g in graph.of_type(LOG_GROUP)}
    for fn in functions(graph).values():
        group = groups[fn.inputs["loggingConfig"]["logGroup"]]
        assert group.inputs["retentionInDays"] == settings(env)["logRetentionDays"]
        assert group.inputs["kmsKeyId"] == layers["security"].exports["kms_key_arns"]["logs"]
        assert group.urn in fn.dependencies
        assert group.options["retainOnDelete"] is (env == "prod")
    assert graph.exports["log_group_names"]["api"] == functions(graph)["api"].inputs["loggingConfig"]["logGroup"]
    assert graph.exports["log_group_names"]["api"].startswith(f"/aws/lambda/serverless-infra-{env}-api")


def test_reserved_concurrency_leaves_the_unreserved_hundred(synth, env):
    from shared.accounts import account_budget
    from shared.config import Environment

    total = sum(f.inputs["reservedConcurrentExecutions"] for f in functions(synth(env)["compute"]).values())
    budget = account_budget(Environment(env))
    assert total <= budget.reserved_total <= budget.quota - 100


def test_live_alias_on_the_published_version(synth, env):
    graph = synth(env)["compute"]
    aliases = graph.of_type(ALIAS)
    assert len(aliases) == 4 and {a.inputs["name"] for a in aliases} == {"live"}
    assert all(a.inputs["functionVersion"] == "1" for a in aliases)  # the fake's published version
    assert graph.exports["api_alias_arn"].endswith(f":function:serverless-infra-{env}-api:live")


def test_provisioned_concurrency_autoscaling_per_env(synth, env):
    graph = synth(env)["compute"]
    pc = settings(env).get("provisionedConcurrency")
    targets = graph.of_type(TARGET)
    if pc is None:
        assert env == "dev" and targets == [] and graph.of_type(SCHEDULED) == []
        return
    (target,) = targets
    assert target.inputs["resourceId"] == f"function:serverless-infra-{env}-api:live"
    assert target.inputs["scalableDimension"] == "lambda:function:ProvisionedConcurrency"
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (
        pc["minCapacity"],
        pc["maxCapacity"],
    )
    policy = graph.one("aws:appautoscaling/policy:Policy")
    tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert (
        tracking["predefinedMetricSpecification"]["predefinedMetricType"]
        == "LambdaProvisionedConcurrencyUtilization"
    )
    assert tracking["targetValue"] == pc["targetUtilization"]
    actions = {
        a.inputs["name"].rsplit("-", 2)[-2] + "-" + a.inputs["name"].rsplit("-", 1)[-1]: a
        for a in graph.of_type(SCHEDULED)
    }
    if pc.get("peak"):
        assert (
            actions["peak-start"].inputs["scalableTargetAction"]["minCapacity"] == pc["peak"]["minCapacity"]
        )
        assert actions["peak-end"].inputs["scalableTargetAction"]["minCapacity"] == pc["minCapacity"]
        assert actions["peak-start"].inputs["schedule"] == pc["peak"]["start"]
    else:
        assert actions == {}
    assert pc["maxCapacity"] <= settings(env)["functions"]["api"]["reservedConcurrency"]


def test_queues_encrypted_with_redrive_and_visibility(synth, env):
    layers = synth(env)
    graph = layers["compute"]
    queues = {q.inputs["name"]: q for q in graph.of_type(QUEUE)}
    main, dlq = queues[f"serverless-infra-{env}-orders"], queues[f"serverless-infra-{env}-orders-dlq"]
    queues_key = layers["security"].exports["kms_key_arns"]["queues"]
    for queue in (main, dlq):
        assert queue.inputs["kmsMasterKeyId"] == queues_key
        assert queue.inputs["kmsDataKeyReusePeriodSeconds"] >= 60
    worker_timeout = settings(env)["functions"]["worker"]["timeoutSeconds"]
    assert main.inputs["visibilityTimeoutSeconds"] >= 6 * worker_timeout
    redrive = main.json_input("redrivePolicy")
    assert redrive == {"deadLetterTargetArn": graph.exports["dlq_arn"], "maxReceiveCount": 5}
    assert dlq.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    allow = json.loads(
        graph.one("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy").inputs["redriveAllowPolicy"]
    )
    assert allow == {"redrivePermission": "byQueue", "sourceQueueArns": [graph.exports["queue_arn"]]}
    for policy in graph.of_type("aws:sqs/queuePolicy:QueuePolicy"):
        (statement,) = policy.json_input("policy")["Statement"]
        assert statement["Effect"] == "Deny" and statement["Condition"] == {
            "Bool": {"aws:SecureTransport": "false"}
        }


def test_event_source_mappings_batch_and_report_failures(synth, env):
    graph = synth(env)["compute"]
    mappings = {m.inputs["eventSourceArn"]: m for m in graph.of_type(ESM)}
    worker = mappings[graph.exports["queue_arn"]]
    assert worker.inputs["functionName"].endswith(f"serverless-infra-{env}-worker:live")
    assert worker.inputs["batchSize"] == 500 and worker.inputs["maximumBatchingWindowInSeconds"] >= 1
    assert worker.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert worker.inputs["scalingConfig"]["maximumConcurrency"] == settings(env)["queue"]["maxConcurrency"]
    analyzer = mappings[graph.exports["dlq_arn"]]
    assert analyzer.inputs["functionName"].endswith(f"serverless-infra-{env}-dlq-analyzer:live")
    assert analyzer.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]


def test_async_failures_go_to_the_dlq_but_never_the_analyzers_own(synth, env):
    graph = synth(env)["compute"]
    configs = {
        c.inputs["functionName"].rsplit("-", 1)[-1]
        if "dlq" not in c.inputs["functionName"]
        else "dlq-analyzer": c
        for c in graph.of_type("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    }
    assert set(configs) == set(NAMES)
    for short in ("api", "worker"):
        assert (
            configs[short].inputs["destinationConfig"]["onFailure"]["destination"] == graph.exports["dlq_arn"]
        )
        assert configs[short].inputs["qualifier"] == "live"
    assert "destinationConfig" not in configs["dlq-analyzer"].inputs
    assert configs["migrate"].inputs["maximumRetryAttempts"] == 0


def test_artifacts_bucket_protections(synth, env):
    layers = synth(env)
    graph = layers["compute"]
    bucket = graph.one("aws:s3/bucket:Bucket", "compute-artifacts-bucket")
    assert bucket.inputs["bucket"] == f"serverless-infra-{env}-artifacts-123456789012"
    block = graph.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "compute-artifacts-public-access-block").inputs
    assert all(
        block[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    rule = graph.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "compute-artifacts-encryption",
    ).inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": layers["security"].exports["kms_key_arns"]["artifacts"],
    }
    assert rule["bucketKeyEnabled"] is True
    assert (
        graph.one("aws:s3/bucketVersioning:BucketVersioning", "compute-artifacts-versioning")
        .inputs["versioningConfiguration"]["status"]
        == "Enabled"
    )
    ownership = graph.one(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "compute-artifacts-ownership"
    ).inputs["rule"]
    assert ownership["objectOwnership"] == "BucketOwnerEnforced"
    rules = {
        r["id"]: r
        for r in graph.one(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "compute-artifacts-lifecycle"
        ).inputs["rules"]
    }
    assert (
        rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"]["noncurrentDays"]
        == settings(env)["artifactNoncurrentDays"]
    )
    assert (
        rules["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"]["daysAfterInitiation"]
        >= 1
    )
    (statement,) = graph.one("aws:s3/bucketPolicy:BucketPolicy", "compute-artifacts-tls-only").json_input("policy")["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    assert statement["Resource"] == [
        f"arn:aws:s3:::{bucket.inputs['bucket']}",
        f"arn:aws:s3:::{bucket.inputs['bucket']}/*",
    ]


def test_layer_published_from_s3_with_its_hash(synth, env):
    graph = synth(env)["compute"]
    layer = graph.one("aws:lambda/layerVersion:LayerVersion")
    obj = next(
        o
        for o in graph.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
        if o.inputs["key"].startswith("layers/")
    )
    # Published from the signed copy of exactly the uploaded version of the zip.
    job = graph.one("aws:signer/signingJob:SigningJob", "compute-artifacts-layer-signing")
    assert job.inputs["source"]["s3"] == {"bucket": obj.inputs["bucket"], "key": obj.inputs["key"],
                                          "version": obj.outputs["versionId"]}
    assert layer.inputs["s3Key"] == job.outputs["signedObjects"][0]["s3s"][0]["key"]
    assert layer.inputs["s3Key"].startswith("signed/layers/")
    assert layer.inputs["sourceCodeHash"] and layer.inputs["skipDestroy"] is True
    assert layer.inputs["compatibleArchitectures"] == ["arm64"]
    assert layer.inputs["layerName"] == f"serverless-infra-{env}-dependencies"


def test_roles_least_privilege_without_wildcards(synth, env):
    layers = synth(env)
    graph = layers["compute"]
    assert violations(graph, "iam-least-privilege") == []
    data = layers["data"].exports
    proxy_id = data["db_proxy_arn"].rsplit(":", 1)[-1]
    replica_ids = data["db_reader_resource_ids"]
    assert (len(replica_ids) == 1) == (env == "prod")  # prod reads from its replica; the others through the proxy
    docs = {r.name.removeprefix("compute-").removesuffix("-policy"): r.json_input("policy")
            for r in graph.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert set(docs) == set(NAMES)
    for short, doc in docs.items():
        by_sid = {s["Sid"]: s for s in doc["Statement"]}
        group = functions(graph)[short].inputs["loggingConfig"]["logGroup"]
        assert group.startswith(f"/aws/lambda/serverless-infra-{env}-{short}")
        assert by_sid["WriteOwnLogGroup"]["Resource"] == [
            f"arn:aws:logs:us-east-1:123456789012:log-group:{group}:*"
        ]
        # rds-db:connect for its own role only: the owner for migrate, the app role for the others, and the
        # replica only for the api (the one function whose reads go there), as the capped reader role.
        user = data["db_owner_username"] if short == "migrate" else data["db_app_username"]
        instances = replica_ids if short == "api" else []
        assert by_sid["ConnectAsOwnRole"]["Action"] == ["rds-db:connect"]
        assert by_sid["ConnectAsOwnRole"]["Resource"] == [
            f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{proxy_id}/{user}",
            *(f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{rid}/{data['db_reader_username']}" for rid in instances),
        ]
        reads_master = "ReadMasterSecretForBootstrap" in by_sid
        assert reads_master == (short == "migrate")
        assert by_sid["PutOwnMetrics"]["Condition"] == {
            "StringEquals": {"cloudwatch:namespace": f"ServerlessInfra/{env}"}
        }
    q = graph.exports
    sender = {s["Sid"]: s for s in docs["api"]["Statement"]}["SendOrders"]
    assert sender["Action"] == ["sqs:SendMessage"] and sender["Resource"] == [q["queue_arn"]]
    consumer = {s["Sid"]: s for s in docs["worker"]["Statement"]}["ConsumeOrders"]
    assert consumer["Resource"] == [q["queue_arn"]] and "sqs:SendMessage" not in consumer["Action"]
    analyzer = {s["Sid"]: s for s in docs["dlq-analyzer"]["Statement"]}["ConsumeDeadLetters"]
    assert analyzer["Resource"] == [q["dlq_arn"]]
    assert not any("sqs:" in a for s in docs["migrate"]["Statement"] for a in s["Action"])
    bootstrap = {s["Sid"]: s for s in docs["migrate"]["Statement"]}
    assert bootstrap["ReadMasterSecretForBootstrap"]["Resource"] == [data["db_master_secret_arn"]]
    assert bootstrap["DecryptMasterSecret"]["Resource"] == [layers["security"].exports["kms_key_arns"]["database"]]
    assert bootstrap["DecryptMasterSecret"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    }
    attachments = graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert {a.inputs["policyArn"] for a in attachments} == {
        layers["security"].exports["config_read_policy_arn"]
    }
    assert len(attachments) == 4


@pytest.mark.parametrize(
    "override, message",
    [
        (
            {
                "functions": {
                    "api": {"memoryMb": 512, "timeoutSeconds": 25, "reservedConcurrency": 900},
                    "worker": {"memoryMb": 512, "timeoutSeconds": 120, "reservedConcurrency": 5},
                    "dlq-analyzer": {"memoryMb": 256, "timeoutSeconds": 60, "reservedConcurrency": 2},
                    "migrate": {"memoryMb": 256, "timeoutSeconds": 300, "reservedConcurrency": 1},
                }
            },
            r"quota 1000 cannot hold the reservations of dev: dev 908 .* = 1008",
        ),
        (
            {"functions": {fn: {"memoryMb": 512, "timeoutSeconds": 29 if fn == "api" else 60,
                                "reservedConcurrency": 1} for fn in NAMES}},
            "api.timeoutSeconds = 29 must be <= 25",
        ),
        (
            {"queue": {"batchSize": 500, "batchingWindowSeconds": 0, "maxConcurrency": 5}},
            "batchingWindowSeconds >= 1",
        ),
    ],
)
def test_settings_refuse_what_aws_or_the_budget_would(render_variant, override, message):
    from shared.synth.runner import SynthError

    with pytest.raises(SynthError, match=message):
        render_variant("compute", "dev", {f"serverless-infra-compute:{k}": v for k, v in override.items()})


def test_dlq_analyzer_files_into_the_retained_archive(synth, env):
    layers = synth(env)
    compute = layers["compute"]
    queues = {q.inputs["name"]: q for q in compute.of_type(QUEUE)}
    archive = queues[f"serverless-infra-{env}-orders-dlq-archive"]
    assert archive.inputs["kmsMasterKeyId"] == layers["security"].exports["kms_key_arns"]["queues"]
    assert archive.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    assert "redrivePolicy" not in archive.inputs  # no consumer, no DLQ of its own: nothing leaves it by itself
    assert compute.exports["dlq_archive_name"] == archive.inputs["name"]
    analyzer = functions(compute)["dlq-analyzer"]
    assert analyzer.inputs["environment"]["variables"]["DLQ_ARCHIVE_QUEUE_URL"] == compute.exports["dlq_archive_url"]
    docs = {r.name.removeprefix("compute-").removesuffix("-policy"): r.json_input("policy")
            for r in compute.of_type("aws:iam/rolePolicy:RolePolicy")}
    statements = {s["Sid"]: s for s in docs["dlq-analyzer"]["Statement"]}
    assert statements["FileDeadLetters"]["Action"] == ["sqs:SendMessage"]
    assert statements["FileDeadLetters"]["Resource"] == [compute.exports["dlq_archive_arn"]]
    mapped = {m.inputs["eventSourceArn"] for m in compute.of_type(ESM)}
    assert compute.exports["dlq_archive_arn"] not in mapped
    assert {p.name for p in compute.of_type("aws:sqs/queuePolicy:QueuePolicy")} >= {"compute-queues-dlq-archive-tls-only"}
    for resource in (archive, *compute.of_type("aws:sqs/queuePolicy:QueuePolicy")):
        assert resource.options.get("retainOnDelete") is True, resource.name
