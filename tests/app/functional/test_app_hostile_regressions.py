"""One explicit test per class of hostile input that used to answer 500, slip into the database or
enqueue part of a job (the property tests in test_app_hostile_input.py look for new ones)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from app.handlers import worker
from app.local import FakeContext, api_event
from tests.app.db_counts import orders_in_db, scalar

pytestmark = [pytest.mark.functional, pytest.mark.usefixtures("clean_db", "purge_queues")]
JSON = {"Content-Type": "application/json"}


def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    from app.handlers import api

    raw = body if body is None or isinstance(body, str) else json.dumps(body)
    response = api.lambda_handler(
        api_event(method, path, {**JSON, **(headers or {})}, raw), FakeContext(function_name="api")
    )
    return response["statusCode"], json.loads(response["body"])


def order(price: Any = "1.00", qty: Any = 1, **extra: Any) -> dict:
    return {"customer_id": "c-1", "items": [{"sku": "s", "quantity": qty, "unit_price": price}], **extra}


def queued(stack: dict) -> int:
    attrs = stack["boto"]["sqs"].get_queue_attributes(
        QueueUrl=stack["queues"]["queue"], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


@pytest.mark.parametrize("price", [1e30, "1e30", 10**30, "-0", "1_000", " 5 ", "١٢.٥٠", "NaN", "1.001", 1e-7])
def test_odd_or_huge_amounts_are_400_not_500(stack: dict, price: Any) -> None:
    status, body = call("POST", "/orders", order(price), {"Idempotency-Key": f"amt-{uuid.uuid4()}"})
    assert status == 400 and {e["field"] for e in body["errors"]} == {"items[0].unit_price"}
    assert orders_in_db(stack["pg_url"]) == 0


def test_total_past_numeric_14_2_is_refused_before_the_database(stack: dict) -> None:
    # 100 x 10,000 x 1,000,000 = 10^12: each field is in range, the sum is one cent past the column
    big = {"customer_id": "c", "items": [{"sku": "s", "quantity": 10_000, "unit_price": "1000000"}] * 100}
    status, body = call("POST", "/orders", big, {"Idempotency-Key": "overflow"})
    assert status == 400 and body["errors"][0]["field"] == "total"
    assert orders_in_db(stack["pg_url"]) == 0


@pytest.mark.parametrize("field", ["customer_id", "idempotency_key"])
def test_trailing_newline_no_longer_slips_one_character_past_the_column(stack: dict, field: str) -> None:
    body = order(**{field: "a" * 128 + "\n"}) if field != "customer_id" else {**order(), "customer_id": "a" * 128 + "\n"}
    status, answer = call("POST", "/orders", body, {"Idempotency-Key": "nl"})
    assert status == 400 and answer["errors"][0]["field"] == field
    status, _ = call("POST", "/orders", order(), {"Idempotency-Key": "k\n"})
    assert status == 400
    assert orders_in_db(stack["pg_url"]) == 0


def test_derived_batch_keys_fit_the_column_and_replay(stack: dict) -> None:
    key = "b" * 128  # the longest header: "{key}:{index}" would be 130 characters
    status, first = call("POST", "/orders/batch", {"orders": [order(), order("2.00")]}, {"Idempotency-Key": key})
    assert status == 200 and first["summary"]["created"] == 2
    assert all(len(r["idempotency_key"]) <= 128 for r in first["results"])
    status, again = call("POST", "/orders/batch", {"orders": [order(), order("2.00")]}, {"Idempotency-Key": key})
    assert status == 200 and again["summary"]["replayed"] == 2
    assert orders_in_db(stack["pg_url"]) == 2


@pytest.mark.parametrize("route", ["/orders", "/orders/batch", "/orders/async"])
def test_deep_nesting_is_400(stack: dict, route: str) -> None:
    status, body = call("POST", route, "[" * 100_000 + "]" * 100_000, {"Idempotency-Key": "deep"})
    assert status == 400 and body["errors"][0]["field"] == "body"


@pytest.mark.parametrize("limit", ["²", "١٢", "12\n", " 5", "1e2"])
def test_non_ascii_or_odd_digits_in_limit_are_400(stack: dict, limit: str) -> None:
    from urllib.parse import quote

    status, body = call("GET", f"/orders?limit={quote(limit)}")
    assert status == 400 and body["errors"][0]["field"] == "limit"


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=latin-1"])
@pytest.mark.parametrize("route", ["/orders", "/orders/batch", "/orders/async"])
def test_wrong_media_type_is_415_and_writes_nothing(stack: dict, route: str, ctype: str) -> None:
    status, body = call("POST", route, {"orders": [order()]}, {"Content-Type": ctype, "Idempotency-Key": "mt"})
    assert status == 415 and "application/json" in body["message"]
    assert orders_in_db(stack["pg_url"]) == 0 and queued(stack) == 0


def test_oversized_async_job_is_refused_whole_before_anything_is_sent(stack: dict) -> None:
    huge = {**order(), "note": "x" * 300_000}  # its message alone is past SQS's 262,144 bytes
    status, body = call("POST", "/orders/async", {"orders": [order(), order(), huge]}, {"Idempotency-Key": "big"})
    assert status == 413 and "orders[2]" in body["message"]
    assert queued(stack) == 0
    assert scalar(stack["pg_url"], "SELECT count(*) FROM jobs") == 0
    # the same key with a job that fits is a new, whole job (the refused one left no trace)
    status, job = call("POST", "/orders/async", {"orders": [order(), order()]}, {"Idempotency-Key": "big"})
    assert status == 202 and queued(stack) == 2


def test_many_mid_sized_records_are_split_into_batches_sqs_accepts(stack: dict) -> None:
    records = [{**order(), "note": "y" * 60_000} for _ in range(10)]  # 600 KB: > one SendMessageBatch
    status, job = call("POST", "/orders/async", {"orders": records}, {"Idempotency-Key": "mid"})
    assert status == 202 and queued(stack) == 10


def test_async_key_reused_with_other_records_is_409_and_same_records_replay(stack: dict) -> None:
    status, first = call("POST", "/orders/async", {"orders": [order()]}, {"Idempotency-Key": "job-k"})
    assert status == 202
    status, body = call("POST", "/orders/async", {"orders": [order("9.99")]}, {"Idempotency-Key": "job-k"})
    assert status == 409 and "job-k" in body["message"]
    status, again = call("POST", "/orders/async", {"orders": [order()]}, {"Idempotency-Key": "job-k"})
    assert status == 202 and again["job_id"] == first["job_id"]
    assert queued(stack) == 1 and scalar(stack["pg_url"], "SELECT count(*) FROM jobs") == 1


def test_a_record_the_database_refuses_is_recorded_permanent_and_the_dlq_says_so(stack: dict) -> None:
    """Two messages claim the same (job, index) with different keys: the unique index refuses the second
    (a forged or corrupted message). The worker isolates it and records it ``permanent``."""
    from app.handlers.dlq_analyzer import analyze

    job_id = str(uuid.uuid4())

    def message(i: int, key: str) -> dict:
        body = {"job_id": job_id, "index": 0, "idempotency_key": key, "order": order()}
        return {"messageId": f"m-{i}", "receiptHandle": "r", "body": json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}}

    records = [message(0, "perm-a"), message(1, "perm-b")]
    response = worker.lambda_handler({"Records": records}, FakeContext(function_name="worker"))
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["m-1"]
    assert orders_in_db(stack["pg_url"]) == 1
    classes = scalar(stack["pg_url"], f"SELECT string_agg(error_class, ',') FROM job_failures WHERE job_id = '{job_id}'")
    assert classes == "permanent"
    counts, samples = analyze([records[1]])
    assert dict(counts) == {"permanent": 1} and samples[0]["reason"] == "recorded by the worker"
