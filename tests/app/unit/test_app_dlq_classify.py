"""Classification of dead letters."""

from __future__ import annotations

import json

import pytest

from app.dlq import classify, flatten_attributes

pytestmark = pytest.mark.unit

ORDER = {"customer_id": "c", "items": [{"sku": "a", "quantity": 1, "unit_price": "1"}]}
GOOD = json.dumps(
    {"job_id": "00000000-0000-4000-8000-000000000001", "index": 0, "idempotency_key": "k", "order": ORDER}
)


@pytest.mark.parametrize(
    ("body", "attrs", "recorded", "expected"),
    [
        ("not json", {}, None, "validation"),
        (json.dumps({"order": ORDER}), {}, None, "validation"),  # no idempotency key: not an envelope
        (json.dumps({"idempotency_key": "k", "order": {**ORDER, "items": []}}), {}, None, "validation"),
        (GOOD, {"ErrorMessage": "Task timed out after 30.03 seconds"}, None, "timeout"),
        (GOOD, {"ErrorMessage": "(psycopg.OperationalError) connection refused"}, None, "database"),
        (GOOD, {"error_class": "database"}, None, "database"),
        (GOOD, {}, "database", "database"),
        (GOOD, {}, None, "unknown"),
        (GOOD, {"ErrorMessage": "KeyError: 'x'"}, None, "unknown"),
    ],
)
def test_classify(body: str, attrs: dict, recorded: str | None, expected: str) -> None:
    assert classify(body, attrs, recorded)[0] == expected


def test_flatten_both_attribute_shapes() -> None:
    assert flatten_attributes(
        {"a": {"stringValue": "1", "dataType": "String"}, "b": {"StringValue": "2", "DataType": "String"}}
    ) == {"a": "1", "b": "2"}
