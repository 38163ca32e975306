"""Where the HTTP integration suite and the load test send requests: `invoke serve`, or a deployed env.

Local: a real `invoke serve` in a child process on a free port (its own PostgreSQL when DATABASE_URL is
given), stopped afterwards. Deployed: the api stack's ``public_url`` and a client API key read with the
operator's AWS credentials (``invoke api.key``), never from plain outputs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import yaml

from shared.config import REPO_ROOT, Environment

STAGE = "v1"


class TargetUnavailableError(RuntimeError):
    """No stack, no CLI, no credentials or no answer: the reason says which."""


@dataclass(frozen=True)
class Target:
    base_url: str  # ends with the stage path locally and on execute-api; the domain root behind a custom domain
    api_key: str | None = None
    name: str = "local"
    server_pid: int | None = None  # the local `invoke serve` process (its CPU time is accounted by the load test)

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key} if self.api_key else {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base_url: str, timeout_s: float, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(base_url + "/health", headers=headers or {})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except (urllib.error.URLError, OSError) as error:
            last = str(error)
        time.sleep(0.5)
    raise TargetUnavailableError(f"{base_url}/health did not answer 200 within {timeout_s:.0f} s ({last})")


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """While inside, SIGTERM ends this process through its ``finally`` blocks (exit status 143).

    Python's default for SIGTERM is to die on the spot, so a `timeout 300 invoke loadtest` or a cancelled
    CI job would leave the `invoke serve` this process started (its own session: PostgreSQL, moto, the
    environments) running and holding its ports. Only from the main thread (where signal handlers live)
    and only over the default action: a handler someone else installed is left alone."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def _unwind(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _unwind)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def local_server(
    database_url: str | None = None, startup_timeout_s: float = 180, serve_args: tuple[str, ...] = ()
) -> Iterator[Target]:
    """`invoke serve` (with ``serve_args``) on a free port, as a user runs it; stopped (its whole process
    group) on exit, a SIGTERM to this process included."""
    with sigterm_unwinds():
        yield from _serve(database_url, startup_timeout_s, serve_args)


def _serve(database_url: str | None, startup_timeout_s: float, serve_args: tuple[str, ...]) -> Iterator[Target]:
    port = free_port()
    env = {**os.environ, **({"DATABASE_URL": database_url} if database_url else {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "invoke", "serve", "--port", str(port), *serve_args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/{STAGE}"
    try:
        try:
            wait_healthy(base, startup_timeout_s)
        except TargetUnavailableError:
            process.kill()
            err = (process.communicate(timeout=10)[1] or b"").decode()[-2000:]
            raise TargetUnavailableError(f"invoke serve did not start: {err}") from None
        yield Target(base, server_pid=process.pid)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def client_for(env: str, purpose: str) -> tuple[str, str]:
    """(tier, client) of the key ``purpose`` (integration-tests, loadtest) uses in ``env``'s stack file."""
    path = REPO_ROOT / "projects" / "api" / f"Pulumi.{env}.yaml"
    plans = (yaml.safe_load(path.read_text()).get("config") or {}).get("serverless-infra-api:usagePlans") or {}
    for tier, plan in plans.items():
        if purpose in (plan.get("clients") or []):
            return tier, purpose
    raise TargetUnavailableError(
        f"{path.relative_to(REPO_ROOT)}: no client {purpose!r} under serverless-infra-api:usagePlans; "
        "add it to a tier and deploy the api layer"
    )


def deployed_target(env: str, purpose: str) -> Target:
    """The deployed env's public URL and the API key of client ``purpose``."""
    from ops.api_keys import ApiKeyError, PulumiUnavailableError, apigateway_client, key_value, stack_outputs

    Environment.parse(env, source="--env")
    try:
        outputs = stack_outputs("api", env)
        tier, client = client_for(env, purpose)
        _key_id, value = key_value(apigateway_client(), env, tier, client)
    except (PulumiUnavailableError, ApiKeyError) as error:
        raise TargetUnavailableError(str(error)) from None
    except Exception as error:  # botocore: no credentials, no network
        raise TargetUnavailableError(f"cannot read the API key: {type(error).__name__}: {error}") from None
    target = Target(str(outputs["public_url"]).rstrip("/"), value, env)
    wait_healthy(target.base_url, 15, target.headers())
    return target
