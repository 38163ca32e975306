"""`invoke serve --async-commit` (the load test's default): the local PostgreSQL answers COMMIT before its
disk flush in the processes started after it, through libpq's PGOPTIONS, and nowhere else."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from app import devserver

pytestmark = pytest.mark.functional


def _synchronous_commit(url: str) -> str:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return str(conn.execute(sa.text("SHOW synchronous_commit")).scalar_one())
    finally:
        engine.dispose()


def test_async_commit_reaches_every_new_connection_and_only_after_it_is_set(pg_url, monkeypatch):
    # setenv first: monkeypatch records nothing for deleting an absent variable, and what set_async_commit
    # writes would outlive the test (every later connection of the session committing asynchronously).
    monkeypatch.setenv("PGOPTIONS", "")
    monkeypatch.delenv("PGOPTIONS")
    assert _synchronous_commit(pg_url) == "on"
    devserver.set_async_commit()
    devserver.set_async_commit()  # twice: one option, not two
    assert os.environ["PGOPTIONS"] == devserver.ASYNC_COMMIT_OPTION
    assert _synchronous_commit(pg_url) == "off"


def test_async_commit_keeps_options_already_set(pg_url, monkeypatch):
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=5000")
    devserver.set_async_commit()
    engine = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar_one() == "5s"
            assert conn.execute(sa.text("SHOW synchronous_commit")).scalar_one() == "off"
    finally:
        engine.dispose()
