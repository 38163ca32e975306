"""The migrate step of a rollout: which function it invokes and how a failure surfaces."""

from __future__ import annotations

import io
import json

import pytest

from ops.migrate import MigrationFailed, run_migrations
from shared.config import Environment

pytestmark = pytest.mark.unit


class LambdaClient:
    """Answers like the Lambda Invoke API: a Payload stream, FunctionError when the handler raised."""

    def __init__(self, payload: object, function_error: str | None = None, raises: Exception | None = None):
        self.payload, self.function_error, self.raises = payload, function_error, raises
        self.calls: list[dict] = []

    def invoke(self, **kwargs):
        self.calls.append(kwargs)
        if self.raises:
            raise self.raises
        response = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.payload).encode())}
        if self.function_error:
            response["FunctionError"] = self.function_error
        return response


def test_invokes_the_live_alias_synchronously_and_returns_the_result():
    client = LambdaClient({"status": "ok", "before": "0001", "after": "0002"})
    assert run_migrations("prod", client)["after"] == "0002"
    call = client.calls[0]
    assert call["FunctionName"] == "serverless-infra-prod-migrate:live"
    assert call["InvocationType"] == "RequestResponse"
    assert json.loads(call["Payload"]) == {"revision": "head"}


def test_a_failing_migration_stops_with_the_handlers_message():
    client = LambdaClient({"errorMessage": "relation orders already exists", "errorType": "ProgrammingError"},
                          function_error="Unhandled")
    with pytest.raises(MigrationFailed, match="serverless-infra-dev-migrate:live failed: relation orders already"):
        run_migrations("dev", client)


def test_an_uninvokable_function_is_a_clear_error():
    with pytest.raises(MigrationFailed, match="could not invoke serverless-infra-staging-migrate:live: no creds"):
        run_migrations("staging", LambdaClient(None, raises=RuntimeError("no creds")))


class NewDatabase(LambdaClient):
    """The owner does not exist until a bootstrap invocation creates it (a freshly created database)."""

    def __init__(self) -> None:
        super().__init__(None)
        self.owner_exists = False

    def invoke(self, **kwargs):
        self.calls.append(kwargs)
        event = json.loads(kwargs["Payload"])
        if event.get("bootstrap"):
            self.owner_exists = True
            body, error = {"status": "ok", "owner": "app_owner", "tables_handed_over": []}, None
        elif self.owner_exists:
            body, error = {"status": "ok", "before": None, "after": "0003"}, None
        else:
            body = {"errorType": "OwnerSignInError", "errorMessage": "could not sign in as app_owner"}
            error = "Unhandled"
        response = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(body).encode())}
        if error:
            response["FunctionError"] = error
        return response


def test_a_new_database_is_bootstrapped_once_then_migrated():
    client = NewDatabase()
    result = run_migrations("dev", client)
    assert result["after"] == "0003" and result["bootstrap"]["owner"] == "app_owner"
    assert [json.loads(c["Payload"]) for c in client.calls] == [
        {"revision": "head"}, {"bootstrap": True}, {"revision": "head"}
    ]
    assert run_migrations("dev", client)["after"] == "0003" and len(client.calls) == 4  # no second bootstrap


def test_bootstrap_can_be_refused_or_run_alone():
    with pytest.raises(MigrationFailed, match="could not sign in as app_owner"):
        run_migrations("dev", NewDatabase(), bootstrap="never")
    client = NewDatabase()
    assert run_migrations("dev", client, bootstrap="only")["owner"] == "app_owner"
    assert [json.loads(c["Payload"]) for c in client.calls] == [{"bootstrap": True}]


def test_other_failures_do_not_trigger_a_bootstrap():
    client = LambdaClient({"errorType": "ProgrammingError", "errorMessage": "boom"}, function_error="Unhandled")
    with pytest.raises(MigrationFailed, match="boom"):
        run_migrations("dev", client)
    assert len(client.calls) == 1


def test_the_default_client_waits_out_the_function_and_never_retries(monkeypatch):
    import boto3

    from ops.migrate import migrate_timeout_seconds

    built: dict = {}
    real_client = boto3.client

    def client(service, **kwargs):
        built["client"] = real_client(service, **kwargs)
        return LambdaClient({"status": "ok"})

    monkeypatch.setattr(boto3, "client", client)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    run_migrations("prod")
    config = built["client"].meta.config
    timeout = migrate_timeout_seconds(Environment.PROD)
    assert timeout == 300
    assert config.read_timeout > timeout, "boto3's default 60 s would report a long migration as failed"
    assert config.retries["total_max_attempts"] == 1, "a retry would run the migration twice"
