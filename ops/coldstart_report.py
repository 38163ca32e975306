"""Figures of ``ops/coldstart.py`` as tables: per function and artifact variant, and per memory size.

Memory: Lambda allocates CPU in proportion to memory, one full vCPU at 1,769 MB
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). This machine runs each cold
start on one whole core, so a figure here is roughly what 1,769 MB gets; below that, CPU-bound time
stretches by 1,769 / memory (an upper bound: waits on the network or the database do not stretch).
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

BUDGET_MS = {"api": 300.0, "worker": 400.0}
FULL_VCPU_MB = 1769
MEMORY_STEPS = (512, 1024, FULL_VCPU_MB)


def lambda_rates(architecture: str) -> tuple[float, float, float]:
    """(duration per GB-s, provisioned per GB-s, seconds a month) from the cost model's price table
    (config/prices.yaml, the one place prices live)."""
    from shared.cost.prices import load_prices

    table = load_prices()
    duration = table.prices.lambda_gb_second[architecture].usd
    provisioned = table.prices.lambda_provisioned_gb_second[architecture].usd
    return duration, provisioned, table.hours_per_month * 3600


def summarize(samples: list[dict]) -> dict[str, float]:
    def stats(key: str) -> tuple[float, float]:
        values = [s[key] for s in samples]
        return min(values), statistics.median(values)

    total = [s["init_ms"] + s["first_ms"] for s in samples]
    cpu = [s["init_cpu_ms"] + s["first_cpu_ms"] for s in samples]
    init_min, init_med = stats("init_ms")
    first_min, first_med = stats("first_ms")
    return {
        "init_min": init_min,
        "init_median": init_med,
        "first_min": first_min,
        "first_median": first_med,
        "total_min": min(total),
        "total_median": statistics.median(total),
        "cpu_min": min(cpu),
        "cpu_median": statistics.median(cpu),
        "process_median": statistics.median(s["process_ms"] for s in samples),
        "compiled_function": max(s["compiled_by_root"]["function"] for s in samples),
        "compiled_layer": max(s["compiled_by_root"]["layer"] for s in samples),
        "trace_documents": min(s["trace_documents"] for s in samples),
    }


def table(measured: dict[str, Any], optimistic: dict[str, float] | None = None) -> str:
    lines = [
        "| function (memory) | artifacts | init min / median | first request min / median "
        "| init + first min / median | budget (min) | its CPU time min / median | whole process median "
        "| modules compiled at run time (function / layer) | X-Ray documents |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant, by_function in measured["results"].items():
        for fn, samples in by_function.items():
            s = summarize(samples)
            memory = measured["settings"][fn]["memory_mb"]
            verdict = "ok" if s["total_min"] <= BUDGET_MS[fn] else "OVER"
            first = "POST /orders" if fn == "api" else "500 records"
            lines.append(
                f"| {fn} ({memory} MB) | {variant} | {s['init_min']:.0f} / {s['init_median']:.0f} ms "
                f"| {first}: {s['first_min']:.0f} / {s['first_median']:.0f} ms "
                f"| {s['total_min']:.0f} / {s['total_median']:.0f} ms | <= {BUDGET_MS[fn]:.0f} ms {verdict} "
                f"| {s['cpu_min']:.0f} / {s['cpu_median']:.0f} ms "
                f"| {s['process_median']:.0f} ms | {s['compiled_function']} / {s['compiled_layer']} | {s['trace_documents']} |"
            )
    if optimistic is not None:
        lines.append(
            f"| api | old optimistic figure (repo import, cached bytecode, tracing off, no request) "
            f"| {optimistic['wall_ms']:.0f} ms (median) | - | - | - | {optimistic['cpu_ms']:.0f} ms (median) "
            "| - | - | - |"
        )
    return "\n".join(lines)


def stretched(ms: float, memory_mb: int) -> float:
    """``ms`` measured on one full core, as a function with ``memory_mb`` would take it (CPU-bound)."""
    return ms * max(1.0, FULL_VCPU_MB / memory_mb)


def memory_table(measured: dict[str, Any], variant: str = "bytecode") -> str:
    """Init and first-request duration per memory size, and what each size costs per month."""
    lines = [
        "| function | memory | init (est.) | first request (est.) | provisioned floor | floor cost / month "
        "| duration cost per 1M first requests |",
        "|---|---|---|---|---|---|---|",
    ]
    for fn, samples in measured["results"].get(variant, {}).items():
        s = summarize(samples)
        configured = measured["settings"][fn]["memory_mb"]
        floor = measured["settings"][fn].get("provisioned_floor", 0)
        duration_rate, provisioned_rate, seconds_a_month = lambda_rates(
            measured["settings"][fn].get("architecture", "arm64")
        )
        for memory in sorted({configured, *MEMORY_STEPS}):
            init, first = stretched(s["init_median"], memory), stretched(s["first_median"], memory)
            gb = memory / 1024
            floor_cost = floor * gb * seconds_a_month * provisioned_rate
            per_million = 1e6 * (first / 1000) * gb * duration_rate
            mark = " (configured)" if memory == configured else ""
            lines.append(
                f"| {fn} | {memory} MB{mark} | {init:.0f} ms | {first:.0f} ms | {floor} "
                f"| ${floor_cost:,.2f} | ${per_million:,.2f} |"
            )
    return "\n".join(lines)


_OPTIMISTIC = (
    "import time; t, c = time.perf_counter(), time.process_time(); import app.handlers.api; "
    "print((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)"
)


def optimistic_init(runs: int) -> dict[str, float]:
    """The figure `invoke bench` reported before (median wall and CPU ms): the repo's api module imported
    with the local interpreter's cached bytecode, tracing off, no request. Its CPU time against its
    quiet-machine wall time (~56 ms, section "Application") shows how much the load inflates CPU time."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(REPO), "POWERTOOLS_TRACE_DISABLED": "true"}
    walls, cpus = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _OPTIMISTIC], env=env, capture_output=True, text=True, check=True)
        wall, cpu = map(float, out.stdout.split()[-2:])
        walls.append(wall)
        cpus.append(cpu)
    return {"wall_ms": statistics.median(walls), "cpu_ms": statistics.median(cpus)}


