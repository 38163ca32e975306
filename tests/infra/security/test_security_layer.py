"""The security layer, per env: keys per category, the parameter hierarchy, the config-read policy."""

from __future__ import annotations

import json

import pytest

from shared.synth import fake_aws
from shared.synth.crossguard import violations
from shared.synth.graph import SECRET_MASK, GraphResource, LayerGraph
from shared.synth.render import layer_config

pytestmark = pytest.mark.synth

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
PARAMETER = "aws:ssm/parameter:Parameter"
POLICY = "aws:iam/policy:Policy"
PASSWORD = "random:index/randomPassword:RandomPassword"
CONTRACT_CATEGORIES = {"database", "api", "cache", "logs", "queues", "artifacts", "lambda"}


def stack_settings(env: str) -> dict:
    return layer_config("security", env)


def keys_by_category(graph: LayerGraph) -> dict[str, GraphResource]:
    """category -> the key resource, found through the alias that names it."""
    arn_of_id = {k.outputs["keyId"]: k for k in graph.of_type(KEY)}
    found = {}
    for alias in graph.of_type(ALIAS):
        category = alias.inputs["name"].removeprefix(f"alias/serverless-infra-{graph.env}-")
        found[category] = arn_of_id[alias.inputs["targetKeyId"]]
    return found


def test_one_rotated_key_per_category_with_its_alias(synth, env):
    graph = synth(env)["security"]
    keys = keys_by_category(graph)
    assert set(keys) == CONTRACT_CATEGORIES
    assert len(graph.of_type(KEY)) == len(CONTRACT_CATEGORIES)
    assert {c: k.outputs["arn"] for c, k in keys.items()} == graph.exports["kms_key_arns"]
    assert len(set(graph.exports["kms_key_arns"].values())) == len(CONTRACT_CATEGORIES)
    settings = stack_settings(env)
    for key in keys.values():
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["rotationPeriodInDays"] == settings["keyRotationPeriodDays"]
        assert key.inputs["deletionWindowInDays"] == settings["keyDeletionWindowDays"]
        assert env in key.inputs["description"]


def test_prod_keeps_the_longest_deletion_window(synth):
    windows = {
        env: synth(env)["security"].of_type(KEY)[0].inputs["deletionWindowInDays"]
        for env in ("dev", "staging", "prod")
    }
    assert windows["prod"] == 30 and windows["dev"] < windows["prod"]


def test_key_policies_have_no_star_principal_and_are_scoped_to_services(synth, env):
    graph = synth(env)["security"]
    account = fake_aws.ACCOUNT_ID
    for category, key in keys_by_category(graph).items():
        statements = {s["Sid"]: s for s in key.json_input("policy")["Statement"]}
        assert statements["AccountAdministersKeyThroughIam"]["Principal"] == {
            "AWS": f"arn:aws:iam::{account}:root"
        }
        for sid, statement in statements.items():
            principal = statement["Principal"]
            assert principal != "*" and "*" not in json.dumps(principal), f"{category} {sid}"
            if sid != "AccountAdministersKeyThroughIam":
                assert statement["Condition"], (
                    f"{category} {sid} lets a principal use the key unconditionally"
                )
                assert "kms:*" not in statement["Action"]
        use = statements.get("UseThroughServices")
        if category in ("database", "api", "cache"):
            assert use is not None, f"{category} key has no UseThroughServices statement"
            assert "ssm.us-east-1.amazonaws.com" in use["Condition"]["StringEquals"]["kms:ViaService"]
            assert use["Condition"]["StringEquals"]["kms:CallerAccount"] == account
    vias = {
        c: set(
            k.json_input("policy")["Statement"][1]["Condition"]
            .get("StringEquals", {})
            .get("kms:ViaService", [])
        )
        for c, k in keys_by_category(graph).items()
    }
    assert vias["database"] == {f"{s}.us-east-1.amazonaws.com" for s in ("ssm", "rds", "secretsmanager")}
    assert vias["queues"] == {"sqs.us-east-1.amazonaws.com"}
    assert vias["artifacts"] == {"s3.us-east-1.amazonaws.com"}
    assert vias["lambda"] == {"lambda.us-east-1.amazonaws.com"}


