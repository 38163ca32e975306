"""Observability contract of the handlers: cold-start metric, metrics flushed once per invocation,
correlation ids that are safe to log and to send as SQS message attributes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.contract import metrics_namespace

pytestmark = pytest.mark.functional

SCRIPT = """
from app.handlers import api
from app.local import FakeContext, api_event
for _ in range(3):
    api.lambda_handler(api_event("GET", "/health"), FakeContext(function_name="api"))
api.metrics.add_metric(name="Probe", unit="Count", value=1)
api.lambda_handler(api_event("GET", "/health"), FakeContext(function_name="api"))
"""


def test_cold_start_metric_once_per_environment_and_one_flush_per_invocation() -> None:
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": metrics_namespace("dev")}
    env["PYTHONPATH"] = os.getcwd()
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", SCRIPT], env=env, capture_output=True, text=True,
                         check=True, timeout=60).stdout
    blobs = [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]
    names = [[m["Name"] for d in b["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]] for b in blobs]
    assert names.count(["ColdStart"]) == 1
    cold = next(b for b in blobs if "ColdStart" in b)
    assert set(cold["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) == {"function_name", "service"}
    assert names.count(["Probe"]) == 1  # metrics of an invocation leave in one EMF blob, at its end


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        ("cid-ok_1.2:3/4@x+y=z", True),
        ("x" * 128, True),
        ("x" * 129, False),  # too long: not truncated into something that looks valid
        ("bad\u0001control", False),  # SQS refuses it as a message attribute
        ("spaces are odd", False),
        ("", False),
    ],
)
def test_correlation_id_is_echoed_only_when_safe(sent: str, echoed: bool) -> None:
    from app.handlers import api
    from app.local import FakeContext, api_event

    event = api_event("GET", "/health", {"X-Correlation-Id": sent})
    answer = api.lambda_handler(event, FakeContext(function_name="api"))
    cid = answer["multiValueHeaders"]["X-Correlation-Id"][0]
    assert cid == (sent if echoed else event["requestContext"]["requestId"])
