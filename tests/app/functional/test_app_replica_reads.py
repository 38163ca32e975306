"""Reads from a real streaming replica of the embedded PostgreSQL, through the API handler.

Each request records which engine served each of its transactions (``app.db.last_served`` and the
``served`` counter), so the tests show it: lists and gets from the replica when it is caught up; a GET
right after a POST that the replica has not replayed yet misses there and is answered by the primary
(read-your-writes); a replica that lags past the bound, or cannot be reached, is bypassed for the primary.
Lag is made for real by pausing WAL replay on the replica (``pg_wal_replay_pause``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from app import db, replica
from app.local import FakeContext
from tests.app.conftest import ROLE_APP, as_role
from tests.app.streaming_replica import stop, streaming_replica

pytestmark = [pytest.mark.functional, pytest.mark.usefixtures("clean_db")]


@pytest.fixture(scope="module")
def replica_admin_url(pg_url: str) -> Iterator[str]:
    if "host=" not in pg_url:
        pytest.skip("the streaming replica is built from the embedded server (unix socket)")
    with streaming_replica(pg_url) as url:
        yield url


@pytest.fixture
def reads(replica_admin_url: str, stack: dict, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The app with READER_DATABASE_URL on the replica (as the app role), a fresh replica verdict per call."""
    monkeypatch.setenv("READER_DATABASE_URL", as_role(replica_admin_url, ROLE_APP))
    monkeypatch.setattr(replica.health, "interval_s", 0.0)
    monkeypatch.setattr(replica.health, "down_interval_s", 0.0)
    db.dispose_engines()
    admin = sa.create_engine(replica_admin_url, isolation_level="AUTOCOMMIT")
    yield {"admin": admin, "url": replica_admin_url}
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_wal_replay_resume()"))
    except sa.exc.OperationalError:
        pass  # the last test stops the replica
    admin.dispose()
    db.dispose_engines()


def call(method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, Any, list[str]]:
    """One API request; returns status, body and the engines that served its transactions, in order."""
    from app.handlers import api

    served: list[str] = []
    original = db.transaction

    def recording(work: Any, **kwargs: Any) -> Any:
        result = original(work, **kwargs)
        served.append(db.last_served() or "?")
        return result

    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
    event = {
        "httpMethod": method, "path": path, "resource": path, "headers": headers,
        "pathParameters": {"order_id": path.rsplit("/", 1)[-1]} if path.count("/") == 2 else None,
        "body": json.dumps(body) if body is not None else None, "requestContext": {"requestId": str(uuid.uuid4())},
    }
    import app.repository as repository

    repository.transaction = recording  # type: ignore[assignment]
    try:
        response = api.lambda_handler(event, FakeContext(function_name="api"))
    finally:
        repository.transaction = original  # type: ignore[assignment]
    return response["statusCode"], json.loads(response["body"] or "null"), served


def wait_caught_up(admin: sa.Engine, primary_url: str) -> None:
    primary = sa.create_engine(primary_url)
    with primary.connect() as conn:
        target = conn.execute(sa.text("SELECT pg_current_wal_lsn()")).scalar_one()
    primary.dispose()
    for _ in range(100):
        with admin.connect() as conn:
            if conn.execute(sa.text("SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)"), {"t": target}).scalar_one():
                return
        time.sleep(0.05)
    raise AssertionError("replica did not catch up in 5 s")


def pause_replay(admin: sa.Engine, primary_url: str) -> None:
    """Pause replay at a transaction boundary: paused between a replayed lock (the previous test's
    TRUNCATE) and its commit, every replica read of that table would wait for the resume."""
    wait_caught_up(admin, primary_url)
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_wal_replay_pause()"))


def test_caught_up_replica_serves_lists_and_gets(reads: dict, stack: dict, make_order: Any) -> None:
    status, order, served = call("POST", "/orders", make_order(), key="rep-1")
    assert status == 201 and served == ["primary"]
    wait_caught_up(reads["admin"], stack["pg_url"])
    status, page, served = call("GET", "/orders")
    assert status == 200 and [o["id"] for o in page["orders"]] == [order["id"]] and served == ["replica"]
    status, got, served = call("GET", f"/orders/{order['id']}")
    assert status == 200 and got["id"] == order["id"] and served == ["replica"]


