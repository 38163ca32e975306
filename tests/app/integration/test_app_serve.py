"""`invoke serve` as a user runs it: a separate process, curl-able, async path included, clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app.local import json_request

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


def test_serve_end_to_end(pg_url: str, make_order: Any) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT", "ORDERS_QUEUE"))}
    env.update({"PYTHONPATH": str(REPO), "DATABASE_URL": pg_url, "PYTHONUNBUFFERED": "1"})
    code = "from app.devserver import run; run(port=0)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = None
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline and base is None:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            lines.append(line)
            if line.startswith("Orders API on "):
                base = line.split()[3]
        assert base, "".join(lines)
        banner = [proc.stdout.readline() for _ in range(10)]
        assert sum("curl -s" in line for line in banner) == 7  # one example per route
        assert json_request(base, "GET", "/health")[0] == 200
        status, _, created = json_request(
            base,
            "POST",
            "/orders",
            make_order(customer="serve"),
            headers={"Idempotency-Key": f"serve-{time.time()}"},
        )
        assert status == 201
        assert json_request(base, "GET", f"/orders/{created['id']}")[0] == 200
        status, _, job = json_request(base, "POST", "/orders/async", {"orders": [make_order(customer="s2")]})
        assert status == 202
        for _ in range(50):  # the background poller feeds the worker
            state = json_request(base, "GET", f"/jobs/{job['job_id']}")[2]
            if state["status"] == "completed":
                break
            time.sleep(0.2)
        assert state["status"] == "completed" and state["succeeded"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
