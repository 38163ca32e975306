"""Run one real handler through every path that emits a metric, in a fresh process; EMF and logs go to stdout.

Used by tests/infra/observability/test_observability_metrics_emitted.py. Each handler is imported with
the Powertools environment the compute layer gives its function (``SCENARIO_FUNCTIONS``: function key ->
{name, service, namespace}), so the metrics carry the dimensions they carry on Lambda. Needs DATABASE_URL, AWS_ENDPOINT_URL,
ORDERS_QUEUE_URL and the parameter prefixes, as the app tests set them; DEAD_DATABASE_URL for the 503 path.
"""

from __future__ import annotations

import importlib
import json
import os
import uuid
from typing import Any


def _powertools_env(spec: dict[str, str]) -> None:
    os.environ["POWERTOOLS_SERVICE_NAME"] = spec["service"]
    os.environ["POWERTOOLS_METRICS_NAMESPACE"] = spec["namespace"]


def _order(customer: str, price: str = "9.99") -> dict[str, Any]:
    return {"customer_id": customer, "items": [{"sku": "sku-1", "quantity": 2, "unit_price": price}]}


def run_api(spec: dict[str, str]) -> None:
    from app.config import reset_config
    from app.local import FakeContext, api_event

    _powertools_env(spec)
    api = importlib.import_module("app.handlers.api")

    def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             timeout_ms: int = 29_000) -> int:
        event = api_event(method, path, {"Content-Type": "application/json", **(headers or {})},
                          json.dumps(body) if body is not None else None)
        answer = api.lambda_handler(event, FakeContext(function_name=spec["name"], timeout_ms=timeout_ms))
        return int(answer["statusCode"])

    key = f"scenario-{uuid.uuid4()}"
    assert call("POST", "/orders", _order("m-1"), {"Idempotency-Key": key}) == 201  # OrdersCreated, OrderValue
    assert call("POST", "/orders", _order("m-1"), {"Idempotency-Key": key}) == 200  # IdempotentReplays
    batch = {"orders": [_order("m-2"), _order("m-3"), {"customer_id": ""}]}
    assert call("POST", "/orders/batch", batch) == 200  # BatchSize, OrdersCreated, RecordsRejected, replays
    assert call("POST", "/orders", {"customer_id": 5}, {"Idempotency-Key": f"bad-{key}"}) == 400  # RequestsRejected
    async_body = {"orders": [_order("m-4"), _order("m-5")]}
    assert call("POST", "/orders/async", async_body, {"Idempotency-Key": f"job-{key}"}) == 202  # BatchSize
    _replica_full_read(call)  # ReplicaFullFallbacks
    live = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = os.environ["DEAD_DATABASE_URL"]
    reset_config()
    assert call("POST", "/orders", _order("m-6"), {"Idempotency-Key": f"down-{key}"}, 1500) == 503  # DependencyUnavailable
    os.environ["DATABASE_URL"] = live
    reset_config()


def _replica_full_read(call: Any) -> None:
    """A read routed to a "replica" that refuses the reader role as full: the server's reader role, whose
    CONNECTION LIMIT is 0 until a deploy's migrate step sets the cap, answers SQLSTATE 53300 (what a replica at
    its cap answers), and the primary serves the read."""
    from sqlalchemy.engine import make_url

    from app import db
    from app.config import reset_config
    from app.roles import DEFAULT_READER

    reader = make_url(os.environ["DATABASE_URL"]).set(username=DEFAULT_READER, password=None)
    os.environ["READER_DATABASE_URL"] = reader.render_as_string(hide_password=False)
    reset_config()
    try:
        assert call("GET", "/orders") == 200
        assert db.last_served() == "primary" and db.replica_full_fallbacks == 1
    finally:
        del os.environ["READER_DATABASE_URL"]
        reset_config()
        db.dispose_engines()


def run_worker(spec: dict[str, str]) -> None:
    import boto3

    from app.local import FakeContext, sqs_event

    _powertools_env(spec)
    worker = importlib.import_module("app.handlers.worker")
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    url = os.environ["ORDERS_QUEUE_URL"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                   AttributeNames=["All"], VisibilityTimeout=30).get("Messages", [])
    assert messages, "the async request enqueued nothing"
    messages.append({"MessageId": str(uuid.uuid4()), "ReceiptHandle": "r", "Body": "not json", "Attributes": {}})
    event = sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:orders")
    answer = worker.lambda_handler(event, FakeContext(function_name=spec["name"], timeout_ms=120_000))
    assert len(answer["batchItemFailures"]) == 1  # the bad record: RecordsRejected, a "record failed" line


def run_dlq_analyzer(spec: dict[str, str]) -> None:
    from app.dlq import CLASSES
    from app.local import FakeContext

    _powertools_env(spec)
    analyzer = importlib.import_module("app.handlers.dlq_analyzer")
    records = [{"messageId": str(uuid.uuid4()), "receiptHandle": "r", "body": json.dumps({"order": {}}),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {"error_class": {"stringValue": cls, "dataType": "String"},
                                      "correlation_id": {"stringValue": f"cid-{cls}", "dataType": "String"}},
                "eventSource": "aws:sqs"} for cls in CLASSES]
    analyzer.lambda_handler({"Records": records}, FakeContext(function_name=spec["name"], timeout_ms=60_000))


RUNNERS = {"api": run_api, "worker": run_worker, "dlq-analyzer": run_dlq_analyzer}


def main() -> None:
    """One function per process (``SCENARIO_FUNCTION``), as on Lambda: its cold start is its own."""
    function = os.environ["SCENARIO_FUNCTION"]
    RUNNERS[function](json.loads(os.environ["SCENARIO_FUNCTIONS"])[function])


if __name__ == "__main__":
    main()
