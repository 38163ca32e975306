"""`invoke release.refresh`: same code, new version, `live` moved; the AWS rules it relies on, one by one.

Against moto's Lambda (in process) wrapped by tests/lambda_rules.StrictLambda, which enforces what moto
does not: update-in-progress conflicts and PublishVersion's CodeSha256/RevisionId guards."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ops.config_refresh import EPOCH_VARIABLE, REFRESHED_FUNCTIONS, RefreshRefused, refresh
from shared.components.compute.settings import FUNCTIONS
from shared.config import Environment
from tests.lambda_rules import StrictLambda, app_zip, deploy_functions

pytestmark = pytest.mark.unit
ENV = Environment.PROD


@pytest.fixture
def client():
    with mock_aws():
        raw = boto3.client("lambda", region_name="us-east-1")
        deploy_functions(raw, boto3.client("iam", region_name="us-east-1"), ENV.value, {"LOG_LEVEL": "INFO"})
        yield StrictLambda(raw)


def name(short: str) -> str:
    return f"serverless-infra-{ENV.value}-{short}"


def live(client, short: str) -> dict:
    version = client.get_alias(FunctionName=name(short), Name="live")["FunctionVersion"]
    return client._client.get_function_configuration(FunctionName=name(short), Qualifier=version)


def test_every_function_with_a_live_alias_is_refreshed():
    assert set(REFRESHED_FUNCTIONS) == set(FUNCTIONS)


def test_a_no_change_publish_publishes_nothing_which_is_why_the_epoch_exists(client):
    assert client.publish_version(FunctionName=name("api"))["Version"] == "1"


def test_refresh_publishes_the_same_code_with_a_new_epoch_and_moves_live(client):
    before = {short: live(client, short) for short in REFRESHED_FUNCTIONS}
    lines = refresh(ENV, client, epoch="e1", reason="incident 42")
    for short in REFRESHED_FUNCTIONS:
        after = live(client, short)
        assert after["Version"] == "2" and after["CodeSha256"] == before[short]["CodeSha256"]
        assert after["Environment"]["Variables"] == {**before[short]["Environment"]["Variables"], EPOCH_VARIABLE: "e1"}
        assert after["Description"] == "config refresh e1 incident 42"
    assert len(lines) == 4 and "live v1 -> v2" in lines[0]
    refresh(ENV, client, epoch="e2")
    assert live(client, "api")["Version"] == "3"  # a second emergency publishes again


def test_refresh_refuses_when_latest_is_not_what_live_runs_and_changes_nothing(client):
    client._client.update_function_code(FunctionName=name("migrate"), ZipFile=app_zip("v2"))  # unpublished code
    with pytest.raises(RefreshRefused, match=r"serverless-infra-prod-migrate: \$LATEST differs from live v1 in CodeSha256"):
        refresh(ENV, client, epoch="e1")
    assert all(live(client, short)["Version"] == "1" for short in REFRESHED_FUNCTIONS)
    assert EPOCH_VARIABLE not in client._client.get_function_configuration(FunctionName=name("api"))["Environment"]["Variables"]


def test_the_rules_the_refresh_waits_for_are_enforced(client):
    client.update_function_configuration(FunctionName=name("api"), Environment={"Variables": {"X": "1"}})
    with pytest.raises(ClientError, match="ResourceConflictException"):
        client.publish_version(FunctionName=name("api"))
    client.get_waiter("function_updated").wait(FunctionName=name("api"))
    with pytest.raises(ClientError, match="InvalidParameterValueException"):
        client.publish_version(FunctionName=name("api"), CodeSha256="not-the-hash")
    with pytest.raises(ClientError, match="PreconditionFailedException"):
        client.publish_version(FunctionName=name("api"), RevisionId="stale")
