"""The worker on SQS-shaped events against real PostgreSQL: partial failures, redelivery, database failure."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from app.handlers import worker
from app.local import FakeContext
from tests.app.db_counts import orders_in_db, scalar

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
    assert orders_in_db(stack["pg_url"]) == 497
    # the worker recorded the validation failure it could attribute to the job
    assert scalar(stack["pg_url"], f"SELECT count(*) FROM job_failures WHERE job_id = '{job_id}'") == 1

    # SQS redelivers the whole batch (e.g. after a crash): replays, not duplicates
    again = worker.lambda_handler({"Records": records}, FakeContext(function_name="worker"))
    assert len(again["batchItemFailures"]) == 3
    assert orders_in_db(stack["pg_url"]) == 497


def test_database_down_fails_every_valid_record_and_nothing_is_written(
    stack: dict, monkeypatch: pytest.MonkeyPatch, dead_db_url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", dead_db_url)
    records = [record(i) for i in range(5)] + [{**record(5), "body": "{}"}]
    response = worker.lambda_handler({"Records": records}, FakeContext(function_name="worker"))
    assert len(response["batchItemFailures"]) == 6
    monkeypatch.undo()
    assert orders_in_db(stack["pg_url"]) == 0


def test_a_poison_row_is_isolated_from_its_chunk(stack: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record that passes validation but violates a database rule fails alone (chunk bisection)."""
    records = [record(i) for i in range(8)]
    body = json.loads(records[5]["body"])
    body["idempotency_key"] = "k" * 129  # longer than the column: a DataError, not transient
    records[5]["body"] = json.dumps(body)
    response = worker.lambda_handler({"Records": records}, FakeContext(function_name="worker"))
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["m-5"]
    assert orders_in_db(stack["pg_url"]) == 7


def job_status(job_id: str, total: int) -> dict:
    from app import repository

    jid = uuid.UUID(job_id)
    engine = sa.create_engine(os.environ["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO jobs (id, status, total) VALUES (:i, 'queued', :t)"), {"i": jid, "t": total})
    engine.dispose()
    return repository.job_status(job_id)


def test_a_key_taken_by_another_order_never_leaves_the_job_stuck(stack: dict) -> None:
    """Helper's report: an async record whose key was already used by a different order kept its job
    'in_progress' forever. Same body -> a replay counted as succeeded; different body -> a failure."""
    from app import repository
    from app.schemas import validate_order

    other = {"customer_id": "other", "items": [{"sku": "z", "quantity": 9, "unit_price": "1.00"}]}
    repository.create_order(validate_order(ORDER), "taken-same-body")
    repository.create_order(validate_order(other), "taken-other-body")
    job_id = str(uuid.uuid4())
    records = [
        record(0, job_id=job_id),
        record(1, job_id=job_id, key="taken-same-body"),
        record(2, job_id=job_id, key="taken-other-body"),
    ]
    response = worker.lambda_handler({"Records": records}, FakeContext(function_name="worker"))
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["m-2"]
    status = job_status(job_id, 3)
    assert (status["status"], status["succeeded"], status["failed"], status["pending"]) == (
        "completed_with_errors",
        2,
        1,
        0,
    )
    # redelivery of the whole batch changes nothing
    worker.lambda_handler({"Records": records}, FakeContext(function_name="worker"))
    assert repository.job_status(job_id)["succeeded"] == 2 and orders_in_db(stack["pg_url"]) == 3


def test_two_messages_with_one_key_in_a_batch_are_not_both_created(stack: dict) -> None:
    """SQS may deliver a message twice, even in one batch; and two jobs may carry the same record key."""
    job_a, job_b = str(uuid.uuid4()), str(uuid.uuid4())
    records = [record(0, job_id=job_a, key="dup"), {**record(0, job_id=job_a, key="dup"), "messageId": "m-0b"}]
    records.append({**record(0, job_id=job_b, key="dup"), "messageId": "m-b"})
    response = worker.lambda_handler({"Records": records}, FakeContext(function_name="worker"))
    assert response["batchItemFailures"] == []
    assert orders_in_db(stack["pg_url"]) == 1
    assert job_status(job_a, 1)["status"] == "completed"
    assert job_status(job_b, 1)["status"] == "completed"  # a replay of job a's order (same body)


def test_configuration_outage_fails_the_chunk_without_bisecting(
    stack: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With SSM down and nothing cached, a 500-record chunk must not turn into ~1,000 config loads."""
    from app import repository
    from app.errors import ConfigError

    calls = []

    def unavailable(rows: Any) -> Any:
        calls.append(len(rows))
        raise ConfigError("configuration unavailable and nothing cached: ssm down")

    monkeypatch.setattr(repository, "write_worker_chunk", unavailable)
    records = [record(i) for i in range(64)]
    response = worker.lambda_handler({"Records": records}, FakeContext(function_name="worker"))
    assert len(response["batchItemFailures"]) == 64
    assert calls == [64]


def test_correlation_ids_do_not_leak_into_the_next_batch(stack: dict) -> None:
    worker.lambda_handler({"Records": [record(0)]}, FakeContext(function_name="worker"))
    assert worker.logger.get_correlation_id() == "cid-w"
    anonymous = {**record(1), "messageAttributes": {}}
    worker.lambda_handler({"Records": [anonymous]}, FakeContext(function_name="worker"))
    assert worker.logger.get_correlation_id() is None