def test_logs_key_serves_only_this_envs_log_groups(synth, env):
    key = keys_by_category(synth(env)["security"])["logs"]
    statements = {s["Sid"]: s for s in key.json_input("policy")["Statement"]}
    logs = statements["CloudWatchLogsUseKey"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    pattern = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert pattern == [
        f"arn:aws:logs:us-east-1:{fake_aws.ACCOUNT_ID}:log-group:*serverless-infra-{env}-*",
        # API Gateway's execution logs (api layer): a name AWS imposes, without the env in it.
        f"arn:aws:logs:us-east-1:{fake_aws.ACCOUNT_ID}:log-group:API-Gateway-Execution-Logs_*",
    ]
    assert set(statements) == {"AccountAdministersKeyThroughIam", "CloudWatchLogsUseKey"}


def test_parameters_live_in_the_env_hierarchy_encrypted_with_their_category_key(synth, env):
    graph = synth(env)["security"]
    arns = graph.exports["kms_key_arns"]
    prefixes = graph.exports["parameter_prefixes"]
    assert prefixes == {c: f"/myapp/{env}/{c}/" for c in ("database", "api", "cache")}
    names = set()
    for parameter in graph.of_type(PARAMETER):
        name = parameter.inputs["name"]
        category = name.split("/")[3]
        assert name.startswith(prefixes[category])
        assert parameter.inputs["type"] == "SecureString"
        assert parameter.inputs["keyId"] == arns[category], name
        assert parameter.inputs["description"]
        assert parameter.inputs["tier"] == stack_settings(env)["parameterTier"]
        names.add(name.removeprefix(f"/myapp/{env}/"))
    assert {
        "api/max_batch_size",
        "api/page_size_default",
        "api/page_size_max",
        "api/signing_key",
        "cache/config_ttl_seconds",
    } <= names


@pytest.mark.unit
def test_parameter_values_come_from_the_typed_settings():
    from shared.components.security.parameters import parameter_specs
    from shared.components.security.settings import SecuritySettings

    settings = SecuritySettings.model_validate(
        {
            "keyDeletionWindowDays": 7,
            "apiParameters": {"maxBatchSize": 250, "pageSizeMax": 100},
            "cacheParameters": {"configTtlSeconds": 60},
        }
    )
    values = {f"{p.category}/{p.key}": p.value for p in parameter_specs(settings, "generated")}
    assert values == {
        "api/max_batch_size": "250",
        "api/page_size_default": "50",
        "api/page_size_max": "100",
        "api/signing_key": "generated",
        "cache/config_ttl_seconds": "60",
    }


def test_signing_key_is_generated_and_appears_nowhere_in_graph_or_exports(synth, env):
    graph = synth(env)["security"]
    password = graph.one(PASSWORD)
    _, fake = fake_aws.fake_resource(password.type, password.name, password.urn, password.inputs)
    secret = fake["result"]
    assert password.inputs["length"] == stack_settings(env)["signingKeyLength"]  # what the program asks for
    assert secret not in graph.to_json()
    assert password.outputs["result"] == SECRET_MASK
    signing = next(p for p in graph.of_type(PARAMETER) if p.inputs["name"].endswith("/api/signing_key"))
    assert "value" in signing.secret_inputs and signing.inputs["value"] == SECRET_MASK
    assert password.urn in signing.dependencies
    assert secret not in json.dumps(graph.exports)


def test_config_read_policy_has_no_wildcards_and_reaches_only_this_env(synth, env):
    graph = synth(env)["security"]
    assert violations(graph, "iam-least-privilege") == []
    policy = graph.one(POLICY)
    assert graph.exports["config_read_policy_arn"] == policy.outputs["arn"]
    doc = policy.json_input("policy")
    allowed_keys = {graph.exports["kms_key_arns"][c] for c in ("database", "api", "cache")}
    ssm_base = f"arn:aws:ssm:us-east-1:{fake_aws.ACCOUNT_ID}:parameter/myapp/{env}/"
    actions = set()
    for statement in doc["Statement"]:
        actions |= set(statement["Action"])
        for resource in statement["Resource"]:
            if resource.startswith("arn:aws:kms:"):
                assert resource in allowed_keys
                condition = statement["Condition"]
                assert condition["StringEquals"] == {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}
                contexts = condition["StringLike"]["kms:EncryptionContext:PARAMETER_ARN"]
                assert sorted(contexts) == sorted(f"{ssm_base}{c}/*" for c in ("database", "api", "cache"))
            else:
                assert resource.startswith(ssm_base), resource
                assert resource.removeprefix(ssm_base).split("/")[0] in ("database", "api", "cache")
    assert actions == {
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
        "ssm:GetParameterHistory",
        "kms:Decrypt",
    }
    resources = doc["Statement"][0]["Resource"]
    for category in ("database", "api", "cache"):  # GetParametersByPath is authorized on the path itself
        assert f"{ssm_base}{category}" in resources and f"{ssm_base}{category}/*" in resources


def test_staging_policy_cannot_reach_prod(synth):
    staging, prod = synth("staging")["security"], synth("prod")["security"]
    staging_resources = [
        r for s in staging.one(POLICY).json_input("policy")["Statement"] for r in s["Resource"]
    ]
    prod_keys = set(prod.exports["kms_key_arns"].values())
    assert not prod_keys & set(staging.exports["kms_key_arns"].values())
    for resource in staging_resources:
        assert "/myapp/prod" not in resource and resource not in prod_keys
        assert "/myapp/staging/" in resource + "/" or resource in staging.exports["kms_key_arns"].values()


def test_bad_security_config_names_key_value_and_file(render_variant):
    from shared.synth.runner import SynthError

    with pytest.raises(SynthError) as caught:
        render_variant("security", "prod", {"serverless-infra-security:keyDeletionWindowDays": 45})
    assert "projects/security/Pulumi.prod.yaml" in str(
        caught.value
    ) and "'keyDeletionWindowDays' = 45" in str(caught.value)
    with pytest.raises(SynthError, match="pageSizeDefault"):
        render_variant(
            "security", "dev", {"serverless-infra-security:apiParameters": {"pageSizeDefault": 500}}
        )
