"""Every custom metric the observability layer graphs or alarms on is one the app really emits.

Per env: take the synthesized layers (the session's synth, as `invoke synth` renders them) and the
Powertools environment the compute layer gives each function (service name, metrics namespace, function
name); run the real handlers with it against PostgreSQL and the AWS emulator (tests/app/metrics_scenario.py);
capture the EMF blobs and JSON log lines they print; check that each (namespace, metric, dimensions) the
observability graph names outside ``AWS/*`` and its own log-filter namespace is among what was emitted, and
each log field the filters and queries read is in the app's log lines. Across the boundary, per env: the
namespace compute gives the functions == the one the layer references == the one the handlers emit into
== ``app.contract.metrics_namespace(env)``, and it differs from every other env's. A dashboard or alarm on
a metric nobody emits fails here.
(A functional test among the synth tests: it needs the session's graphs and the app's services, see
conftest.py here.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.contract import metrics_namespace
from shared.components.observability.logs import APP_LOG_FIELDS
from shared.components.observability.metrics import log_metrics_namespace
from shared.components.observability.upstream import WATCHED_FUNCTIONS
from shared.config import Environment
from shared.synth.graph import LayerGraph
from tests.app.conftest import APP_ENV, SESSION_ENV

pytestmark = [pytest.mark.synth, pytest.mark.functional]

ROOT = Path(__file__).resolve().parents[3]
Key = tuple[str, str, frozenset[tuple[str, str]]]


@pytest.fixture(scope="module")
def observed() -> dict[str, tuple[set[Key], list[dict[str, Any]]]]:
    """What the scenario emitted, per env (filled by the first test of each env)."""
    return {}


def function_specs(compute: LayerGraph) -> dict[str, dict[str, str]]:
    """What each watched function runs with on Lambda: its name and its Powertools environment."""
    specs = {}
    for fn in compute.of_type("aws:lambda/function:Function"):
        variables = fn.inputs["environment"]["variables"]
        key = fn.inputs["name"].removeprefix(f"serverless-infra-{compute.env}-")
        if key in WATCHED_FUNCTIONS:
            specs[key] = {"name": fn.inputs["name"], "service": variables["POWERTOOLS_SERVICE_NAME"],
                          "namespace": variables["POWERTOOLS_METRICS_NAMESPACE"]}
    assert set(specs) == set(WATCHED_FUNCTIONS)
    return specs


def run_scenario(specs: dict[str, dict[str, str]], dead_db_url: str) -> tuple[set[Key], list[dict[str, Any]]]:
    stdout = ""
    for function in ("api", "worker", "dlq-analyzer"):  # in order: the worker reads what the api enqueued
        env = {**os.environ, **APP_ENV, **SESSION_ENV, "SCENARIO_FUNCTIONS": json.dumps(specs), "SCENARIO_FUNCTION": function,
               "DEAD_DATABASE_URL": dead_db_url, "POWERTOOLS_LOG_LEVEL": "INFO", "POWERTOOLS_TRACE_DISABLED": "true",
               "PYTHONPATH": str(ROOT)}
        proc = subprocess.run([sys.executable, "-W", "ignore", str(ROOT / "tests" / "app" / "metrics_scenario.py")],
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, f"{function}: {proc.stderr[-3000:]}"
        stdout += proc.stdout
    emitted: set[Key] = set()
    logs = []
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        blob = json.loads(line)
        if "_aws" not in blob:
            logs.append(blob)
            continue
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dims = frozenset((k, str(blob[k])) for k in dimension_set)
                for metric in directive["Metrics"]:
                    emitted.add((directive["Namespace"], metric["Name"], dims))
    return emitted, logs


def referenced_app_metrics(graph: LayerGraph) -> set[Key]:
    """(namespace, name, dimensions) of every custom metric an alarm or a widget names, except the layer's own
    log-filter metrics: whatever the namespace, so a reference to another env's (or no env's) fails below."""
    found: set[Key] = set()
    own_logs = log_metrics_namespace(Environment(graph.env))

    def add(namespace: str, name: str, dims: dict[str, str]) -> None:
        if not namespace.startswith("AWS/") and namespace != own_logs:
            found.add((namespace, name, frozenset(dims.items())))

    for alarm in graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        if alarm.inputs.get("metricName"):
            add(alarm.inputs["namespace"], alarm.inputs["metricName"], alarm.inputs.get("dimensions") or {})
        for q in alarm.inputs.get("metricQueries") or []:
            if q.get("metric"):
                add(q["metric"]["namespace"], q["metric"]["metricName"], q["metric"].get("dimensions") or {})
    for dashboard in graph.of_type("aws:cloudwatch/dashboard:Dashboard"):
        for widget in json.loads(dashboard.inputs["dashboardBody"])["widgets"]:
            for line in (widget.get("properties") or {}).get("metrics") or []:
                names = [p for p in line if isinstance(p, str)]
                if names:
                    add(names[0], names[1], dict(zip(names[2::2], names[3::2], strict=True)))
    return found


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])  # overrides the env fixture
def test_every_app_metric_the_layer_references_is_emitted(
    env: str, synth: Any, observed: dict, stack: dict, purge_queues: None, dead_db_url: str
) -> None:
    layers = synth(env)
    specs = function_specs(layers["compute"])
    emitted, logs = observed[env] = run_scenario(specs, dead_db_url)
    referenced = referenced_app_metrics(layers["observability"])
    assert len(referenced) >= 15, "the layer graphs the business metrics"
    # One namespace, the env's own, on all three sides: compute's env var, the layer's references, the EMF.
    configured = {spec["namespace"] for spec in specs.values()}
    assert configured == {ns for ns, _, _ in referenced} == {ns for ns, _, _ in emitted} == {metrics_namespace(env)}
    missing = sorted((name, sorted(dims)) for ns, name, dims in referenced - emitted)
    assert not missing, f"metrics graphed or alarmed on that the app never emits: {missing}"
    # where reads go to a replica, the replica-full ticket watches what the api emits when the replica refuses
    # the reader role as full (SQLSTATE 53300; the scenario's read as the capped reader role): prod
    full = (metrics_namespace(env), "ReplicaFullFallbacks", frozenset({("service", "api")}))
    assert (full in referenced) == (layers["data"].exports["db_connection_limits"]["reader_routing"] == "replica")
    assert full in emitted
    # and the log fields the metric filters and saved queries read are in the app's JSON lines
    fields = set().union(*(line.keys() for line in logs))
    assert set(APP_LOG_FIELDS) <= fields, sorted(set(APP_LOG_FIELDS) - fields)
    messages = {line.get("message") for line in logs}
    assert {"record failed", "dlq summary", "dependency unavailable"} <= messages
    rejected = [line for line in logs if line.get("message") == "record failed"]
    assert rejected and all(":" in line["error"] for line in rejected)  # parse error /^(?<reason>..):/


def test_a_metric_the_app_does_not_emit_is_caught(synth: Any, observed: dict) -> None:
    """The check bites: a renamed dimension value (what a compute change of service names would do)."""
    if "dev" not in observed:
        pytest.skip("runs after the dev proof above (it reuses what the scenario emitted)")
    emitted, _ = observed["dev"]
    referenced = referenced_app_metrics(synth("dev")["observability"])
    assert referenced <= emitted
    renamed = {(ns, name, frozenset((k, "orders-api" if v == "api" else v) for k, v in dims))
               for ns, name, dims in referenced}
    assert renamed - emitted
    # ... and the namespace is part of the check: prod's references are not what dev's handlers emitted.
    prod = referenced_app_metrics(synth("prod")["observability"])
    assert {(name, dims) for _, name, dims in prod} & {(name, dims) for _, name, dims in emitted}
    assert not prod & emitted
