"""`invoke loadtest`'s pipeline in small (CI): seed through the API, locust's real mix for a few seconds,
locust's figures read back. The full run (167 rps x 60 s) is `invoke loadtest`, not a test."""

from __future__ import annotations

import csv
import json

import pytest

from ops.http_target import Target
from ops.load.report import read_stats, route_lines
from ops.load.run import run_locust, seed

pytestmark = pytest.mark.integration


def test_the_load_profile_runs_clean_against_the_local_server(target: Target, tmp_path) -> None:
    if target.name != "local":
        pytest.skip("the load smoke runs against `invoke serve` only; `invoke loadtest --target ENV` loads a deployed env")
    seeded = seed(target, orders=5, jobs=2, concurrency=2)
    assert len(set(seeded["order_ids"])) == 5 and len(set(seeded["job_ids"])) == 2
    (tmp_path / "seed.json").write_text(json.dumps(seeded))
    run = run_locust(target, rps=20, duration=5, out=tmp_path / "run", seed_file=tmp_path / "seed.json", user_rps=5)
    result = read_stats(tmp_path / "run")
    assert run.users == 4 and run.cpu_s > 0
    # 20 rps for 5 s: every answer a success; at least a quarter of them on a busy machine (a cold start
    # of an environment, started when all were busy, holds its first request seconds there)
    assert result.failures == 0 and result.requests >= 25, result
    with open(tmp_path / "run_stats.csv", newline="") as handle:
        routes = {row["Name"] for row in csv.DictReader(handle)} - {"Aggregated"}
    assert {"GET /orders/{id}", "GET /orders"} <= routes, routes
    assert len(route_lines(tmp_path / "run")) == len(routes)
