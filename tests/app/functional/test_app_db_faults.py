"""Transient database errors from real failing connections; database down; migrations."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app import db, repository
from app.errors import DatabaseUnavailableError
from app.schemas import validate_order
from tests.app.db_counts import orders_in_db

pytestmark = [pytest.mark.functional, pytest.mark.usefixtures("clean_db")]



@pytest.fixture
def kill_first_insert(pg_url: str) -> Any:
    """On the first INSERT INTO orders, terminate the executing backend from another session: the
    statement then fails with a genuine OperationalError ('terminating connection ...')."""
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    state = {"kills": 0}

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if state["kills"] == 0 and statement.lstrip().upper().startswith("INSERT INTO ORDERS"):
            state["kills"] += 1
            pid = conn.connection.dbapi_connection.info.backend_pid
            with admin.connect() as c:
                c.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})

    engine = db.writer()
    event.listen(engine, "before_cursor_execute", before)
    yield state
    event.remove(engine, "before_cursor_execute", before)
    admin.dispose()


def test_killed_connection_mid_batch_is_retried_and_written_exactly_once(
    stack: dict, kill_first_insert: dict, make_order: Any, caplog: pytest.LogCaptureFixture
) -> None:
    records = [make_order(customer=f"k{i}") for i in range(50)]
    results = repository.create_batch(records, "kill-batch")
    assert kill_first_insert["kills"] == 1
    assert "transient database error; retrying" in caplog.text
    assert [r["status"] for r in results] == ["created"] * 50
    assert orders_in_db(stack["pg_url"]) == 50


def test_killed_connection_on_single_create_is_retried(
    stack: dict, kill_first_insert: dict, make_order: Any
) -> None:
    order, created = repository.create_order(validate_order(make_order()), "kill-one")
    assert created and kill_first_insert["kills"] == 1
    assert orders_in_db(stack["pg_url"]) == 1


def test_database_down_raises_unavailable_within_the_deadline(
    stack: dict, monkeypatch: pytest.MonkeyPatch, dead_db_url: str, make_order: Any
) -> None:
    import time

    monkeypatch.setenv("DATABASE_URL", dead_db_url)
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailableError):
        repository.create_batch([make_order()], None)
    assert time.monotonic() - started < 3.0
    # a short remaining time means fewer attempts, never more time than is left
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailableError):
        db.transaction(lambda conn: conn.execute(sa.text("SELECT 1")), deadline=time.monotonic() + 0.2)
    assert time.monotonic() - started < 0.5


def test_engine_follows_a_changed_url(stack: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import reset_config

    first = db.writer()
    assert db.writer() is first
    monkeypatch.setenv("DATABASE_URL", stack["pg_url"] + "&application_name=rotated")
    reset_config()
    second = db.writer()
    assert second is not first
    assert db.transaction(lambda conn: conn.execute(sa.text("SELECT 1")).scalar_one()) == 1


def test_migrations_are_idempotent_and_at_head(stack: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.handlers import migrate
    from app.local import FakeContext
    from app.migrate import head_revision
    from tests.app.conftest import ROLE_OWNER, as_role

    monkeypatch.setenv("DATABASE_URL", as_role(stack["pg_url"], ROLE_OWNER))  # migrate signs in as the owner
    result = migrate.lambda_handler({}, FakeContext(function_name="migrate"))
    assert result == {"status": "ok", "before": head_revision(), "after": head_revision(), "reader_connection_limit": 0}
