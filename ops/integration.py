"""`invoke test-integration` and `invoke loadtest`: the same HTTP client code against local or deployed."""

from __future__ import annotations

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


def _run_locust(target: Target, rps: int, duration: int, out: Path) -> None:
    users = max(1, rps)  # each simulated client sends one request per second (constant_throughput(1))
    command = [
        sys.executable, "-m", "locust", "-f", str(Path(__file__).parent / "load" / "locustfile.py"),
        "--headless", "--only-summary", "-u", str(users), "-r", str(min(users, 100)),
        "-t", f"{duration}s", "--stop-timeout", "5", "--csv", str(out), "--exit-code-on-error", "0",
    ]
    env = {**os.environ, "SI_TARGET_URL": target.base_url, "SI_TARGET_API_KEY": target.api_key or ""}
    subprocess.run(command, cwd=REPO_ROOT, env=env, check=False, timeout=duration + 120,
                   stdout=subprocess.DEVNULL)


@task(help={"target": "'local' (starts invoke serve) or a deployed env: dev, staging, prod",
            "rps": "requests per second to offer (default 167 = 10,000 per minute)",
            "duration": f"seconds (1-{MAX_DURATION_S}, default 60)"})
def loadtest(c, target="local", rps=167, duration=60):
    """Load-test the API with locust, headless and bounded: prints p50/p95/p99, achieved rps, errors, verdict."""
    from ops.load.report import read_stats

    rps, duration = int(rps), int(duration)
    if not 1 <= duration <= MAX_DURATION_S or rps < 1:
        raise Exit(f"--duration must be 1-{MAX_DURATION_S} s and --rps >= 1", code=2)
    with tempfile.TemporaryDirectory(prefix="loadtest") as tmp:
        out = Path(tmp) / "run"
        try:
            if target == "local":
                with local_server() as local:
                    _run_locust(local, rps, duration, out)
            else:
                _run_locust(deployed_target(target, "loadtest"), rps, duration, out)
            result = read_stats(out)
        except (TargetUnavailableError, ValueError) as error:
            raise Exit(str(error), code=1) from None
    print(f"loadtest {target}: {rps} rps offered for {duration} s by {max(1, rps)} clients"
          f" (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for line in result.lines(rps):
        print(line)
    if not result.verdict(rps)[0]:
        raise Exit(code=1)


__all__ = ["loadtest", "test_integration"]
