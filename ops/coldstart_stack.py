"""The stand-ins a cold start talks to: moto's server (SSM, SQS), an embedded PostgreSQL reached over TCP
(through the local server's ``TcpGate``), and a UDP sink in the X-Ray daemon's place. Used by
``ops/coldstart.py``."""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from app.local import TcpGate


class UdpSink:
    """Stands in for the X-Ray daemon: receives the SDK's UDP trace documents and counts them."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.received = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self.sock.getsockname()
        return f"{host}:{port}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65_535)
            except TimeoutError:
                continue
            except OSError:
                return
            if data.startswith(b'{"format":'):
                self.received += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1)
        self.sock.close()


def tcp_url(db_url: str) -> tuple[str, TcpGate | None]:
    """A TCP URL for ``db_url`` (a relay in front of it when it names a Unix socket directory).

    The functions reach RDS over TCP with a host and port from SSM; the embedded PostgreSQL listens on
    a Unix socket only, so the local server's ``TcpGate`` forwards a loopback port to it.
    """
    parts = urlsplit(db_url)
    query = dict(parse_qsl(parts.query))
    if parts.hostname or not query.get("host", "").startswith("/"):
        return db_url, None
    port = query.get("port") or str(parts.port or 5432)
    relay = TcpGate(f"{query['host']}/.s.PGSQL.{port}")
    user = parts.username or "postgres"
    return f"postgresql+psycopg://{user}@127.0.0.1:{relay.port}{parts.path or '/postgres'}", relay


@dataclass
class Stack:
    """The stand-ins the functions talk to: moto's server (SSM, SQS) and an embedded PostgreSQL."""

    endpoint: str
    queue_url: str
    xray: UdpSink
    stop: Callable[[], None]


@contextmanager
def local_stack(env: str) -> Iterator[Stack]:
    import boto3
    from moto.server import ThreadedMotoServer

    from app.devserver import create_queues, free_port, start_postgres, write_parameters
    from app.migrate import upgrade

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    pgdata = Path(tempfile.mkdtemp(prefix="coldstart-pg-"))
    db_url, pg = start_postgres(pgdata / "data")
    db_url, relay = tcp_url(db_url)
    sink = UdpSink()
    try:
        upgrade(db_url)
        kwargs: dict[str, Any] = {"region_name": "us-east-1", "endpoint_url": endpoint}
        kwargs.update(aws_access_key_id="coldstart", aws_secret_access_key="coldstart")
        write_parameters(boto3.client("ssm", **kwargs), env, db_url)
        queues = create_queues(boto3.client("sqs", **kwargs), env)
        yield Stack(endpoint, queues["queue"], sink, moto.stop)
    finally:
        sink.close()
        if relay is not None:
            relay.close()
        moto.stop()
        from app.db import dispose_engines

        dispose_engines()
        if pg is not None:
            pg.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)
