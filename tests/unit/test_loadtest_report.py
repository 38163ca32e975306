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


def test_server_timing_is_parsed_and_summarised_per_route_with_the_clients_share():
    from ops.load.report import ServerTimings, breakdown_lines, parse_server_timing, percentile

    assert parse_server_timing("validate;dur=1.25, handler;desc=\"x\";dur=4, cache") == {"validate": 1.25, "handler": 4.0}
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0 and percentile(list(range(1, 101)), 99) == 99
    timings = ServerTimings()
    assert not timings
    for client_ms, total in ((10.0, 8.0), (30.0, 26.0), (12.0, 9.0)):
        timings.add("GET /orders/{id}", client_ms, f"validate;dur=1, handler;dur={total - 2}, total;dur={total}"
                    + (", queue;dur=5" if client_ms == 30.0 else ""))
    timings.add("GET /health", 5.0, "total;dur=6")  # a server clock ahead of the client's: outside is 0, not < 0
    summary = timings.summary()
    assert summary["GET /orders/{id}"]["outside"] == {"p50": 3.0, "p99": 4.0, "mean": 3.0, "n": 3}
    assert summary["GET /orders/{id}"]["handler"]["p99"] == 24.0 and summary["GET /health"]["outside"]["p50"] == 0
    assert summary["all"]["client"]["n"] == 4
    table = breakdown_lines(summary)
    assert table[-2].split()[0] == "all" and any(line.split()[:3] == ["GET", "/orders/{id}", "1.0"] for line in table)
    assert table[-1].split()[0] == "25.0%"  # 1 of the 4 requests waited for a free environment
