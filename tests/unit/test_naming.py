"""Resource names: the pattern and each AWS service's limits."""

from __future__ import annotations

import pytest

from shared.config import ConfigError
from shared.naming import NamingError, kms_alias_name, log_group_name, resource_name

pytestmark = pytest.mark.unit


def test_pattern_with_and_without_qualifier():
    assert resource_name("prod", "api") == "serverless-infra-prod-api"
    assert resource_name("dev", "sg", "lambda") == "serverless-infra-dev-sg-lambda"


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="'qa' is not one of dev, staging, prod"):
        resource_name("qa", "api")


@pytest.mark.parametrize("segment", ["Api", "api_gw", "-api", "api-", "", "a b"])
def test_bad_segments_are_refused(segment):
    with pytest.raises(NamingError, match="lowercase"):
        resource_name("dev", segment)


def test_service_length_limits():
    # S3: 63 characters; "serverless-infra-staging-artifacts-" is 35, so a 29-char qualifier breaks it.
    assert len(resource_name("staging", "artifacts", "a" * 28, service="s3")) == 63
    with pytest.raises(NamingError, match="64 characters; s3 allows at most 63"):
        resource_name("staging", "artifacts", "a" * 29, service="s3")
    with pytest.raises(NamingError, match="lambda allows at most 64"):
        resource_name("prod", "function", "x" * 40, service="lambda")
    with pytest.raises(NamingError, match="iam allows at most 64"):
        resource_name("prod", "role", "y" * 40, service="iam")


def test_rds_identifier_rules():
    assert resource_name("prod", "db", "replica-1", service="rds") == "serverless-infra-prod-db-replica-1"
    with pytest.raises(NamingError, match="unknown service"):
        resource_name("prod", "db", service="rdss")


def test_alias_and_log_group_helpers():
    assert kms_alias_name("dev", "database") == "alias/serverless-infra-dev-database"
    assert log_group_name("/aws/lambda", "prod", "api") == "/aws/lambda/serverless-infra-prod-api"
    with pytest.raises(NamingError, match="must start with '/'"):
        log_group_name("aws/lambda", "prod", "api")
