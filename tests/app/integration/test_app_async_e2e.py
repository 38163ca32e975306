"""The async path end to end: POST /orders/async -> SQS (emulator) -> worker -> PostgreSQL -> GET /jobs."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import sqlalchemy as sa

from app.local import json_request, poll_once

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_db", "purge_queues")]


def rows_for_job(pg_url: str, job_id: str) -> list[int]:
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        rows = (
            conn.execute(
                sa.text("SELECT job_index FROM orders WHERE job_id = :j ORDER BY job_index"), {"j": job_id}
            )
            .scalars()
            .all()
        )
    engine.dispose()
    return list(rows)


def drain(sqs: Any, url: str, handler: Any, rounds: int = 8, **kw: Any) -> list[dict]:
    outs = []
    for _ in range(rounds):
        out = poll_once(sqs, url, handler, **kw)
        outs.append(out)
        if out["received"] == 0:
            time.sleep(1.1)  # let failed messages' 1 s visibility timeout lapse
            if poll_once(sqs, url, handler, **kw)["received"] == 0:
                break
    return outs


def test_async_job_end_to_end(api_url: str, stack: dict, make_order: Any) -> None:
    from app.handlers import dlq_analyzer, worker

    sqs = stack["boto"]["sqs"]
    queue, dlq = stack["queues"]["queue"], stack["queues"]["dlq"]
    records = [make_order(customer=f"a{i}") for i in range(5)]
    records[3] = {"customer_id": "bad", "items": [{"sku": "x", "quantity": "many", "unit_price": "1"}]}
    status, headers, body = json_request(
        api_url,
        "POST",
        "/orders/async",
        {"orders": records},
        headers={"Idempotency-Key": "job-e2e", "X-Correlation-Id": "cid-async"},
    )
    assert status == 202, body
    job_id = body["job_id"]
    assert headers["Location"] == f"/v1/jobs/{job_id}"  # right behind the stage
    assert json_request(api_url, "GET", f"/jobs/{job_id}")[2]["status"] == "queued"

    # a client retry of the same request: same job, nothing enqueued twice
    status, _, again = json_request(
        api_url, "POST", "/orders/async", {"orders": records}, headers={"Idempotency-Key": "job-e2e"}
    )
    assert status == 202 and again["job_id"] == job_id

    first = poll_once(sqs, queue, worker.lambda_handler)
    assert first["received"] == 5
    assert len(first["failed"]) == 1  # only the bad record is reported back
    bad_body = json.loads(sqs_body_of(first, first["failed"][0]))
    assert bad_body["index"] == 3
    assert rows_for_job(stack["pg_url"], job_id) == [0, 1, 2, 4]

    job = json_request(api_url, "GET", f"/jobs/{job_id}")[2]
    assert job == {
        **job,
        "status": "completed_with_errors",
        "total": 5,
        "succeeded": 4,
        "failed": 1,
        "pending": 0,
    }

    # redeliveries until maxReceiveCount (2): the poison message reaches the DLQ, no duplicate rows
    drain(sqs, queue, worker.lambda_handler)
    assert rows_for_job(stack["pg_url"], job_id) == [0, 1, 2, 4]
    dead = sqs.receive_message(
        QueueUrl=dlq,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=1,
        MessageAttributeNames=["All"],
        AttributeNames=["All"],
    )["Messages"]
    assert [json.loads(m["Body"])["index"] for m in dead] == [3]
    assert dead[0]["MessageAttributes"]["correlation_id"]["StringValue"] == "cid-async"
    from app.local import sqs_event

    counts, samples = dlq_analyzer.analyze(sqs_event(dead, "arn:dlq")["Records"])
    assert dict(counts) == {"validation": 1}
    assert "items[0].quantity" in samples[0]["reason"]


def sqs_body_of(out: dict, message_id: str) -> str:
    return next(m["Body"] for m in out["messages"] if m["MessageId"] == message_id)


def test_unknown_job_is_404(api_url: str) -> None:
    assert json_request(api_url, "GET", "/jobs/00000000-0000-4000-8000-000000000000")[0] == 404
    assert json_request(api_url, "GET", "/jobs/zzz")[0] == 404


def test_async_duplicate_record_keys_are_400(api_url: str, make_order: Any) -> None:
    body = {"orders": [make_order(idempotency_key="same"), make_order(customer="b", idempotency_key="same")]}
    status, _, resp = json_request(api_url, "POST", "/orders/async", body)
    assert status == 400 and "unique" in resp["errors"][0]["message"]


def test_async_over_500_is_413(api_url: str, make_order: Any) -> None:
    status, _, body = json_request(api_url, "POST", "/orders/async", {"orders": [make_order()] * 501})
    assert status == 413


def test_async_queue_down_is_503_and_retry_is_safe(
    api_url: str, stack: dict, make_order: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from app import queue as app_queue

    dead = boto3.client(
        "sqs",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        config=__import__("botocore.config").config.Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    records = [make_order(customer=f"q{i}") for i in range(3)]
    monkeypatch.setattr(app_queue, "_client", dead)
    status, headers, body = json_request(
        api_url, "POST", "/orders/async", {"orders": records}, headers={"Idempotency-Key": "job-retry"}
    )
    assert status == 503 and "Retry-After" in headers
    monkeypatch.setattr(app_queue, "_client", None)
    status, _, body = json_request(
        api_url, "POST", "/orders/async", {"orders": records}, headers={"Idempotency-Key": "job-retry"}
    )
    assert status == 202
    from app.handlers import worker

    out = poll_once(stack["boto"]["sqs"], stack["queues"]["queue"], worker.lambda_handler)
    assert out["received"] == 3 and out["failed"] == []
    assert rows_for_job(stack["pg_url"], body["job_id"]) == [0, 1, 2]
    assert json_request(api_url, "GET", f"/jobs/{body['job_id']}")[2]["status"] == "completed"
