"""The replica's hard cap of direct app connections, on a real streaming replica of the embedded server.

The migrate step sets the reader role's CONNECTION LIMIT (here 2); PostgreSQL on the replica refuses the
third connection (SQLSTATE 53300), and that environment reads from the primary instead, with no error and
no retry of the replica on each request. Five api execution environments, each a process of its own
(tests/app/reader_environment.py), show which engine served which request; operators still sign in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from app import db, replica
from app.local import FakeContext
from app.roles import DEFAULT_READER
from tests.app.conftest import ROLE_OWNER, as_role
from tests.app.streaming_replica import replica_with_reader_cap, wait_for

pytestmark = [pytest.mark.functional, pytest.mark.usefixtures("clean_db")]

CAP = 2
ENVIRONMENTS = 5
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def capped_replica(pg_url: str) -> Iterator[str]:
    """A streaming replica whose reader role is capped at CAP by the migrate step (then closed again)."""
    with replica_with_reader_cap(pg_url, CAP) as url:
        yield url


def seed_order(pg_url: str, replica_url: str) -> None:
    primary = sa.create_engine(pg_url, poolclass=NullPool)
    with primary.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO orders (id, idempotency_key, request_hash, customer_id, items, total, currency) "
            "VALUES (gen_random_uuid(), 'cap-1', 'h', 'c', '[]', 1, 'EUR')"))
    primary.dispose()
    wait_for(replica_url, lambda conn: conn.execute(sa.text("SELECT count(*) FROM orders")).scalar_one() == 1)


def sessions(replica_url: str, role: str) -> int:
    engine = sa.create_engine(replica_url, poolclass=NullPool)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE usename = :r"), {"r": role})
        result = count.scalar_one()
    engine.dispose()
    return result


def connect_as(url: str, role: str) -> sa.Connection:
    return sa.create_engine(as_role(url, role), poolclass=NullPool).connect()


class Environment:
    """An api execution environment in its own process: ``request()`` is one GET /orders."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.app.reader_environment"], cwd=ROOT, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )

    def _result(self) -> str:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("RESULT "):
                return line.removeprefix("RESULT ").strip()
        raise AssertionError(f"environment exited with {self.process.wait()}")

    def ready(self) -> None:
        assert self._result() == "ready"

    def request(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        return json.loads(self._result())

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def test_environments_past_the_cap_read_from_the_primary_and_operators_still_sign_in(
    stack: dict, capped_replica: str
) -> None:
    seed_order(stack["pg_url"], capped_replica)
    env = {**os.environ, "READER_DATABASE_URL": as_role(capped_replica, DEFAULT_READER), "DB_POOL_SIZE": "1",
           "PYTHONPATH": str(ROOT)}
    environments = [Environment(env) for _ in range(ENVIRONMENTS)]
    try:
        for environment in environments:
            environment.ready()
        # One request each, in turn, every environment staying warm (holding what it connected).
        first = [environment.request() for environment in environments]
        assert [r["status"] for r in first] == [200] * ENVIRONMENTS
        assert [r["orders"] for r in first] == [1] * ENVIRONMENTS
        assert [r["served"] for r in first] == [["replica"]] * CAP + [["primary"]] * (ENVIRONMENTS - CAP)
        assert all(r["reason"].startswith("full: refused 1x") for r in first[CAP:])
        assert sessions(capped_replica, DEFAULT_READER) == CAP  # PostgreSQL held the line

        # The cap is per role: the owner (no superuser) and the master still sign in to the full replica.
        with connect_as(capped_replica, ROLE_OWNER) as owner:
            assert owner.execute(sa.text("SELECT count(*) FROM orders")).scalar_one() == 1
        with sa.create_engine(capped_replica, poolclass=NullPool).connect() as master:
            assert master.execute(sa.text("SELECT 1")).scalar_one() == 1
        with pytest.raises(sa.exc.OperationalError) as refused:
            connect_as(capped_replica, DEFAULT_READER)
        assert replica.is_capacity_refusal(refused.value)
        assert "too many connections for role" in str(refused.value)

        # A second round: the environments on the replica stay there; the others read from the primary
        # without asking the replica again (still one refusal each: they are in their backoff).
        second = [environment.request() for environment in environments]
        assert [r["served"] for r in second] == [["replica"]] * CAP + [["primary"]] * (ENVIRONMENTS - CAP)
        assert all(r["reason"].startswith("full: refused 1x") for r in second[CAP:])
    finally:
        for environment in environments:
            environment.close()


@pytest.fixture
def one_environment(capped_replica: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("READER_DATABASE_URL", as_role(capped_replica, DEFAULT_READER))
    monkeypatch.setenv("DB_POOL_SIZE", "1")
    monkeypatch.setattr(replica.health, "interval_s", 0.0)
    monkeypatch.setattr(replica.health, "full_backoff_min_s", 0.4)
    monkeypatch.setattr(replica.health, "full_backoff_max_s", 0.8)
    monkeypatch.setattr(replica.health, "_jitter", lambda: 0.0)
    db.dispose_engines()
    yield
    db.dispose_engines()


def list_orders() -> tuple[int, str]:
    from app.handlers import api

    before = db.served.copy()
    event = {"httpMethod": "GET", "path": "/orders", "resource": "/orders", "headers": {},
             "requestContext": {"requestId": "cap"}}
    response = api.lambda_handler(event, FakeContext(function_name="api"))
    (served,) = (db.served - before).elements()
    return response["statusCode"], served


def test_a_refused_environment_backs_off_then_takes_a_freed_slot(
    stack: dict, capped_replica: str, one_environment: None
) -> None:
    seed_order(stack["pg_url"], capped_replica)
    holders = [connect_as(capped_replica, DEFAULT_READER) for _ in range(CAP)]  # other environments
    attempts: list[int] = []
    try:
        assert list_orders() == (200, "primary")
        sa.event.listen(db.reader(), "do_connect", lambda *args: attempts.append(1))
        assert replica.health.reason.startswith("full: refused 1x")
        assert list_orders() == (200, "primary") and attempts == []  # backing off: the replica is not asked
        time.sleep(0.45)
        assert list_orders() == (200, "primary") and len(attempts) == 1  # asked once more: still full
        assert replica.health.reason.startswith("full: refused 2x, next try in 1s")  # 0.4 s doubled, capped 0.8
        holders.pop().close()  # an environment on the replica went away
        time.sleep(0.85)
        assert list_orders() == (200, "replica")
    finally:
        for holder in holders:
            holder.close()


def test_a_connection_refused_after_a_usable_verdict_is_served_by_the_primary_in_the_same_attempt(
    stack: dict, capped_replica: str, one_environment: None, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The verdict is fresh (usable), but the pooled connection is gone (the server closed it after
    idle_session_timeout) and other environments took the slots: the reconnect is refused, and the read
    is answered by the primary at once: no retry, no backoff sleep, no error."""
    seed_order(stack["pg_url"], capped_replica)
    monkeypatch.setattr(replica.health, "interval_s", 3600.0)
    assert list_orders() == (200, "replica")
    db.reader().dispose()  # the session is gone; the next checkout connects again
    holders = [connect_as(capped_replica, DEFAULT_READER) for _ in range(CAP)]
    try:
        caplog.clear()
        started = time.monotonic()
        assert list_orders() == (200, "primary")
        assert time.monotonic() - started < 1.0
        assert replica.health.reason.startswith("full: refused 1x")
        assert not [r for r in caplog.records if "retrying" in r.getMessage()]
    finally:
        for holder in holders:
            holder.close()


def test_an_idle_reader_session_is_closed_by_the_server_and_the_next_read_reconnects(
    stack: dict, capped_replica: str, one_environment: None
) -> None:
    """idle_session_timeout on the reader role frees the slot of a frozen environment; when it thaws,
    the pool's pre-ping finds the closed session and connects again: the read still comes from the replica."""
    from app.roles import READER_IDLE_SESSION_TIMEOUT_MS

    seed_order(stack["pg_url"], capped_replica)
    primary = sa.create_engine(stack["pg_url"], isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def idle_timeout(ms: int) -> None:
        with primary.connect() as conn:
            conn.execute(sa.text(f"ALTER ROLE {DEFAULT_READER} SET idle_session_timeout = {ms}"))
        wait_for(capped_replica, lambda conn: any(
            f"idle_session_timeout={ms}" in setting for setting in conn.execute(sa.text(
                "SELECT unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
                "WHERE r.rolname = :r"), {"r": DEFAULT_READER}).scalars()))

    idle_timeout(300)
    try:
        assert list_orders() == (200, "replica")
        assert sessions(capped_replica, DEFAULT_READER) == 1
        time.sleep(0.8)
        assert sessions(capped_replica, DEFAULT_READER) == 0  # the server closed it: the slot is free
        assert list_orders() == (200, "replica")
    finally:
        idle_timeout(READER_IDLE_SESSION_TIMEOUT_MS)
        primary.dispose()


def emitted(stdout: str) -> dict[str, list[float]]:
    """The app metrics in the EMF blobs a handler printed: name -> values, in order."""
    found: dict[str, list[float]] = {}
    for line in stdout.splitlines():
        blob = json.loads(line) if line.startswith("{") else {}
        for directive in blob.get("_aws", {}).get("CloudWatchMetrics", []):
            for metric in directive["Metrics"]:
                value = blob[metric["Name"]]
                found.setdefault(metric["Name"], []).extend(value if isinstance(value, list) else [value])
    return found


def test_reads_the_primary_serves_because_the_replica_is_full_are_counted(
    stack: dict, capped_replica: str, one_environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """ReplicaFullFallbacks (the signal docs/data.md tells operators to act on): one per read the primary
    served for a full replica, whether refused in the same attempt or while backing off; none otherwise."""
    from app.contract import METRIC_REPLICA_FULL_FALLBACKS

    seed_order(stack["pg_url"], capped_replica)
    assert list_orders() == (200, "replica")
    assert METRIC_REPLICA_FULL_FALLBACKS not in emitted(capsys.readouterr().out)
    db.reader().dispose()
    holders = [connect_as(capped_replica, DEFAULT_READER) for _ in range(CAP)]
    try:
        assert list_orders() == (200, "primary")  # refused at connect: the primary, same attempt
        assert list_orders() == (200, "primary")  # backing off: not asked, still "full"
        assert emitted(capsys.readouterr().out)[METRIC_REPLICA_FULL_FALLBACKS] == [1, 1]
    finally:
        for holder in holders:
            holder.close()
    replica.health.mark_down("unreachable: test")  # a replica that is down is not full: not this signal
    assert list_orders() == (200, "primary")
    assert METRIC_REPLICA_FULL_FALLBACKS not in emitted(capsys.readouterr().out)
