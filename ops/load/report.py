"""Locust's CSV summary -> the figures `invoke loadtest` prints and judges (pure: tested without locust)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

# Our SLOs over HTTP (ARCHITECTURE.md; docs/performance.md): no error, p99 <= 50 ms, the asked rate reached.
P99_BUDGET_MS = 50.0
MIN_RATE_SHARE = 0.95


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float

    def verdict(self, target_rps: float) -> tuple[bool, list[str]]:
        problems = []
        if self.failures:
            problems.append(f"{self.failures} failed requests")
        if self.p99_ms > P99_BUDGET_MS:
            problems.append(f"p99 {self.p99_ms:.0f} ms > {P99_BUDGET_MS:.0f} ms")
        if self.rps < target_rps * MIN_RATE_SHARE:
            problems.append(f"achieved {self.rps:.1f} rps < {MIN_RATE_SHARE:.0%} of {target_rps:g}")
        return not problems, problems

    def lines(self, target_rps: float) -> list[str]:
        ok, problems = self.verdict(target_rps)
        return [
            f"requests {self.requests}  failures {self.failures}  achieved {self.rps:.1f} rps (asked {target_rps:g})",
            f"latency p50 {self.p50_ms:.0f} ms  p95 {self.p95_ms:.0f} ms  p99 {self.p99_ms:.0f} ms",
            "verdict: PASS" if ok else "verdict: FAIL (" + "; ".join(problems) + ")",
        ]


def read_stats(prefix: Path) -> LoadResult:
    """The 'Aggregated' row of ``{prefix}_stats.csv`` (written by ``locust --csv prefix``)."""
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["Name"] == "Aggregated"]
    if not rows:
        raise ValueError(f"{prefix}_stats.csv has no Aggregated row: did locust run any request?")
    row = rows[0]
    return LoadResult(
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        p50_ms=float(row["50%"]),
        p95_ms=float(row["95%"]),
        p99_ms=float(row["99%"]),
        rps=float(row["Requests/s"]),
    )
