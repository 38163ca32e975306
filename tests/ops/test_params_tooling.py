"""`invoke params` and `ops.parameter_store` over real boto3 calls to the SSM emulator on loopback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from invoke.context import Context
from invoke.exceptions import Exit

from ops import params
from ops.parameter_store import ParameterStore, ParameterStoreError
from shared.config import REPO_ROOT

pytestmark = pytest.mark.functional

NAME = "/myapp/dev/api/page_size_max"
SECRET = "/myapp/dev/api/signing_key"


def run(task, endpoint: str, **kwargs):
    return task(Context(), endpoint_url=endpoint, **kwargs)


def test_set_history_rollback_and_label_round_trip(ssm, moto_endpoint, capsys):
    store = ParameterStore(ssm, "dev")
    assert store.set(NAME, "200", description="largest page") == 1
    assert store.set("api/page_size_max", "5000") == 2  # the bad change
    run(params.rollback, moto_endpoint, env="dev", name=NAME, version="1", yes=True)
    assert "is now v3 (value of v1)" in capsys.readouterr().out

    versions = store.history(NAME, decrypt=True)
    assert [(v.version, v.value) for v in versions] == [(1, "200"), (2, "5000"), (3, "200")]
    assert versions[-1].labels == ("current",) and versions[-1].type == "SecureString"
    assert versions[-1].key_id == "alias/serverless-infra-dev-api"  # same key as v1
    assert versions[-1].description == "largest page"
    # What the app pins to: name:label and name:version.
    assert ssm.get_parameter(Name=f"{NAME}:current", WithDecryption=True)["Parameter"]["Value"] == "200"
    assert store.get(NAME, 2, decrypt=True).value == "5000"

    # A second rollback moves the label: one version carries it at a time.
    run(params.rollback, moto_endpoint, env="dev", name=NAME, version="2", yes=True)
    labelled = {v.version: v.labels for v in store.history(NAME)}
    assert labelled[4] == ("current",) and labelled[3] == ()

    run(params.history, moto_endpoint, env="dev", name=NAME)
    out = capsys.readouterr().out
    assert "4 version(s), latest v4" in out
    assert all(f"v{n} " in out for n in (1, 2, 3, 4))
    assert "current" in out and "N/A" in out  # labels and LastModifiedUser (moto reports N/A)


def test_secure_values_are_masked_unless_asked(ssm, moto_endpoint, capsys):
    ParameterStore(ssm, "dev").set(SECRET, "s3cr3t-value-xyz")
    run(params.history, moto_endpoint, env="dev", name=SECRET)
    run(params.list_, moto_endpoint, env="dev")
    run(params.get, moto_endpoint, env="dev", name=SECRET)
    masked = capsys.readouterr().out
    assert "s3cr3t-value-xyz" not in masked and "********" in masked and SECRET in masked
    run(params.get, moto_endpoint, env="dev", name=SECRET, show_secrets=True)
    assert "s3cr3t-value-xyz" in capsys.readouterr().out


def test_set_uses_the_category_key_and_keeps_an_existing_type(ssm):
    store = ParameterStore(ssm, "dev")
    store.set("cache/config_ttl_seconds", "300")
    described = ssm.describe_parameters()["Parameters"]
    assert (
        described[0]["KeyId"] == "alias/serverless-infra-dev-cache" and described[0]["Type"] == "SecureString"
    )
    ssm.put_parameter(Name="/myapp/dev/database/port", Value="5432", Type="String")
    assert store.set("database/port", "6432") == 2
    assert store.get("database/port").type == "String"
    with pytest.raises(ParameterStoreError, match="is a String"):
        store.set("database/port", "1", kind="SecureString")
    assert store.set("api/max_batch_size", "500", label="release-42") == 1
    assert store.get("api/max_batch_size", "release-42", decrypt=True).value == "500"


@pytest.mark.parametrize(
    "name",
    [
        "/myapp/prod/api/page_size_max",  # another env
        "/myapp/dev/secrets/x",  # not a category
        "/etc/passwd",
        "/myapp/dev/api/",  # no key
        "/myapp/dev/api/a/b",  # nested deeper than the hierarchy
    ],
)
def test_set_refuses_names_outside_the_env_hierarchy_and_writes_nothing(ssm, moto_endpoint, name):
    with pytest.raises(Exit) as refused:
        run(params.set_, moto_endpoint, env="dev", name=name, value="1")
    assert refused.value.code == 1 and name in str(refused.value.message)
    assert ssm.describe_parameters()["Parameters"] == []


def test_unknown_names_versions_labels_and_envs_are_clear_errors_that_change_nothing(ssm, moto_endpoint):
    store = ParameterStore(ssm, "dev")
    store.set(NAME, "200")
    store.set(NAME, "300")
    cases = [
        (params.history, {"env": "dev", "name": "api/missing"}, "does not exist in dev"),
        (
            params.rollback,
            {"env": "dev", "name": "api/missing", "version": "1", "yes": True},
            "does not exist",
        ),
        (
            params.rollback,
            {"env": "dev", "name": NAME, "version": "9", "yes": True},
            "no version 9; versions kept: 1, 2",
        ),
        (params.rollback, {"env": "dev", "name": NAME, "version": "2", "yes": True}, "already the latest"),
        (params.rollback, {"env": "dev", "name": NAME, "version": "x", "yes": True}, "not a version number"),
        (
            params.rollback,
            {"env": "dev", "name": NAME, "version": "1", "yes": True, "label": "aws-x"},
            "label",
        ),
        (params.get, {"env": "dev", "name": NAME, "label": "nolabel"}, "has no version or label 'nolabel'"),
        (params.list_, {"env": "qa"}, "'qa' is not one of dev, staging, prod"),
        (params.list_, {"env": "dev", "category": "secrets"}, "not one of database, api, cache"),
    ]
    for task, kwargs, expected in cases:
        with pytest.raises(Exit) as failed:
            run(task, moto_endpoint, **kwargs)
        assert expected in str(failed.value.message), (kwargs, failed.value.message)
    assert [v.version for v in store.history(NAME)] == [1, 2]
    assert all(v.labels == () for v in store.history(NAME))


def test_rollback_asks_and_a_no_changes_nothing(ssm, moto_endpoint, monkeypatch):
    store = ParameterStore(ssm, "dev")
    store.set(NAME, "200")
    store.set(NAME, "300")
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    with pytest.raises(Exit, match="cancelled"):
        run(params.rollback, moto_endpoint, env="dev", name=NAME, version="1")
    assert [v.version for v in store.history(NAME)] == [1, 2]
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    run(params.rollback, moto_endpoint, env="dev", name=NAME, version="1")
    assert store.get(NAME, "current", decrypt=True).value == "200"


def test_cli_honours_aws_endpoint_url_and_fails_without_a_traceback(ssm, moto_endpoint):
    ParameterStore(ssm, "dev").set("cache/idempotency_ttl_seconds", "86400")
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint, "PYTHONPATH": str(REPO_ROOT)}
    invoke = [sys.executable, "-m", "invoke"]
    listed = subprocess.run(
        [*invoke, "params.list", "--env", "dev", "--show-secrets"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "/myapp/dev/cache/idempotency_ttl_seconds" in listed.stdout and "86400" in listed.stdout
    failed = subprocess.run(
        [*invoke, "params.rollback", "--env", "dev", "--name", "cache/nope", "--version", "1", "--yes"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert failed.returncode == 1 and "does not exist in dev" in failed.stderr
    assert "Traceback" not in failed.stderr + failed.stdout
