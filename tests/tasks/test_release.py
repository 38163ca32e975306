"""`invoke release list|rollback` against moto's Lambda: versions behind live, rollback of api and worker."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from moto import mock_aws

from ops.release import RollbackRefused, release_list, rollback
from shared.config import Environment

pytestmark = pytest.mark.unit
ENV = Environment.STAGING


def zipped(body: str) -> bytes:
    """A deterministic zip, like `invoke build`'s: api and worker ship the same bytes, so the same hash."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("app/handler.py", date_time=(1980, 1, 1, 0, 0, 0)), body)
    return buffer.getvalue()


@pytest.fixture
def lambda_client():
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))
        client = boto3.client("lambda", region_name="us-east-1")
        for short in ("api", "worker"):
            name = f"serverless-infra-{ENV.value}-{short}"
            client.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"],
                                   Handler="app.handler.lambda_handler", Code={"ZipFile": zipped("v1")})
            client.publish_version(FunctionName=name, Description="release 1")
            for release in ("2", "3"):
                client.update_function_code(FunctionName=name, ZipFile=zipped(f"v{release}"))
                client.publish_version(FunctionName=name, Description=f"release {release}")
            client.create_alias(FunctionName=name, Name="live", FunctionVersion="3")
        yield WithProvisionedConcurrency(client)


class WithProvisionedConcurrency:
    """moto's Lambda plus GetProvisionedConcurrencyConfig (moto: "Not yet implemented"): the api's live alias
    carries provisioned concurrency, re-allocating after an alias move; the worker has none (AWS raises
    ProvisionedConcurrencyConfigNotFoundException)."""

    def __init__(self, client) -> None:
        self._client = client

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    def get_provisioned_concurrency_config(self, FunctionName: str, Qualifier: str):  # noqa: N803
        if FunctionName.endswith("-api") and Qualifier == "live":
            return {"RequestedProvisionedConcurrentExecutions": 5, "Status": "IN_PROGRESS"}
        error = {"Error": {"Code": "ProvisionedConcurrencyConfigNotFoundException", "Message": "No config"}}
        raise self._client.exceptions.ProvisionedConcurrencyConfigNotFoundException(
            error, "GetProvisionedConcurrencyConfig")


def live(client, short: str) -> str:
    return client.get_alias(FunctionName=f"serverless-infra-{ENV.value}-{short}", Name="live")["FunctionVersion"]


def test_list_shows_versions_behind_live_with_code_hashes(lambda_client):
    listed = release_list(ENV, lambda_client)
    api = [v for v in listed if v.function.endswith("-api")]
    assert [v.version for v in api] == [3, 2, 1] and api[0].live and not api[1].live
    assert len({v.code_sha256 for v in api}) == 3 and all(v.last_modified for v in api)
    assert "live -> serverless-infra-staging-api" in api[0].line()


def test_rollback_moves_live_of_api_and_worker_to_the_previous_release(lambda_client):
    moved = rollback(ENV, lambda_client)
    assert live(lambda_client, "api") == live(lambda_client, "worker") == "2"
    assert any("live v3 -> v2" in line for line in moved)
    api_line = next(line for line in moved if "-api:" in line)
    assert "provisioned concurrency 5 follows the alias: IN_PROGRESS" in api_line
    assert [v.version for v in release_list(ENV, lambda_client) if v.live] == [2, 2]


def test_rollback_to_a_version_or_hash_and_refusals_move_nothing(lambda_client):
    rollback(ENV, lambda_client, to="1")
    assert live(lambda_client, "api") == live(lambda_client, "worker") == "1"
    with pytest.raises(RollbackRefused, match="no version with other code behind live v1"):
        rollback(ENV, lambda_client)
    with pytest.raises(RollbackRefused, match="--to 3: no api version"):
        rollback(ENV, lambda_client, to="3")  # v3 is ahead of live now: not behind it
    assert live(lambda_client, "api") == "1"
