"""The local gateway's validators reused per schema (app/local_validation.py) refuse exactly what
openapi-core's own per-request validators refuse, with the same message, for any request."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app import local_validation

pytestmark = pytest.mark.unit

PATHS = st.sampled_from(["/health", "/orders", "/orders/batch", "/orders/async", "/jobs/{id}", "/orders/{id}",
                         "/nowhere", "/orders/{id}/extra"])
IDS = st.one_of(st.uuids().map(str), st.text(min_size=0, max_size=12))
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**6) | st.text(max_size=12)
    | st.decimals(allow_nan=False, places=2).map(str),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["customer_id", "items", "sku", "quantity", "unit_price", "orders", "idempotency_key", "x"]), inner, max_size=4),
    max_leaves=12,
)
BODIES = st.one_of(st.none(), JSONISH.map(lambda v: json.dumps(v).encode()), st.binary(max_size=20))
HEADERS = st.dictionaries(st.sampled_from(["Content-Type", "Idempotency-Key", "X-Correlation-Id", "Accept"]),
                          st.sampled_from(["application/json", "text/plain", "", " ", "k-123", "k"]), max_size=4)
QUERIES = st.dictionaries(st.sampled_from(["limit", "cursor", "status", ""]),
                          st.sampled_from(["", "0", "20", "201", "abc", "-1"]), max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]), path=PATHS, ident=IDS, query=QUERIES,
       headers=HEADERS, body=BODIES)
@example(method="POST", path="/orders", ident="", query={}, headers={"Content-Type": "application/json"},
         body=b'{"customer_id": 5}')
@example(method="POST", path="/orders/async", ident="", query={}, headers={"Content-Type": "application/json"},
         body=b'{"orders": []}')
@example(method="POST", path="/orders", ident="", query={}, headers={}, body=b"\x80")  # found by this property
def test_reused_validators_refuse_what_fresh_ones_refuse(method, path, ident, query, headers, body):
    path = path.replace("{id}", ident or "x")
    reused = local_validation.check_request(method, path, query, headers, body, "r", reuse=True)
    fresh = local_validation.check_request(method, path, query, headers, body, "r", reuse=False)
    assert reused == fresh


def test_validators_are_made_once_per_schema_not_per_request():
    headers = {"Content-Type": "application/json", "Idempotency-Key": "k-1234567890"}
    local_validation.check_request("POST", "/orders", {}, headers, b'{"customer_id": "c"}', "r")
    factory = local_validation._validator().schema_validators_factory
    made = len(factory._made)
    assert made >= 2  # the header's schema and the body's
    for _ in range(5):
        refused = local_validation.check_request("POST", "/orders", {}, headers, b'{"customer_id": "c"}', "r")
        assert refused is not None and refused[0] == 400 and "items" in refused[1]
    assert len(factory._made) == made


def test_a_body_that_is_not_utf8_is_the_gateways_400_not_a_crash():
    """Found by the property above: openapi-core's message for it decoded the body and raised, which in
    `invoke serve` ended the execution environment (a 502) where API Gateway answers 400."""
    headers = {"Content-Type": "application/json", "Idempotency-Key": "k-1234567890"}
    status, body = local_validation.check_request("POST", "/orders", {}, headers, b"\x80{}", "r")
    assert status == 400
    error = json.loads(body)
    assert error["message"] == "request does not match the API definition"
    assert "not UTF-8" in error["errors"][0]["message"] and error["errors"][0]["field"] == "body"
