"""Each cold-start lever measured before and after: ``python -m ops.coldstart_levers --before <git ref>``.

The app of ``--before`` (``git archive``) is packaged as it was, then the levers are applied one at a
time by taking the files that carry each from the working tree; every state is built for this machine
with bytecode (the ``source`` vs ``bytecode`` lever is the main table of ``invoke bench``), runs
interleaved with the others in the same sandboxed cold start, and the table shows each step.
``--first-lever N`` takes levers 1..N-1 as already in ``--before`` (to measure the later ones from a
recent ref: ``--before <ref> --first-lever 5``).
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ops.build import HOST_OUT_DIR, LAYER_ZIP, build_app, host_target, run_build
from ops.coldstart import FUNCTIONS, measure
from ops.coldstart_report import summarize, table

REPO = Path(__file__).resolve().parents[1]
# (state name, files taken from the working tree on top of the previous state)
LEVERS: list[tuple[str, tuple[str, ...]]] = [
    ("before", ()),
    ("+ X-Ray patches botocore only", ("app/observability.py",)),
    ("+ Core tables, no ORM", ("app/models.py", "app/migrations/env.py")),
    ("+ IAM token without the RDS model", ("app/iam_auth.py",)),
    ("+ SSM client from botocore, no boto3", ("app/config.py",)),
    ("+ one botocore session (SSM, SQS, IAM token)", ("app/aws.py", "app/config.py", "app/iam_auth.py", "app/queue.py")),
    (
        "+ GC paused until the first invocation ends",
        ("app/coldstart.py", "app/handlers/__init__.py", "app/handlers/api.py", "app/handlers/worker.py"),
    ),
    ("+ bulk insert from one JSON parameter", ("app/repository.py",)),
]


def app_at(ref: str, destination: Path) -> Path:
    archive = subprocess.run(["git", "archive", ref, "app"], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination / "app"


def build_states(before: str, root: Path, first: int = 1) -> dict[str, tuple[Path, bool]]:
    """One artifacts folder per state (the layer is shared: the levers change the function only).

    Levers numbered below ``first`` (1-based) are taken as already in ``before``; a state whose files
    ``before`` already has as they are now changes nothing and is left out.
    """
    run_build(target=host_target(), echo=lambda line: None)
    app_dir = app_at(before, root / "src")
    builds = {}
    for i, (name, files) in enumerate(LEVERS):
        if 0 < i < first:
            continue
        changed = [
            f for f in files if not (root / "src" / f).exists() or (root / "src" / f).read_bytes() != (REPO / f).read_bytes()
        ]
        if i and not changed:
            continue
        for relative in changed:
            shutil.copyfile(REPO / relative, root / "src" / relative)
        out = root / f"state-{i}"
        out.mkdir()
        shutil.copyfile(HOST_OUT_DIR / LAYER_ZIP, out / LAYER_ZIP)
        build_app(app_dir, out_dir=out, target=host_target(out))
        builds[name] = (out, True)
    return builds


def cpu_table(measured: dict) -> str:
    """The levers' comparison: CPU time of init + first request per state (min / median)."""
    lines = [
        "| state | api: init + POST /orders, CPU min / median | worker: init + 500 records, CPU min / median |",
        "|---|---|---|",
    ]
    for state, by_function in measured["results"].items():
        cells = []
        for fn in ("api", "worker"):
            s = summarize(by_function[fn])
            cells.append(f"{s['cpu_min']:.0f} / {s['cpu_median']:.0f} ms")
        lines.append(f"| {state} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", required=True, help="git ref of the app before the levers")
    parser.add_argument("--env", default="prod")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--first-lever", type=int, default=1, help="levers below it are already in --before")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="coldstart-levers-") as tmp:
        builds = build_states(args.before, Path(tmp), args.first_lever)
        measured = measure(args.env, args.runs, list(builds), list(FUNCTIONS), builds=builds)
    print(table(measured))
    print(cpu_table(measured))


if __name__ == "__main__":
    main()
