"""Every route and the async path over HTTP, as a client sees them: unchanged against `invoke serve`
(default) and against a deployed env (``invoke test-integration --env staging``).

Runs write with fresh idempotency keys, so it can run again and again against a long-lived database.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from app.local import json_request
from ops.http_target import Target

pytestmark = pytest.mark.integration


def call(target: Target, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):
    return json_request(target.base_url, method, path, body, headers={**target.headers(), **(headers or {})})


def order(customer: str, qty: int = 2, price: str = "9.99") -> dict[str, Any]:
    return {"customer_id": customer, "items": [{"sku": "sku-1", "quantity": qty, "unit_price": price}]}


def key() -> str:
    return f"it-{uuid.uuid4()}"


def behind_base(target: Target, path: str) -> str:
    """Location as the client must follow it: right behind the stage, or the custom domain's root."""
    return urlsplit(target.base_url).path.rstrip("/") + path


def test_health_echoes_the_correlation_id(target: Target) -> None:
    status, headers, body = call(target, "GET", "/health", headers={"X-Correlation-Id": "it-corr-1"})
    assert status == 200 and body == {"status": "ok"}
    assert headers["X-Correlation-Id"] == "it-corr-1"


def test_create_read_and_replay_an_order(target: Target) -> None:
    idem, customer = key(), f"c-{uuid.uuid4().hex[:8]}"
    status, headers, created = call(target, "POST", "/orders", order(customer), {"Idempotency-Key": idem})
    assert status == 201 and created["customer_id"] == customer and created["total"] == "19.98"
    assert headers["Location"] == behind_base(target, f"/orders/{created['id']}")
    status, _, got = call(target, "GET", f"/orders/{created['id']}")
    assert status == 200 and got["id"] == created["id"]
    status, headers, again = call(target, "POST", "/orders", order(customer), {"Idempotency-Key": idem})
    assert status == 200 and again["id"] == created["id"] and headers.get("Idempotent-Replayed") == "true"
    status, _, body = call(target, "POST", "/orders", order(customer, qty=3), {"Idempotency-Key": idem})
    assert status == 409 and body["message"]


def test_list_pages_newest_first(target: Target) -> None:
    for _ in range(3):
        assert call(target, "POST", "/orders", order("c-list"), {"Idempotency-Key": key()})[0] == 201
    status, _, page = call(target, "GET", "/orders?limit=2")
    assert status == 200 and len(page["orders"]) == 2 and page["next_cursor"]
    status, _, following = call(target, "GET", f"/orders?limit=2&cursor={page['next_cursor']}")
    assert status == 200 and not {o["id"] for o in following["orders"]} & {o["id"] for o in page["orders"]}


def test_batch_reports_each_record(target: Target) -> None:
    records = [order("c-batch"), {"customer_id": "c-batch", "items": []}]
    status, _, body = call(target, "POST", "/orders/batch", {"orders": records}, {"Idempotency-Key": key()})
    assert status == 200
    assert body["summary"] == {"total": 2, "created": 1, "replayed": 0, "rejected": 1}
    assert [r["status"] for r in body["results"]] == ["created", "rejected"]


def test_async_job_is_enqueued_processed_by_the_worker_and_reported(target: Target) -> None:
    records = [order(f"c-async-{i}") for i in range(5)]
    status, headers, job = call(target, "POST", "/orders/async", {"orders": records}, {"Idempotency-Key": key()})
    assert status == 202 and job["total"] == 5
    assert headers["Location"] == job["status_url"] == behind_base(target, f"/jobs/{job['job_id']}")
    deadline, progress = time.monotonic() + 60, {}
    while time.monotonic() < deadline:
        status, _, progress = call(target, "GET", f"/jobs/{job['job_id']}")
        assert status == 200
        if progress["status"] in ("completed", "completed_with_errors"):
            break
        time.sleep(0.5)
    assert progress["status"] == "completed" and progress["succeeded"] == 5 and progress["failed"] == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/orders", {"customer_id": "c-bad"}, 400),  # refused before the handler (gateway validator)
        ("POST", "/orders", "{not json", 400),
        ("GET", "/orders?limit=100000", None, 400),  # the handler's bound
        ("GET", f"/orders/{uuid.UUID(int=0)}", None, 404),
        ("GET", f"/jobs/{uuid.UUID(int=0)}", None, 404),
        ("GET", "/no-such-route", None, 404),
    ],
)
def test_refusals_use_the_error_shape(target: Target, method: str, path: str, body: Any, status: int) -> None:
    got, _, payload = call(target, method, path, body, {"Idempotency-Key": key()})
    assert got == status and isinstance(payload["message"], str)
    assert all(set(e) <= {"field", "message"} for e in payload.get("errors", []))