def test_get_right_after_post_reads_its_write_from_the_primary(
    reads: dict, stack: dict, make_order: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLICA_MAX_LAG_SECONDS", "3600")  # lagging, but within the bound: still read from
    pause_replay(reads["admin"], stack["pg_url"])
    status, order, _ = call("POST", "/orders", make_order(), key="rep-2")
    status, got, served = call("GET", f"/orders/{order['id']}")
    assert status == 200 and got["id"] == order["id"]
    assert served == ["replica", "primary"]  # a miss on the replica, then the primary


def test_replica_lagging_past_the_bound_is_bypassed(
    reads: dict, stack: dict, make_order: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLICA_MAX_LAG_SECONDS", "0.5")
    pause_replay(reads["admin"], stack["pg_url"])
    call("POST", "/orders", make_order(), key="rep-3")
    time.sleep(1.0)
    status, page, served = call("GET", "/orders")
    assert status == 200 and len(page["orders"]) == 1 and served == ["primary"]
    assert replica.health.reason.startswith("lag ")


def test_a_read_blocked_on_the_replica_times_out_and_is_served_by_the_primary(
    reads: dict, stack: dict, make_order: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replica read waiting on a lock that replay holds is bounded by the reader's statement timeout."""
    monkeypatch.setattr(db, "REPLICA_STATEMENT_TIMEOUT_MS", 300)
    monkeypatch.setattr(replica.health, "down_interval_s", 3600.0)  # marked down stays down for the retry
    monkeypatch.setenv("REPLICA_MAX_LAG_SECONDS", "3600")
    db.dispose_engines()
    call("POST", "/orders", make_order(), key="rep-lock")
    primary = sa.create_engine(stack["pg_url"])
    try:
        with primary.connect() as holder:
            holder.execute(sa.text("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"))  # WAL-logged, replayed
            with primary.connect() as other:
                other.execute(sa.text("SELECT pg_switch_wal()"))  # flush the lock record to the replica
            wait_caught_up(reads["admin"], stack["pg_url"])
            with reads["admin"].connect() as conn:  # replay stops before the commit: the replica keeps the lock
                conn.execute(sa.text("SELECT pg_wal_replay_pause()"))
            holder.commit()  # the primary is free again
        started = time.monotonic()
        status, page, served = call("GET", "/orders")
        elapsed = time.monotonic() - started
    finally:
        primary.dispose()
    assert status == 200 and len(page["orders"]) == 1
    # The replica's attempt failed on its statement timeout (so it is not in ``served``), was marked down,
    # and the retry was answered by the primary, well inside the request's budget.
    assert served == ["primary"] and replica.health.reason.endswith("during a read") and elapsed < 5


def test_unreachable_replica_is_bypassed(
    reads: dict, stack: dict, make_order: Any, monkeypatch: pytest.MonkeyPatch, dead_db_url: str
) -> None:
    monkeypatch.setenv("READER_DATABASE_URL", dead_db_url)
    call("POST", "/orders", make_order(), key="rep-4")
    status, page, served = call("GET", "/orders")
    assert status == 200 and len(page["orders"]) == 1 and served == ["primary"]
    assert replica.health.reason.startswith("unreachable")


def test_replica_that_dies_mid_read_falls_back_to_the_primary(
    reads: dict, stack: dict, make_order: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The verdict was 'usable' (checked a moment ago), then the replica stops: the read is retried on the
    primary, not failed. Runs last in this module: it stops the replica server."""
    monkeypatch.setattr(replica.health, "interval_s", 3600.0)
    status, _, served = call("GET", "/orders")
    assert status == 200 and served == ["replica"]
    call("POST", "/orders", make_order(), key="rep-5")
    stop(reads["url"])
    status, page, served = call("GET", "/orders")
    assert status == 200 and len(page["orders"]) == 1 and served == ["primary"]
