"""Api settings: what a stack file may say, and the messages for what it may not."""

from __future__ import annotations

from typing import Any

import pytest

from shared.components.api.settings import ApiSettings
from shared.config import ConfigError, validate_settings
from shared.synth.render import layer_config

pytestmark = pytest.mark.unit
SOURCE = "projects/api/Pulumi.dev.yaml"


def settings(**overrides: Any) -> ApiSettings:
    values = {**layer_config("api", "prod"), **overrides}
    return validate_settings(ApiSettings, values, SOURCE)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_stack_file_validates(env):
    validate_settings(ApiSettings, layer_config("api", env), f"projects/api/Pulumi.{env}.yaml")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"domain": {"name": "api.example.com"}}, "key 'domain.hostedZoneId'"),
        ({"domain": {"hostedZoneId": "Z0123456789ABCDEFGHIJ"}}, "key 'domain.name'"),
        ({"domain": {"name": "API.example.com", "hostedZoneId": "Z0123"}}, "lowercase DNS name"),
        ({"cache": {"clusterSize": "1.0"}}, "key 'cache.clusterSize'"),
        ({"cache": {"clusterSize": "0.5", "ttlSeconds": {"POST /orders": 30}}}, "only GET routes are cached"),
        ({"cache": {"clusterSize": "0.5", "ttlSeconds": {"GET /orders": 7200}}}, "0-3600"),
        ({"cache": {"clusterSize": None, "ttlSeconds": {"GET /orders": 30}}}, "clusterSize is null"),
        ({"methodThrottles": {"POST /orders/batch": {"rateLimit": 900, "burstLimit": 10}}}, "looser than the stage"),
        ({"methodThrottles": {"orders": {"rateLimit": 1, "burstLimit": 1}}}, "is not 'METHOD /path'"),
        ({"throttle": {"rateLimit": 20000, "burstLimit": 10}}, "key 'throttle.rateLimit'"),
        ({"waf": {"enabled": True, "rateLimitPerIp": 5}}, "key 'waf.rateLimitPerIp'"),
        ({"waf": {"enabled": True, "evaluationWindowSeconds": 30}}, "WAF accepts only"),
        ({"logRetentionDays": 10}, "CloudWatch Logs accepts only"),
        ({"stageName": "v 1"}, "stage names"),
        ({"usagePlans": {"gold": {"throttle": {"rateLimit": 1, "burstLimit": 1},
                                  "quota": {"limit": 1, "period": "YEAR"}}}}, "quota.period"),
        ({"stageNmae": "v1"}, "unknown key"),
    ],
)
def test_refused_with_file_and_key(overrides, message):
    with pytest.raises(ConfigError) as caught:
        settings(**overrides)
    assert SOURCE in str(caught.value) and message in str(caught.value)


def test_compute_api_timeout_is_checked_against_the_gateway_headroom():
    from shared.aws_limits import API_FUNCTION_MAX_TIMEOUT_SECONDS
    from shared.components.compute import ComputeSettings

    values = layer_config("compute", "prod")
    values["functions"]["api"]["timeoutSeconds"] = API_FUNCTION_MAX_TIMEOUT_SECONDS
    validate_settings(ComputeSettings, values, "projects/compute/Pulumi.prod.yaml")
    values["functions"]["api"]["timeoutSeconds"] = API_FUNCTION_MAX_TIMEOUT_SECONDS + 1
    with pytest.raises(ConfigError, match=r"API Gateway's integration timeout \(29 s\) minus 4 s headroom"):
        validate_settings(ComputeSettings, values, "projects/compute/Pulumi.prod.yaml")


def test_the_account_setting_is_owned_by_the_most_production_like_env_of_an_account(tmp_path):
    import shutil

    import yaml

    from shared.components.api.account import account_settings_owner
    from shared.config import REPO_ROOT, Environment

    shutil.copytree(REPO_ROOT / "config", tmp_path / "config")
    # As shipped: one account per env, each env owns its own.
    assert [account_settings_owner(e, tmp_path) for e in Environment] == list(Environment)
    # dev and staging moved into prod's account: prod owns the setting for all three.
    prod_account = yaml.safe_load((tmp_path / "config" / "prod.yaml").read_text())["account"]["id"]
    for env in ("dev", "staging"):
        path = tmp_path / "config" / f"{env}.yaml"
        raw = yaml.safe_load(path.read_text())
        raw["account"]["id"] = prod_account
        raw["allowedAccountIds"] = [prod_account]
        path.write_text(yaml.safe_dump(raw))
    assert {account_settings_owner(e, tmp_path) for e in Environment} == {Environment.PROD}