def run(env: str = "prod", runs: int = 5, variants: tuple[str, ...] = ("source", "bytecode"), echo=print) -> dict:
    import os
    import platform

    from ops.coldstart import FUNCTIONS, measure

    measured = measure(env, runs, list(variants), list(FUNCTIONS), echo=echo)
    measured["optimistic"] = optimistic_init(max(5, runs))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    measured["machine"] = (
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cpu, "
        f"load average {load} after the run"
    )
    return measured


def section(measured: dict[str, Any]) -> str:
    return f"""## Cold start as deployed

Measured by `invoke bench --only cold --env {measured["env"]} --cold-runs {measured["runs"]}` on this machine
({measured["machine"]}); {measured["runs"]} cold starts per function and variant, interleaved. How each
figure is taken: "Cold start: what is measured, and how" above. Judge the machine's load by the last row:
the same optimistic figure was ~56 ms (wall, about equal to its CPU time) on a quiet machine; wall times
(and the memory table built on them) are inflated by about its wall factor, CPU times by its CPU factor.

{table(measured, measured.get("optimistic"))}

Per memory size (bytecode variant, medians stretched by 1,769 MB / memory where below one vCPU; prices
from `config/prices.yaml`, us-east-1, the function's architecture):

{memory_table(measured)}
"""


def replace_section(text: str, heading: str, section_text: str) -> str:
    """``text`` with the ``## heading`` section (up to the next ``## ``) replaced, or appended."""
    marker = f"## {heading}\n"
    if marker not in text:
        return text.rstrip() + "\n\n" + section_text
    before, _, rest = text.partition(marker)
    following = rest.find("\n## ")
    return before + section_text + (rest[following + 1 :] if following != -1 else "")


def write_doc(measured: dict[str, Any], path: Path = REPO / "docs" / "performance.md") -> None:
    text = path.read_text() if path.exists() else "# Performance\n"
    path.write_text(replace_section(text, "Cold start as deployed", section(measured)))


def main(env: str = "prod", runs: int = 5, write: bool = False, echo=print) -> dict[str, Any]:
    measured = run(env, runs, echo=echo)
    echo(table(measured, measured["optimistic"]))
    echo("")
    echo(memory_table(measured))
    if write:
        write_doc(measured)
        echo("\nwrote docs/performance.md (section 'Cold start as deployed')")
    return measured
