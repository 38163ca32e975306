"""The worker on SQS-shaped events against real PostgreSQL: partial failures, redelivery, database failure."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from app.handlers import worker
from app.local import FakeContext

pytestmark = [pytest.mark.functional, pytest.mark.usefixtures("clean_db")]

ORDER = {"customer_id": "w", "items": [{"sku": "s", "quantity": 1, "unit_price": "3.00"}]}


def record(i: int, order: Any = ORDER, job_id: str | None = None, key: str | None = None) -> dict:
    body = {"job_id": job_id, "index": i, "idempotency_key": key or f"w-{job_id}-{i}", "order": order}
    return {
        "messageId": f"m-{i}",
        "receiptHandle": f"r-{i}",
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {"correlation_id": {"stringValue": "cid-w", "dataType": "String"}},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
    }


def count(pg_url: str, sql: str = "SELECT count(*) FROM orders") -> int:
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        n = conn.execute(sa.text(sql)).scalar_one()
    engine.dispose()
    return n


def test_500_record_batch_with_partial_failures_reports_only_the_failed_ids(stack: dict) -> None:
    job_id = str(uuid.uuid4())
    records = [record(i, job_id=job_id) for i in range(500)]
    bad = {
        7: "not json",
        123: json.dumps({"order": ORDER}),
        250: json.dumps(
            {"idempotency_key": "x", "job_id": job_id, "index": 250, "order": {"customer_id": "w"}}
        ),
    }
    for i, body in bad.items():
        records[i]["body"] = body
    response = worker.lambda_handler({"Records": records}, FakeContext(function_name="worker"))
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == sorted(f"m-{i}" for i in bad)
    assert count(stack["pg_url"]) == 497
    # the worker recorded the validation failure it could attribute to the job
    assert count(stack["pg_url"], f"SELECT count(*) FROM job_failures WHERE job_id = '{job_id}'") == 1

    # SQS redelivers the whole batch (e.g. after a crash): replays, not duplicates
    again = worker.lambda_handler({"Records": records}, FakeContext(function_name="worker"))
    assert len(again["batchItemFailures"]) == 3
    assert count(stack["pg_url"]) == 497


def test_database_down_fails_every_valid_record_and_nothing_is_written(
    stack: dict, monkeypatch: pytest.MonkeyPatch, dead_db_url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", dead_db_url)
    records = [record(i) for i in range(5)] + [{**record(5), "body": "{}"}]
    response = worker.lambda_handler({"Records": records}, FakeContext(function_name="worker"))
    assert len(response["batchItemFailures"]) == 6
    monkeypatch.undo()
    assert count(stack["pg_url"]) == 0


def test_a_poison_row_is_isolated_from_its_chunk(stack: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record that passes validation but violates a database rule fails alone (chunk bisection)."""
    records = [record(i) for i in range(8)]
    body = json.loads(records[5]["body"])
    body["idempotency_key"] = "k" * 129  # longer than the column: a DataError, not transient
    records[5]["body"] = json.dumps(body)
    response = worker.lambda_handler({"Records": records}, FakeContext(function_name="worker"))
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["m-5"]
    assert count(stack["pg_url"]) == 7
