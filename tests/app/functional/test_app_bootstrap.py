"""The first deploy of the roles on a database that predates them: the migrate function cannot sign in as
the owner, the bootstrap (as the master) creates it and hands it the existing tables, and the migrations
then run as the owner and create the app role. On its own database of the embedded server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.local import FakeContext
from app.migrate import OwnerSignInError, head_revision, upgrade
from tests.app.conftest import as_role

pytestmark = pytest.mark.functional

OWNER, APP, READER = "fresh_owner", "fresh_app", "fresh_reader"
APP_TABLES = {"orders", "jobs", "job_failures", "job_replays", "alembic_version"}


@pytest.fixture
def legacy_db(pg_url: str) -> Iterator[str]:
    """A database migrated to 0002 by the master, as every env was before the roles existed."""
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS legacy13"))
        conn.execute(sa.text("CREATE DATABASE legacy13"))
    url = make_url(pg_url).set(database="legacy13").render_as_string(hide_password=False)
    upgrade(url, "0002")
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE legacy13 WITH (FORCE)"))
        for role in (APP, READER, OWNER):
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
    admin.dispose()


def owners(url: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = dict(conn.execute(sa.text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'")).all())
    engine.dispose()
    return found


def test_new_owner_is_bootstrapped_and_takes_over_the_tables(
    legacy_db: str, monkeypatch: pytest.MonkeyPatch, stack: dict
) -> None:
    from app.handlers import migrate

    monkeypatch.setenv("DATABASE_URL", as_role(legacy_db, OWNER))
    with pytest.raises(OwnerSignInError, match=f"could not sign in as {OWNER}.*bootstrap"):
        migrate.lambda_handler({}, FakeContext(function_name="migrate"))

    monkeypatch.setenv("DATABASE_USERNAME", OWNER)
    monkeypatch.setattr(migrate, "master_url", lambda: legacy_db)  # the master secret, resolved
    result = migrate.lambda_handler({"bootstrap": True}, FakeContext(function_name="migrate"))
    assert result["status"] == "ok" and set(result["tables_handed_over"]) == APP_TABLES
    assert {owners(legacy_db)[t] for t in APP_TABLES} == {OWNER}

    assert upgrade(as_role(legacy_db, OWNER), app_username=APP, reader_username=READER) == {
        "before": "0002", "after": head_revision(), "reader_connection_limit": 0
    }
    app = sa.create_engine(as_role(legacy_db, APP))
    with app.begin() as conn:
        conn.execute(sa.text("INSERT INTO jobs (id, status, total) VALUES (gen_random_uuid(), 'enqueuing', 1)"))
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), app.begin() as conn:
        conn.execute(sa.text("CREATE TABLE evil (id int)"))
    app.dispose()
    again = migrate.lambda_handler({"bootstrap": True}, FakeContext(function_name="migrate"))
    assert again["tables_handed_over"] == []  # idempotent
