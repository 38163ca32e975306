"""Racing requests with one Idempotency-Key: the unique constraint lets exactly one insert win."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from app import repository
from app.schemas import validate_order

pytestmark = [pytest.mark.functional, pytest.mark.usefixtures("clean_db")]


def test_concurrent_creates_with_one_key_write_one_row(stack: dict, make_order: Any) -> None:
    order = validate_order(make_order())
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: repository.create_order(order, "race-key"), range(12)))
    assert sum(created for _, created in results) == 1
    assert len({r["id"] for r, _ in results}) == 1
    engine = sa.create_engine(stack["pg_url"])
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM orders")).scalar_one() == 1
    engine.dispose()
