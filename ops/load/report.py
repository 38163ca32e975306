"""Locust's CSV summary -> the figures `invoke loadtest` prints and judges (pure: tested without locust)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from app.percentile import percentile

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


def parse_server_timing(header: str) -> dict[str, float]:
    """``validate;dur=1.20, handler;dur=3.40`` -> ``{"validate": 1.2, "handler": 3.4}`` (W3C Server-Timing)."""
    parts: dict[str, float] = {}
    for metric in header.split(","):
        name, _, params = metric.strip().partition(";")
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "dur" and name:
                parts[name] = float(value)
    return parts


# The parts of a request's time (app/local.py ServerTiming), in the order they happen; "queue" is within
# "wait", "db" within "handler", "cpu" is the environment's CPU time for validate + handler; "outside" is
# the client's latency minus the server's total: the TCP hop, the server reading the request head, the
# client's own scheduling.
TIMING_PARTS = ("validate", "wait", "queue", "ipc", "handler", "db", "cpu", "total", "outside")


class ServerTimings:
    """The server's account of each request (Server-Timing) next to the client's latency, per route."""

    def __init__(self) -> None:
        self.samples: dict[str, list[dict[str, float]]] = {}

    def __bool__(self) -> bool:
        return bool(self.samples)

    def add(self, route: str, client_ms: float, header: str) -> None:
        parts = parse_server_timing(header)
        if "total" in parts:
            parts["outside"] = max(0.0, client_ms - parts["total"])
        parts["client"] = client_ms
        self.samples.setdefault(route, []).append(parts)

    def summary(self) -> dict[str, dict[str, dict[str, float]]]:
        """route (and "all") -> part -> {p50, p99, mean} in ms."""
        routes = {**self.samples, "all": [s for samples in self.samples.values() for s in samples]}
        out: dict[str, dict[str, dict[str, float]]] = {}
        for route, samples in routes.items():
            out[route] = {}
            for part in (*TIMING_PARTS, "client"):
                values = [s[part] for s in samples if part in s]
                if values:
                    out[route][part] = {"p50": percentile(values, 50), "p99": percentile(values, 99),
                                        "mean": sum(values) / len(values), "n": len(values)}
        return out

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.summary(), indent=1))


def breakdown_lines(summary: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """A table of where the time went: per route, each part's p50 / p99 (ms), from ``ServerTimings.summary``."""
    lines = ["server-side breakdown, p50 / p99 ms (Server-Timing; outside = client latency - server total):",
             f"  {'route':<22}" + "".join(f"{part:>14}" for part in (*TIMING_PARTS, "client"))]
    for route in sorted(summary, key=lambda r: (r == "all", r)):
        cells = [f"{p['p50']:.1f} / {p['p99']:.0f}" if (p := summary[route].get(part)) else "-"
                 for part in (*TIMING_PARTS, "client")]
        lines.append(f"  {route:<22}" + "".join(f"{cell:>14}" for cell in cells))
    if (everything := summary.get("all")) and "client" in everything:
        queued = everything.get("queue", {}).get("n", 0) / everything["client"]["n"]
        lines.append(f"  {queued:.1%} of the requests queued for an environment (their queue p50 / p99 above)")
    return lines


def route_lines(prefix: Path) -> list[str]:
    """Per route: requests, failures, p50 / p99 over HTTP (locust's ``{prefix}_stats.csv``)."""
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]
    return [f"  {row['Name']:<22} {int(row['Request Count']):>7} requests  {int(row['Failure Count'])} failed"
            f"  p50 {float(row['50%']):.0f} ms  p99 {float(row['99%']):.0f} ms" for row in rows]
