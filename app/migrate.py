"""Programmatic ``alembic upgrade head`` (the migrate Lambda, ``invoke serve`` and the tests) and the
one-time owner bootstrap. Both connect through :func:`app.db.build_engine`, the app's engine factory:
with ``DATABASE_IAM_AUTH`` on, a migration signs in with an IAM token over TLS like every function.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.db import build_engine
from app.roles import DEFAULT_READER, bootstrap_owner, reader_limit, set_reader_limit

MIGRATIONS = Path(__file__).parent / "migrations"
LOCK_ID = 7_201_311  # pg_advisory_lock key: two concurrent deploys never migrate at once


class OwnerSignInError(RuntimeError):
    """The migrations could not sign in as the owner: on a new database, the owner does not exist yet
    (``ops.migrate`` then runs the one-time bootstrap and tries again)."""


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(
    url: str,
    revision: str = "head",
    *,
    app_username: str | None = None,
    reader_username: str | None = None,
    reader_connection_limit: int | None = None,
    iam: bool | None = None,
) -> dict[str, str | int | None]:
    """Upgrade the database at ``url`` (as the owner) to ``revision``; returns the revisions before and after.

    ``app_username`` names the application role the migrations create and grant (default ``app_user``),
    ``reader_username`` the replica reader role (default ``app_reader``). ``reader_connection_limit``, when
    given, becomes that role's CONNECTION LIMIT after the revisions ran: the replica's hard cap of direct
    app connections (app/roles.py), re-applied by every run so the stack file's value is what holds.
    """
    from sqlalchemy import exc, text

    engine = build_engine(url, iam=iam, pool_size=1)
    try:
        try:
            connection = engine.connect()
        except exc.OperationalError as error:
            raise OwnerSignInError(
                f"could not sign in as {engine.url.username}: {str(error.orig).strip()[:300]}; on a new database "
                "run the one-time bootstrap (invoke migrate --env <env> --bootstrap; docs/data.md, Roles)"
            ) from error
        with connection as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_ID})
            conn.commit()
            try:
                before = MigrationContext.configure(conn).get_current_revision()
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                cfg.attributes["app_username"] = app_username
                cfg.attributes["reader_username"] = reader_username
                command.upgrade(cfg, revision)
                conn.commit()
                after = MigrationContext.configure(conn).get_current_revision()
                reader = reader_username or DEFAULT_READER
                if reader_connection_limit is not None and reader_limit(conn, reader) is not None:
                    set_reader_limit(conn, reader, reader_connection_limit)
                    conn.commit()
                cap = reader_limit(conn, reader)
            finally:
                conn.rollback()  # a failed revision leaves the transaction aborted; the unlock needs a fresh one
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_ID})
                conn.commit()
    finally:
        engine.dispose()
    return {"before": before, "after": after, "reader_connection_limit": cap}


def bootstrap(master_url: str, owner: str) -> dict[str, object]:
    """As the master user (password, TLS, directly to the instance): create ``owner``, once per database."""
    engine = build_engine(master_url, iam=False, pool_size=1)
    try:
        with engine.begin() as conn:
            moved = bootstrap_owner(conn, owner)
    finally:
        engine.dispose()
    return {"owner": owner, "tables_handed_over": moved}
