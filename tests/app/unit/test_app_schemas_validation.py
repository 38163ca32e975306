"""Validation of order bodies and batch envelopes (pure functions)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.errors import PayloadTooLargeError, ValidationError
from app.schemas import parse_limit, validate_batch, validate_idempotency_key, validate_order

pytestmark = pytest.mark.unit

GOOD = {
    "customer_id": "c-1",
    "items": [
        {"sku": "a", "quantity": 3, "unit_price": "1.10"},
        {"sku": "b", "quantity": 1, "unit_price": 2},
    ],
}


def fields(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {e["field"] for e in exc.value.errors}


def test_valid_order_computes_total_and_normalises_prices() -> None:
    order = validate_order(GOOD)
    assert order.total == Decimal("5.30") and order.currency == "USD"
    assert order.items[1] == {"sku": "b", "quantity": 1, "unit_price": "2.00"}


def test_matching_total_is_accepted_and_mismatch_rejected() -> None:
    assert validate_order({**GOOD, "total": "5.30"}).total == Decimal("5.30")
    with pytest.raises(ValidationError) as exc:
        validate_order({**GOOD, "total": "5.31"})
    assert fields(exc) == {"total"}


def test_every_field_error_is_reported_at_once() -> None:
    body = {
        "customer_id": "",
        "currency": "usd",
        "items": [
            {"sku": "a", "quantity": True, "unit_price": "1"},
            {"sku": "b", "quantity": 1, "unit_price": "0.001"},
            "x",
            {"sku": "c", "quantity": 1, "unit_price": -1, "extra": 1},
        ],
    }
    with pytest.raises(ValidationError) as exc:
        validate_order(body)
    assert fields(exc) == {
        "customer_id",
        "currency",
        "items[0].quantity",
        "items[1].unit_price",
        "items[2]",
        "items[3].extra",
        "items[3].unit_price",
    }


@pytest.mark.parametrize("bad", [None, [], "x", 1])
def test_non_object_body(bad: object) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_order(bad)
    assert fields(exc) == {"body"}


def test_too_many_items() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_order({"customer_id": "c", "items": [{"sku": "a", "quantity": 1, "unit_price": 1}] * 101})
    assert fields(exc) == {"items"}


def test_batch_envelope_limits() -> None:
    assert len(validate_batch({"orders": [1] * 500}, max_records=500)) == 500
    with pytest.raises(PayloadTooLargeError, match="501 > 500"):
        validate_batch({"orders": [1] * 501}, max_records=500)
    for bad in ({"orders": []}, {"orders": "x"}, [], {"orders": [1], "more": 1}):
        with pytest.raises(ValidationError):
            validate_batch(bad, max_records=500)


def test_limit_and_idempotency_key() -> None:
    assert parse_limit(None, default=20, maximum=100) == 20
    assert parse_limit("100", default=20, maximum=100) == 100
    for bad in ("0", "101", "-1", "abc"):
        with pytest.raises(ValidationError):
            parse_limit(bad, default=20, maximum=100)
    assert validate_idempotency_key("abc-1:2") == "abc-1:2"
    with pytest.raises(ValidationError):
        validate_idempotency_key("has space")
