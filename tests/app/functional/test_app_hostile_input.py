"""The rule, for every route, against the real handler and a real PostgreSQL (property-based).

Any request gets a 2xx or a 4xx with the app's JSON error shape (``{"message": str, ...}``), never a
5xx while the dependencies are up; a refused request writes nothing and enqueues nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.local import FakeContext, api_event
from tests.app.db_counts import scalar
from tests.app.hostile import BODIES, PATH_TEXT, QUERY_VALUES, URL_TEXT, hostile_headers

pytestmark = pytest.mark.functional

ROUTES = ["/orders", "/orders/batch", "/orders/async"]


def _footprint(stack: dict[str, Any]) -> tuple[int, int, int]:
    """(orders, jobs, messages in the orders queue): what a refused request must leave unchanged."""
    sqs = stack["boto"]["sqs"]
    attrs = sqs.get_queue_attributes(
        QueueUrl=stack["queues"]["queue"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    queued = int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])
    orders = scalar(stack["pg_url"], "SELECT count(*) FROM orders")
    jobs = scalar(stack["pg_url"], "SELECT count(*) FROM jobs")
    return orders, jobs, queued


def call(method: str, path: str, headers: dict[str, str] | None = None, body: str | None = None) -> dict:
    from app.handlers import api

    return api.lambda_handler(api_event(method, path, headers, body), FakeContext(function_name="api"))


def assert_rule(response: dict, before: tuple[int, int, int], after: tuple[int, int, int]) -> None:
    status = response["statusCode"]
    assert 200 <= status < 500, (status, response.get("body"))
    payload = json.loads(response["body"])
    if status >= 400:
        assert isinstance(payload, dict) and isinstance(payload.get("message"), str), payload
        assert after == before, f"refused with {status} but wrote or enqueued: {before} -> {after}"


@pytest.fixture
def hostile_stack(stack: dict, clean_db: None, purge_queues: None) -> dict:
    return stack


@given(route=st.sampled_from(ROUTES), headers=hostile_headers(), body=st.one_of(st.none(), BODIES))
def test_posts_answer_2xx_or_json_4xx_and_refusals_leave_no_trace(
    hostile_stack: dict, route: str, headers: dict[str, str], body: str | None
) -> None:
    before = _footprint(hostile_stack)
    response = call("POST", route, headers, body)
    assert_rule(response, before, _footprint(hostile_stack))


@given(
    limit=st.one_of(st.none(), QUERY_VALUES),
    cursor=st.one_of(st.none(), QUERY_VALUES, URL_TEXT),
    headers=hostile_headers(),
)
def test_list_never_fails_on_hostile_query(
    hostile_stack: dict, limit: str | None, cursor: str | None, headers: dict[str, str]
) -> None:
    from urllib.parse import urlencode

    query = {k: v for k, v in (("limit", limit), ("cursor", cursor)) if v is not None}
    before = _footprint(hostile_stack)
    response = call("GET", "/orders" + (f"?{urlencode(query)}" if query else ""), headers)
    assert_rule(response, before, _footprint(hostile_stack))


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
    prefix=st.sampled_from(["/orders/", "/jobs/", "/", "/health/", "/orders/batch/"]),
    tail=PATH_TEXT,
    headers=hostile_headers(),
)
def test_any_method_and_path_is_answered_in_json(
    hostile_stack: dict, method: str, prefix: str, tail: str, headers: dict[str, str]
) -> None:
    from urllib.parse import quote

    before = _footprint(hostile_stack)
    response = call(method, prefix + quote(tail, safe="/"), headers, None)
    assert_rule(response, before, _footprint(hostile_stack))
