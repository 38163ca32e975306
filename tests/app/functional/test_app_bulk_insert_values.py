"""The bulk insert (rows as one JSON parameter) stores every value exactly as the one-row insert does:
the Decimal total with its scale, the items, UUIDs, keys with quotes, backslashes and non-ASCII text."""

from __future__ import annotations

import uuid

import pytest

from app import repository
from app.db import transaction
from app.schemas import validate_order

pytestmark = pytest.mark.functional

ORDER = {
    "customer_id": "cust-1/a@b.c",
    "currency": "EUR",
    "items": [{"sku": "s:1/x", "quantity": 3, "unit_price": "0.10"}, {"sku": "s.2", "quantity": 1, "unit_price": "7.00"}],
}


def test_bulk_rows_read_back_equal_to_the_single_row_insert(stack: dict) -> None:
    order = validate_order(ORDER)
    job = uuid.uuid4()
    single = repository.order_row(order, f"single-{uuid.uuid4()}")
    bulk = [
        repository.order_row(order, f"bulk-'{i}'-\\-\"é✓-{uuid.uuid4()}", job_id=str(job), job_index=i) for i in range(3)
    ]
    inserted = transaction(lambda conn: repository._insert_orders(conn, [single]))
    inserted.update(transaction(lambda conn: repository._insert_orders(conn, bulk)))
    assert len(inserted) == 4
    stored = {key: repository.serialize_order(row) for key, row in inserted.items()}
    reference = stored[single["idempotency_key"]]
    for i, row in enumerate(bulk):
        got = stored[row["idempotency_key"]]
        assert got["id"] == str(row["id"]) and got["job_id"] == str(job) and inserted[row["idempotency_key"]]["job_index"] == i
        for field in ("customer_id", "items", "total", "currency", "status"):
            assert got[field] == reference[field], field
    assert reference["total"] == str(order.total) and reference["items"] == order.items


def test_a_key_already_taken_is_skipped_not_an_error(stack: dict) -> None:
    order = validate_order(ORDER)
    first = [repository.order_row(order, f"k-{uuid.uuid4()}") for _ in range(2)]
    transaction(lambda conn: repository._insert_orders(conn, first))
    again = [repository.order_row(order, first[0]["idempotency_key"]), repository.order_row(order, f"k-{uuid.uuid4()}")]
    inserted = transaction(lambda conn: repository._insert_orders(conn, again))
    assert list(inserted) == [again[1]["idempotency_key"]]
