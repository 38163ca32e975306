"""`invoke test-integration` and `invoke loadtest`: the same HTTP client code against local or deployed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from invoke.exceptions import Exit
from invoke.tasks import task

from ops.http_target import Target, TargetUnavailableError, deployed_target, local_server
from shared.config import REPO_ROOT

MAX_DURATION_S = 1800  # a load test is bounded: half an hour at most
# `invoke serve`'s execution environments for the local load test. Not one per core: a handler spends
# most of its wall time waiting on PostgreSQL and the emulator. On the quiet 2-core machine with commits
# answered before the disk flush, 8 environments left 3-9% of requests queued for one (p99 57-88 ms) and
# 12 left 0-0.6% in all but one of 16 runs (docs/performance.md, "HTTP load test"). Lambda adds an environment per
# concurrent request, so more is also closer to it.
LOADTEST_ENVIRONMENTS = 12


def local_serve_args(environments: int, durable_commits: bool) -> tuple[str, ...]:
    """`invoke serve`'s options for the local load test.

    Unless ``durable_commits``, the local PostgreSQL answers COMMIT before its disk flush: on this machine
    the flush stalls for 40-200 ms now and then (PostgreSQL's own log of COMMIT durations during a run,
    docs/performance.md "Commit stalls"), a stalled writer holds its execution environment, and the reads
    queue behind it. That is this VM's disk, not the deployed path (RDS commits to its own storage)."""
    return ("--server-timing", "--environments", str(environments), *(() if durable_commits else ("--async-commit",)))


@task(help={"env": "deployed env to test (staging, prod, dev); omit to test `invoke serve` locally",
            "k": "pytest -k expression"})
def test_integration(c, env=None, k=None):
    """Run the HTTP integration suite (tests/http): every route and the async path.

    Without --env it starts `invoke serve`; with --env it reads the api stack's public_url and the
    integration-tests client's API key (your AWS credentials), or skips with the reason it could not.
    """
    extra: dict[str, str] = {}
    if env:
        try:
            target = deployed_target(env, "integration-tests")
            extra = {"SI_TARGET_URL": target.base_url, "SI_TARGET_API_KEY": target.api_key or "", "SI_TARGET_NAME": env}
        except (TargetUnavailableError, ValueError) as error:
            extra = {"SI_TARGET_SKIP": f"{env}: {error}"}
    command = [sys.executable, "-m", "pytest", "tests/http", "-m", "integration", "-rs", *(["-k", k] if k else [])]
    code = subprocess.run(command, cwd=REPO_ROOT, env={**os.environ, **extra}, check=False).returncode
    if code:
        raise Exit(code=code)


def _print_cpu(shares: dict[str, float], locust_cpu_s: float) -> None:
    window, cores = shares["window"], os.cpu_count() or 1
    ours = locust_cpu_s + sum(shares[role] for role in ("serve", "environments", "moto", "postgres"))
    print(f"CPU over the {window:.0f} s window, in cores (of {cores}): locust {locust_cpu_s / window:.2f}, "
          f"serve (HTTP front) {shares['serve'] / window:.2f}, execution environments (validation + handler) "
          f"and the worker {shares['environments'] / window:.2f}, moto {shares['moto'] / window:.2f}, "
          f"postgres {shares['postgres'] / window:.2f}; other processes on the machine "
          f"{max(0.0, shares['machine'] - ours) / window:.2f}")


def _measure(
    target: Target, rps: int, duration: int, user_rps: float, out: Path, environments: int, setup: str = ""
) -> None:
    """Seed (not measured; warms every environment), then locust for the measured window; print it all."""
    from ops.load.report import breakdown_lines, read_stats, route_lines
    from ops.load.run import CpuShares, run_locust, seed

    seed_file = out.parent / "seed.json"
    seed_file.write_text(json.dumps(seed(target, orders=200, jobs=20, concurrency=max(2, environments))))
    shares = CpuShares(target.server_pid, REPO_ROOT / ".pgdata") if target.server_pid else None
    started = os.getloadavg()[0]
    locust = run_locust(target, rps, duration, out, seed_file, user_rps)
    result = read_stats(out)
    print(f"loadtest {target.name}: {rps} rps offered for {duration} s by {locust.users} clients at "
          f"{locust.user_rps:g} rps each (load average {started:.1f} before, {os.getloadavg()[0]:.1f} after,"
          f" {os.cpu_count()} cores)")
    if setup:
        print(setup)
    print("per route (over HTTP):", *route_lines(out), sep="\n")
    if (timing := Path(f"{out}_timing.json")).exists():
        print(*breakdown_lines(json.loads(timing.read_text())), sep="\n")
    if shares is not None:
        _print_cpu(shares.spent(), locust.cpu_s)
    for line in result.lines(rps):
        print(line)
    if not result.verdict(rps)[0]:
        raise Exit(code=1)


@task(help={"target": "'local' (starts invoke serve) or a deployed env: dev, staging, prod",
            "rps": "requests per second to offer (default 167 = 10,000 per minute)",
            "duration": f"seconds measured (1-{MAX_DURATION_S}, default 60), after an unmeasured seeding phase",
            "user_rps": "requests per second of each simulated client (default 1: rps clients)",
            "environments": f"local only: execution environments of invoke serve (default {LOADTEST_ENVIRONMENTS})",
            "durable_commits": "local only: the local PostgreSQL flushes each COMMIT to disk before answering "
                               "(default: it answers first; see docs/performance.md)"})
def loadtest(c, target="local", rps=167, duration=60, user_rps=1.0, environments=LOADTEST_ENVIRONMENTS,
             durable_commits=False):
    """Load-test the API with locust, headless and bounded: prints p50/p95/p99, achieved rps, errors, verdict.

    Locally the server answers with Server-Timing, so the run also prints where the time went on the
    server (validation, waiting for an environment, handler, SQL) and the CPU each part used."""
    rps, duration, user_rps, environments = int(rps), int(duration), float(user_rps), int(environments)
    if not 1 <= duration <= MAX_DURATION_S or rps < 1 or user_rps <= 0 or environments < 1:
        raise Exit(f"--duration must be 1-{MAX_DURATION_S} s, --rps >= 1, --user-rps > 0, --environments >= 1", code=2)
    with tempfile.TemporaryDirectory(prefix="loadtest") as tmp:
        out = Path(tmp) / "run"
        try:
            if target == "local":
                setup = (f"local: {environments} execution environments, commits "
                         f"{'flushed to disk before the answer' if durable_commits else 'answered before the disk flush'}")
                with local_server(serve_args=local_serve_args(environments, bool(durable_commits))) as local:
                    _measure(local, rps, duration, user_rps, out, environments, setup)
            else:
                _measure(deployed_target(target, "loadtest"), rps, duration, user_rps, out, environments)
        except (TargetUnavailableError, ValueError) as error:
            raise Exit(str(error), code=1) from None


__all__ = ["loadtest", "test_integration"]
