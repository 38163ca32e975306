"""Environment, region and settings validation; the standard tags."""

from __future__ import annotations

import pytest

from shared.components.network import NetworkSettings
from shared.config import (
    REPO_ROOT,
    ConfigError,
    Environment,
    SharedSettings,
    StackContext,
    check_region,
    load_shared_settings,
    validate_settings,
)
from shared.tags import REQUIRED_TAG_KEYS, effective_tags, standard_tags

pytestmark = pytest.mark.unit

FILE = "projects/network/Pulumi.dev.yaml"
GOOD = {"vpcCidr": "10.10.0.0/16", "azCount": 2, "endpointAzCount": 1}


def test_only_three_environments():
    assert [e.value for e in Environment] == ["dev", "staging", "prod"]
    with pytest.raises(ConfigError, match="'production' is not one of dev, staging, prod"):
        Environment.parse("production")


def test_region_is_pinned():
    assert check_region("us-east-1", FILE) == "us-east-1"
    with pytest.raises(ConfigError, match=r"projects/network/Pulumi.dev.yaml: key 'aws:region' = 'eu-west-1'"):
        check_region("eu-west-1", FILE)
    with pytest.raises(ConfigError, match="None"):
        check_region(None, FILE)


def test_error_names_key_value_and_file():
    with pytest.raises(ConfigError) as caught:
        validate_settings(NetworkSettings, {**GOOD, "azCount": 5}, FILE)
    assert str(caught.value).startswith(f"{FILE}: key 'azCount' = 5:")


def test_unknown_key_is_reported_as_a_probable_typo():
    with pytest.raises(ConfigError, match="key 'egresMode' = 'nat': unknown key"):
        validate_settings(NetworkSettings, {**GOOD, "egresMode": "nat"}, FILE)


@pytest.mark.parametrize("bad, fragment", [
    ({"vpcCidr": "8.8.0.0/16"}, "private IPv4 range"),
    ({"vpcCidr": "10.0.0.0/24"}, "between /16 and /20"),
    ({"egressMode": "internet"}, "'none' or 'nat'"),
    ({"endpointAzCount": 3}, "exceeds azCount"),
    ({"flowLogRetentionDays": 45}, "CloudWatch Logs accepts only"),
    ({"interfaceEndpoints": ["ssm"]}, "cannot work without endpoints"),
])
def test_network_settings_refuse_what_aws_or_the_design_refuses(bad, fragment):
    with pytest.raises(ConfigError, match=fragment):
        validate_settings(NetworkSettings, {**GOOD, **bad}, FILE)


def test_every_env_has_valid_shared_settings():
    for env in Environment:
        settings = load_shared_settings(env)
        assert settings.organization and settings.owner


def test_shared_settings_reject_bad_account_ids(tmp_path):
    with pytest.raises(ConfigError, match="not a 12-digit AWS account id"):
        validate_settings(SharedSettings, {"owner": "o", "costCenter": "c", "compliance": "x", "backup": "b",
                                           "account": {"id": "123456789012"},
                                           "allowedAccountIds": ["1234"]}, "config/dev.yaml")
    assert (REPO_ROOT / "config" / "prod.yaml").exists()


def test_standard_tags_and_effective_tags():
    ctx = StackContext("data", Environment.PROD, load_shared_settings(Environment.PROD))
    tags = standard_tags(ctx)
    assert set(REQUIRED_TAG_KEYS) <= set(tags)
    assert tags["Environment"] == "prod" and tags["Application"] == "serverless-infra"
    merged = effective_tags(tags, {"Name": "x", "Owner": "dba-team"})
    assert merged["Name"] == "x" and merged["Owner"] == "dba-team" and merged["CostCenter"] == tags["CostCenter"]
