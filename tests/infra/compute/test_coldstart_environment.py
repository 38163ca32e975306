"""The cold-start benchmark runs each function with the settings the compute layer deploys (graph -> bench)."""

from __future__ import annotations

import pytest

from app.config import Pointers
from app.observability import tracing_disabled
from ops.coldstart import Sandbox, child_env, settings_from_graph

pytestmark = pytest.mark.synth


@pytest.mark.parametrize("function", ["api", "worker"])
def test_bench_environment_is_the_deployed_one_with_tracing_on(synth, env, function, tmp_path, monkeypatch):
    graph = synth(env)["compute"]
    settings = settings_from_graph(graph, env, function)
    deployed = graph.one("aws:lambda/function:Function", f"compute-{function}-function")
    assert settings["memory_mb"] == deployed.inputs["memorySize"]
    assert settings["variables"] == deployed.inputs["environment"]["variables"]
    variables = child_env(settings, Sandbox(tmp_path), f"app.handlers.{function}.lambda_handler", "http://e", "x:1", "q")
    for key, value in settings["variables"].items():
        if key not in ("ORDERS_QUEUE_URL", "DATABASE_IAM_AUTH"):
            assert variables[key] == value, key
    # IAM auth as configured: signed (and timed) by the child, since the local PostgreSQL has no TLS.
    iam = settings["variables"]["DATABASE_IAM_AUTH"] == "true"
    assert (variables.get("COLDSTART_SIGN_TOKEN") == "true") is iam
    # What the app reads from that environment: the env's SSM hierarchies, tracing on.
    pointers = Pointers.from_env(variables)
    assert pointers.env == env and pointers.prefixes["database"] == f"/myapp/{env}/database/"
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)  # the child's environment is only `variables`
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    assert not tracing_disabled()


def test_provisioned_floor_is_read_for_the_api_only(synth):
    graph = synth("prod")["compute"]
    assert settings_from_graph(graph, "prod", "api")["provisioned_floor"] >= 1
    assert settings_from_graph(graph, "prod", "worker")["provisioned_floor"] == 0
