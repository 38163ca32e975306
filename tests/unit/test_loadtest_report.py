"""`invoke loadtest`'s reading of locust's CSV and its verdict against the SLOs."""

from __future__ import annotations

import pytest

from ops.load.report import LoadResult, read_stats

pytestmark = pytest.mark.unit
HEADER = ("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
          "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
          "99.99%,100%")


def test_reads_the_aggregated_row_and_judges_it(tmp_path):
    (tmp_path / "run_stats.csv").write_text(
        HEADER + "\n"
        "GET,GET /health,10,0,5,5,1,9,15,1.0,0,5,5,5,5,6,7,8,9,9,9,9\n"
        ",Aggregated,10020,0,6,8,1,90,100,166.9,0,6,7,8,9,12,20,30,41,80,90,90\n"
    )
    result = read_stats(tmp_path / "run")
    assert result == LoadResult(requests=10020, failures=0, p50_ms=6, p95_ms=20, p99_ms=41, rps=166.9)
    assert result.verdict(167) == (True, [])
    slow = LoadResult(requests=100, failures=3, p50_ms=6, p95_ms=60, p99_ms=70, rps=100)
    ok, problems = slow.verdict(167)
    assert not ok and len(problems) == 3 and "p99 70 ms > 50 ms" in problems[1]


def test_a_run_without_requests_is_an_error_not_a_pass(tmp_path):
    (tmp_path / "run_stats.csv").write_text(HEADER + "\n")
    with pytest.raises(ValueError, match="no Aggregated row"):
        read_stats(tmp_path / "run")
