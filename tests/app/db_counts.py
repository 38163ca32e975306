"""One helper for the tests that count what landed in the real PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa


def scalar(pg_url: str, sql: str) -> int:
    """The single value of ``sql``, on a short-lived engine."""
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar_one()
    finally:
        engine.dispose()


def orders_in_db(pg_url: str) -> int:
    return scalar(pg_url, "SELECT count(*) FROM orders")
