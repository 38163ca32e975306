"""Where a cold start's CPU goes, step by step: ``python -m ops.coldstart_phases [--runs 5]``.

Each run is a fresh ``python -I -S`` in the sandbox of ``ops/coldstart.py`` (the host build with its
bytecode, read-only, the function's environment from the synthesized graph, moto and the embedded
PostgreSQL), which imports what a cold start imports one library at a time, in the order the handler
does, then makes the first request's calls (the shared botocore session, the SSM config load, the
first connection, the IAM token), timing each step's CPU with the collector paused as
``app/coldstart.py`` pauses it. The request's own work (routing, validation, the insert) is not a step:
it is the bench's total less the sum. Prints the median of each step per function.

Run as ``--child`` inside the sandbox it uses the standard library only (nothing of the repository is
on its ``sys.path`` but the sandbox).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

# (label, what to do): ("import", module) or ("call", name of a first-request step below)
STEPS = {
    "api": [("import", "aws_lambda_powertools"), ("import", "aws_lambda_powertools.event_handler")],
    "worker": [("import", "aws_lambda_powertools"), ("import", "aws_lambda_powertools.utilities.batch")],
}
COMMON = [
    ("import", "aws_xray_sdk.core"),
    ("import", "aws_xray_sdk.ext.botocore.patch"),
    ("import", "HANDLER"),
    ("import", "sqlalchemy"),
    ("import", "psycopg"),
    ("import", "sqlalchemy.dialects.postgresql.psycopg"),
    ("import", "app.repository"),
    ("call", "botocore session"),
    ("call", "SSM client + config load"),
    ("call", "engine + first connection"),
    ("call", "IAM token signing"),
]


def _call(name: str) -> None:
    import importlib

    if name == "botocore session":
        importlib.import_module("app.aws").session()
    elif name == "SSM client + config load":
        importlib.import_module("app.config").get_config()
    elif name == "engine + first connection":
        importlib.import_module("app.db").transaction(lambda conn: None)
    else:
        importlib.import_module("app.iam_auth").auth_token("proxy.example", 5432, "app")


def child(function: str, path: str) -> None:
    """In the sandbox: time each step (CPU ms), print them as JSON."""
    import gc
    import importlib

    sys.path[:0] = path.split(os.pathsep)
    sys.dont_write_bytecode = True
    gc.disable()  # as app/handlers/__init__.py does inside Lambda
    figures = {}
    for kind, what in [*STEPS[function], *COMMON]:
        what = f"app.handlers.{function}" if what == "HANDLER" else what
        start = time.process_time()
        importlib.import_module(what) if kind == "import" else _call(what)
        figures[what] = round((time.process_time() - start) * 1000, 1)
    print(json.dumps(figures))


def measure(runs: int, env: str = "prod") -> dict[str, list[dict[str, float]]]:
    import subprocess
    from contextlib import ExitStack

    from ops import coldstart
    from ops.build import HOST_OUT_DIR, host_target, run_build
    from ops.coldstart_stack import local_stack

    run_build(target=host_target(), echo=lambda line: None)
    results: dict[str, list[dict[str, float]]] = {fn: [] for fn in STEPS}
    with ExitStack() as stack_of:
        stack = stack_of.enter_context(local_stack(env))
        box = stack_of.enter_context(coldstart.sandbox(HOST_OUT_DIR, True))
        for fn in STEPS:
            settings = coldstart.function_settings(env, fn)
            for _ in range(runs):
                variables = coldstart.child_env(
                    settings, box, coldstart.FUNCTIONS[fn], stack.endpoint, stack.xray.address, stack.queue_url
                )
                command = [sys.executable, "-I", "-S", __file__, "--child", fn, "--path", box.path]
                proc = subprocess.run(command, env=variables, capture_output=True, text=True, timeout=120, check=False)
                if proc.returncode != 0:
                    raise RuntimeError(f"{fn}: a step failed:\n{proc.stderr[-3000:]}")
                results[fn].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return results


def table(results: dict[str, list[dict[str, float]]]) -> str:
    import statistics

    functions = list(results)
    lines = ["| step | " + " | ".join(f"{fn}, CPU ms (median)" for fn in functions) + " |", "|---|---|---|"]
    for step in dict.fromkeys(k for samples in results.values() for k in samples[0]):
        cells = [
            f"{statistics.median(s[step] for s in results[fn]):.0f}" if step in results[fn][0] else "-" for fn in functions
        ]
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    totals = [f"{statistics.median(sum(s.values()) for s in results[fn]):.0f}" for fn in functions]
    lines.append("| sum of the steps | " + " | ".join(totals) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--env", default="prod")
    parser.add_argument("--child", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.path)
        return
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(table(measure(args.runs, args.env)))


if __name__ == "__main__":
    main()
