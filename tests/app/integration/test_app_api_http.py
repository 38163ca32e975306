"""Every route of the API over HTTP, through the real handler, against real PostgreSQL and the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from app.local import json_request
from tests.app.db_counts import orders_in_db

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_db")]



def test_health_needs_no_database_and_echoes_correlation_id(api_url: str) -> None:
    status, headers, body = json_request(api_url, "GET", "/health", headers={"X-Correlation-Id": "cid-123"})
    assert status == 200 and body == {"status": "ok"}
    assert headers["X-Correlation-Id"] == "cid-123"


def test_correlation_id_defaults_to_request_id(api_url: str) -> None:
    _, headers, _ = json_request(api_url, "GET", "/health")
    assert len(headers["X-Correlation-Id"]) == 36  # the API Gateway request id (a UUID)


def test_unknown_route_is_404(api_url: str) -> None:
    status, _, body = json_request(api_url, "GET", "/nope")
    assert status == 404 and "no route" in body["message"]
    status, _, _ = json_request(api_url, "DELETE", "/orders")
    assert status == 404


def test_create_then_get_order(api_url: str, make_order: Any) -> None:
    status, headers, created = json_request(
        api_url, "POST", "/orders", make_order(qty=3, price="2.50"), headers={"Idempotency-Key": "k-create-1"}
    )
    assert status == 201, created
    assert created["total"] == "7.50" and created["status"] == "accepted"
    assert headers["Location"] == f"/v1/orders/{created['id']}"  # right behind the stage
    status, _, got = json_request(api_url, "GET", f"/orders/{created['id']}")
    assert status == 200 and got == created


def test_idempotent_repeat_returns_first_result_and_one_row(
    api_url: str, pg_url: str, make_order: Any
) -> None:
    hdr = {"Idempotency-Key": "k-repeat"}
    s1, _, first = json_request(api_url, "POST", "/orders", make_order(), headers=hdr)
    s2, h2, second = json_request(api_url, "POST", "/orders", make_order(), headers=hdr)
    assert (s1, s2) == (201, 200)
    assert second == first and h2["Idempotent-Replayed"] == "true"
    assert orders_in_db(pg_url) == 1


def test_same_key_different_body_is_409(api_url: str, pg_url: str, make_order: Any) -> None:
    hdr = {"Idempotency-Key": "k-conflict"}
    assert json_request(api_url, "POST", "/orders", make_order(qty=1), headers=hdr)[0] == 201
    status, _, body = json_request(api_url, "POST", "/orders", make_order(qty=5), headers=hdr)
    assert status == 409 and "different" in body["message"]
    assert orders_in_db(pg_url) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"customer_id": "c", "items": []}, {"items"}),
        (
            {"items": [{"sku": "a", "quantity": 0, "unit_price": "1.001"}]},
            {"customer_id", "items[0].quantity", "items[0].unit_price"},
        ),
        (
            {"customer_id": "c", "items": [{"sku": "a", "quantity": 1, "unit_price": 1}], "total": 2},
            {"total"},
        ),
        (
            {"customer_id": "c", "items": [{"sku": "a", "quantity": 1, "unit_price": 1}], "colour": "red"},
            {"colour"},
        ),
        ([1, 2], {"body"}),
    ],
)
def test_bad_input_is_400_with_field_errors(
    api_url: str, handler_url: str, pg_url: str, body: Any, fields: set[str]
) -> None:
    assert json_request(api_url, "POST", "/orders", body)[0] == 400  # refused at the gateway (or the handler)
    status, _, resp = json_request(handler_url, "POST", "/orders", body)  # the handler's own answer
    assert status == 400
    assert {e["field"] for e in resp["errors"]} == fields
    assert orders_in_db(pg_url) == 0


def test_create_without_an_idempotency_key_is_400_and_writes_nothing(
    api_url: str, pg_url: str, make_order: Any
) -> None:
    """docs/decisions.md: a generated key would make every client retry (timeout, 503) a second order."""
    status, _, resp = json_request(api_url, "POST", "/orders", make_order())
    assert status == 400 and [e["field"] for e in resp["errors"]] == ["Idempotency-Key"]
    assert orders_in_db(pg_url) == 0
    body = make_order(idempotency_key="k-in-body")  # a key in the body is enough
    assert json_request(api_url, "POST", "/orders", body)[0] == 201
    assert json_request(api_url, "POST", "/orders", body)[0] == 200
    assert orders_in_db(pg_url) == 1


def test_malformed_json_is_400(api_url: str) -> None:
    status, _, resp = json_request(api_url, "POST", "/orders", "{not json")
    assert status == 400 and resp["errors"][0]["field"] == "body"


def test_get_unknown_order_is_404(api_url: str) -> None:
    assert json_request(api_url, "GET", "/orders/00000000-0000-4000-8000-000000000000")[0] == 404
    assert json_request(api_url, "GET", "/orders/not-a-uuid")[0] == 404


def test_list_orders_keyset_pagination_visits_every_order_once(api_url: str, make_order: Any) -> None:
    ids = set()
    for i in range(7):
        ids.add(json_request(api_url, "POST", "/orders", make_order(customer=f"c{i}", idempotency_key=f"p{i}"))[2]["id"])
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        path = "/orders?limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, _, page = json_request(api_url, "GET", path)
        assert status == 200
        seen += [o["id"] for o in page["orders"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == 7 and set(seen) == ids
    created = [json_request(api_url, "GET", f"/orders/{i}")[2]["created_at"] for i in seen]
    assert created == sorted(created, reverse=True)


def test_keyset_pages_are_exact_when_created_at_ties(api_url: str, make_order: Any) -> None:
    """A batch is one transaction: its orders share created_at (now()). The id breaks the tie."""
    batch = {"orders": [make_order(customer=f"t{i}") for i in range(7)]}
    ids = {r["id"] for r in json_request(api_url, "POST", "/orders/batch", batch)[2]["results"]}
    seen: list[str] = []
    cursor = None
    while True:
        page = json_request(api_url, "GET", "/orders?limit=2" + (f"&cursor={cursor}" if cursor else ""))[2]
        seen += [o["id"] for o in page["orders"]]
        assert len({o["created_at"] for o in page["orders"]}) <= 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 7 and set(seen) == ids


def test_list_orders_rejects_bad_cursor_and_limit(api_url: str) -> None:
    assert json_request(api_url, "GET", "/orders?cursor=garbage")[0] == 400
    assert json_request(api_url, "GET", "/orders?limit=0")[0] == 400
    status, _, body = json_request(api_url, "GET", "/orders?limit=101")  # page_size_max from SSM is 100
    assert status == 400 and body["errors"][0]["field"] == "limit"


def test_batch_good_records_land_bad_ones_reported(api_url: str, pg_url: str, make_order: Any) -> None:
    records = [
        make_order(customer="a"),
        {"customer_id": "b", "items": "nope"},
        make_order(customer="c"),
        make_order(customer="d", qty=-1),
    ]
    status, _, body = json_request(
        api_url, "POST", "/orders/batch", {"orders": records}, headers={"Idempotency-Key": "batch-1"}
    )
    assert status == 200
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "created", "rejected"]
    assert body["results"][3]["errors"][0]["field"] == "items[0].quantity"
    assert body["summary"] == {"total": 4, "created": 2, "replayed": 0, "rejected": 2}
    assert orders_in_db(pg_url) == 2
    # the same batch again: replays, no new rows
    status, _, again = json_request(
        api_url, "POST", "/orders/batch", {"orders": records}, headers={"Idempotency-Key": "batch-1"}
    )
    assert again["summary"]["replayed"] == 2 and again["summary"]["created"] == 0
    assert [r.get("id") for r in again["results"]] == [r.get("id") for r in body["results"]]
    assert orders_in_db(pg_url) == 2


def test_batch_of_500_is_accepted_and_501_is_413(api_url: str, pg_url: str, make_order: Any) -> None:
    status, _, body = json_request(
        api_url, "POST", "/orders/batch", {"orders": [make_order(customer=f"x{i}") for i in range(500)]}
    )
    assert status == 200 and body["summary"]["created"] == 500
    status, _, body = json_request(api_url, "POST", "/orders/batch", {"orders": [make_order()] * 501})
    assert status == 413 and "501 > 500" in body["message"]
    assert orders_in_db(pg_url) == 500


def test_batch_envelope_errors_are_400(api_url: str) -> None:
    assert json_request(api_url, "POST", "/orders/batch", {"orders": []})[0] == 400
    assert json_request(api_url, "POST", "/orders/batch", {"records": []})[0] == 400


def test_database_down_is_503_with_retry_after_and_nothing_written(
    api_url: str, pg_url: str, make_order: Any, monkeypatch: pytest.MonkeyPatch, dead_db_url: str
) -> None:
    # a real refused connection: a port nothing listens on (the retries run, then give up)
    monkeypatch.setenv("DATABASE_URL", dead_db_url)
    for method, path, body in [
        ("POST", "/orders", make_order(idempotency_key="k-db-down")),
        ("POST", "/orders/batch", {"orders": [make_order(), make_order(customer="z")]}),
        ("GET", "/orders", None),
    ]:
        status, headers, resp = json_request(api_url, method, path, body)
        assert status == 503, (path, resp)
        assert int(headers["Retry-After"]) > 0
    assert json_request(api_url, "GET", "/health")[0] == 200  # no database needed
    monkeypatch.undo()
    assert orders_in_db(pg_url) == 0
