"""The local server behaves like the deployed API for a client: the stage path, the gateway's request
validation (app/local_validation.py) answered in the gateway responses' shape, and URLs behind the stage
or behind a custom domain mapped at its root."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.local import FakeContext, api_event, json_request
from shared.components.api.openapi import GATEWAY_RESPONSES

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_db")]


def test_served_under_the_stage_only(api_url: str) -> None:
    root = api_url.removesuffix("/v1")
    assert json_request(api_url, "GET", "/health")[0] == 200
    status, _, body = json_request(root, "GET", "/health")
    assert status == 404 and "served under /v1" in body["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer_id": "c-1"}, "body"),  # items missing: the schema's required
        ({"customer_id": "c-1", "items": [{"sku": "s", "quantity": 0, "unit_price": "1"}]}, "body"),
        (None, "body"),  # requestBody required
    ],
)
def test_bodies_the_gateway_refuses_never_reach_the_handler(
    api_url: str, pg_url: str, make_order: Any, body: Any, field: str
) -> None:
    from tests.app.db_counts import orders_in_db

    before = orders_in_db(pg_url)
    status, _, resp = json_request(api_url, "POST", "/orders", body, headers={"Idempotency-Key": "gw-1"})
    assert status == 400
    assert resp["message"] == "request does not match the API definition" and resp["errors"][0]["field"] == field
    assert resp["request_id"]
    template = json.loads(GATEWAY_RESPONSES["BAD_REQUEST_BODY"][1].replace("$context.", ""))
    assert set(resp) == set(template)
    assert orders_in_db(pg_url) == before


def test_parameter_values_are_the_handlers_to_judge_as_on_aws(api_url: str) -> None:
    """API Gateway checks required parameters are present, not their values: limit=5000 is the handler's 400."""
    status, _, resp = json_request(api_url, "GET", "/orders?limit=5000")
    assert status == 400 and resp["errors"][0]["field"] == "limit"


def test_urls_are_right_behind_the_stage_and_behind_a_custom_domain(
    api_url: str, make_order: Any, pg_url: str, queues: dict[str, str], ssm_params: dict[str, str]
) -> None:
    from app.handlers import api

    status, headers, created = json_request(api_url, "POST", "/orders", make_order(), headers={"Idempotency-Key": "u-1"})
    assert status == 201 and headers["Location"] == f"/v1/orders/{created['id']}"
    # Behind https://api.example.com mapped at its root, requestContext.path carries no stage.
    event = api_event("POST", "/orders/async", {"Idempotency-Key": "u-2", "Content-Type": "application/json"},
                      json.dumps({"orders": [make_order()]}))
    event["requestContext"]["path"] = "/orders/async"
    response = api.lambda_handler(event, FakeContext(function_name="api"))
    body = json.loads(response["body"])
    assert response["statusCode"] == 202
    assert body["status_url"] == f"/jobs/{body['job_id']}"
    status, _, job = json_request(api_url, "GET", f"/jobs/{body['job_id']}")
    assert status == 200 and job["job_id"] == body["job_id"]


def test_over_the_stage_throttle_a_client_gets_the_gateways_429(pg_url: str, ssm_params: dict[str, str]) -> None:
    import threading

    from app.local import make_api_server
    from app.local_validation import TokenBucket, stage_throttle

    assert (stage_throttle("prod").rate, stage_throttle("prod").burst) == (250.0, 500)
    now = [0.0]
    server = make_api_server("127.0.0.1", 0, throttle=TokenBucket(1, 2, clock=lambda: now[0]))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        assert [json_request(base, "GET", "/health")[0] for _ in range(2)] == [200, 200]  # the burst
        status, _, body = json_request(base, "GET", "/health")
        assert status == 429 and body["message"] == "too many requests: slow down and retry" and body["request_id"]
        now[0] += 1.0  # one second refills one token
        assert json_request(base, "GET", "/health")[0] == 200
    finally:
        server.shutdown()
        server.server_close()
