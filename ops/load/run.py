"""`invoke loadtest`'s phases: seed (not measured), then locust for the measured window, with where the
CPU went.

Seeding before the window: the orders the reads fetch and the jobs whose status is polled are made by
``seed`` through the API itself (the same POST routes), with as many concurrent requests as the server
has execution environments, so every environment is started and warm before the window opens; a cold
start (a new process importing the handler, ~1 s here) inside the window would be a start-up cost, not
the steady state the SLO is about.
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ops.http_target import Target
from shared.config import REPO_ROOT

ORDER = {"customer_id": "c-load", "items": [{"sku": "sku-1", "quantity": 1, "unit_price": "5.00"}]}


# A seeding request may wait for an execution environment's cold start (several at once on a busy machine).
SEED_REQUEST_TIMEOUT_S = 120


def _post(target: Target, path: str, body: dict) -> dict:
    return _request(target, "POST", path, body)


def _request(target: Target, method: str, path: str, body: dict | None = None) -> dict:
    parts = urlsplit(target.base_url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = connection_class(parts.netloc, timeout=SEED_REQUEST_TIMEOUT_S)
    try:
        headers = {"Content-Type": "application/json", "Idempotency-Key": f"seed-{uuid.uuid4()}", **target.headers()}
        conn.request(method, parts.path + path, None if body is None else json.dumps(body), headers)
        response = conn.getresponse()
        payload = response.read()
    except (OSError, http.client.HTTPException) as error:
        raise ValueError(f"seeding: {method} {path} got no answer ({type(error).__name__}: {error})") from None
    finally:
        conn.close()
    if response.status not in (200, 201, 202):
        raise ValueError(f"seeding: {method} {path} answered HTTP {response.status}: {payload[:200]!r}")
    return json.loads(payload)


def seed(target: Target, orders: int, jobs: int, concurrency: int) -> dict[str, list[str]]:
    """Make ``orders`` orders and ``jobs`` async jobs through the API, ``concurrency`` at a time, then
    read them back as many times: the reads' first use in each environment (the reader engine and its
    connection) happens here, not in the window."""
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        made = list(pool.map(lambda _: _post(target, "/orders", ORDER)["id"], range(orders)))
        queued = list(pool.map(lambda _: _post(target, "/orders/async", {"orders": [ORDER]})["job_id"], range(jobs)))
        reads = [f"/orders/{i}" for i in made] + [f"/jobs/{j}" for j in queued] + ["/orders?limit=20"] * jobs
        list(pool.map(lambda path: _request(target, "GET", path), reads))
    return {"order_ids": made, "job_ids": queued}


@dataclass(frozen=True)
class LocustRun:
    users: int
    user_rps: float
    cpu_s: float  # locust's own CPU time (user + system) over the run


def run_locust(target: Target, rps: int, duration: int, out: Path, seed_file: Path, user_rps: float) -> LocustRun:
    """Locust, headless, for ``duration`` s: ``rps / user_rps`` clients, up to 100 started a second (locust
    warns above); each then waits a random part of its period before its first request (``on_start``)."""
    users = max(1, round(rps / user_rps))
    command = [
        sys.executable, "-m", "locust", "-f", str(Path(__file__).parent / "locustfile.py"),
        "--headless", "--only-summary", "-u", str(users), "-r", str(min(users, 100)),
        "-t", f"{duration}s", "--stop-timeout", "5", "--csv", str(out), "--exit-code-on-error", "0",
    ]
    env = {**os.environ, "SI_TARGET_URL": target.base_url, "SI_TARGET_API_KEY": target.api_key or "",
           "SI_LOAD_SEED": str(seed_file), "SI_LOAD_USER_RPS": str(rps / users),
           "SI_LOAD_TIMING": f"{out}_timing.json"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, cwd=REPO_ROOT, env=env, check=False, timeout=duration + 120, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return LocustRun(users, rps / users, cpu)


def _proc_table() -> dict[int, tuple[int, float, str]]:
    """pid -> (parent pid, CPU seconds so far, command line) of every process (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks, cmdline)
    return table


def _machine_busy_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(values[:8]) - idle) / ticks, sum(values[:8]) / ticks


class CpuShares:
    """CPU seconds spent during a window by the local server's parts and by the whole machine.

    Roles: ``serve`` (the HTTP front: one Python process), ``environments`` (its multiprocessing children:
    the API's execution environments, each validating the request before its handler, and the process
    polling the queues for the worker and the DLQ analyzer), ``moto`` (the emulator's process),
    ``postgres`` (the postmaster whose command line names ``pgdata``, and its backends)."""

    def __init__(self, server_pid: int, pgdata: Path) -> None:
        self.server_pid, self.pgdata = server_pid, str(pgdata)
        self.start = self._sample()

    def _sample(self) -> tuple[dict[str, dict[int, float]], tuple[float, float]]:
        table = _proc_table()
        postmasters = {pid for pid, (_, _, cmd) in table.items() if self.pgdata in cmd and "postgres" in cmd}
        roles: dict[str, dict[int, float]] = {"serve": {}, "environments": {}, "moto": {}, "postgres": {}}
        for pid, (ppid, cpu, cmd) in table.items():
            if pid == self.server_pid:
                roles["serve"][pid] = cpu
            elif ppid == self.server_pid:
                roles["moto" if "moto.server" in cmd else "environments"][pid] = cpu
            elif pid in postmasters or ppid in postmasters:
                roles["postgres"][pid] = cpu
        return roles, _machine_busy_s()

    def spent(self) -> dict[str, float]:
        """Seconds per role since this object was made, plus ``machine`` (all processes) and ``window``."""
        roles, (busy, total) = self._sample()
        start_roles, (busy0, total0) = self.start
        out = {role: sum(cpu - start_roles[role].get(pid, 0.0) for pid, cpu in pids.items())
               for role, pids in roles.items()}
        cores = os.cpu_count() or 1
        return {**out, "machine": busy - busy0, "window": (total - total0) / cores}
