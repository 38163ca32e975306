"""app/openapi.yaml and the handler agree: bounds, the Idempotency-Key header, and error shapes.

The gateway enforces the document (bodies; required parameters) before the handler runs, and the
handler enforces the rest (API Gateway's parameter validation checks presence, not schema: bounds such
as ``limit`` are the handler's), so a difference between the two is a request refused on one side only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

pytestmark = pytest.mark.unit
REPO = Path(__file__).parents[3]
DOC = yaml.safe_load((REPO / "app" / "openapi.yaml").read_text())


def operation(method: str, path: str) -> dict[str, Any]:
    return DOC["paths"][path][method.lower()]


def parameter(op: dict[str, Any], name: str) -> dict[str, Any]:
    for p in op.get("parameters", []):
        if "$ref" in p:
            p = DOC["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        if p["name"] == name:
            return p
    raise LookupError(name)


def error_schema() -> dict[str, Any]:
    return {"$ref": "#/components/schemas/Error", "components": DOC["components"]}


def test_limit_bounds_are_the_handlers_and_every_envs_page_size_max():
    from app.config import ApiSettings
    from app.errors import ValidationError
    from app.schemas import parse_limit

    schema = parameter(operation("GET", "/orders"), "limit")["schema"]
    assert schema["minimum"] == 1
    assert schema["maximum"] == ApiSettings.__dataclass_fields__["page_size_max"].default  # type: ignore[attr-defined]
    for env in ("dev", "staging", "prod"):  # what the security layer writes to /myapp/{env}/api/page_size_max
        stack = yaml.safe_load((REPO / "projects" / "security" / f"Pulumi.{env}.yaml").read_text())["config"]
        assert stack["serverless-infra-security:apiParameters"]["pageSizeMax"] == schema["maximum"], env
    assert parse_limit(str(schema["maximum"]), default=50, maximum=schema["maximum"]) == schema["maximum"]
    for refused in (schema["maximum"] + 1, schema["minimum"] - 1):
        with pytest.raises(ValidationError):
            parse_limit(str(refused), default=50, maximum=schema["maximum"])


@pytest.mark.parametrize("path", ["/orders", "/orders/batch", "/orders/async"])
def test_idempotency_key_header_pattern_is_the_handlers(path):
    from app.errors import ValidationError
    from app.schemas import validate_idempotency_key

    pattern = re.compile(parameter(operation("POST", path), "Idempotency-Key")["schema"]["pattern"])
    for sample in ["k-1", "order:2026/01@x", "A" * 128, "A" * 129, "-lead", "", "sp ace", "é", "k\n"]:
        try:
            validate_idempotency_key(sample)
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == bool(pattern.fullmatch(sample)), repr(sample)


def _call(method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    from app.handlers import api
    from app.local import FakeContext, api_event

    response = api.lambda_handler(api_event(method, path, headers, body), FakeContext(function_name="api"))
    return int(response["statusCode"]), json.loads(response["body"])


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("method", "path", "doc_path", "body", "headers", "status"),
    [
        ("GET", "/orders/not-a-uuid", "/orders/{order_id}", None, None, 404),
        ("GET", "/jobs/not-a-uuid", "/jobs/{job_id}", None, None, 404),
        ("POST", "/orders", "/orders", "{not json", {"Idempotency-Key": "k-1", **JSON}, 400),
        ("POST", "/orders", "/orders", json.dumps({"customer_id": "c", "items": []}), {"Idempotency-Key": "k", **JSON}, 400),
        ("POST", "/orders", "/orders",
         json.dumps({"customer_id": "c", "items": [{"sku": "s", "quantity": 1, "unit_price": "1.00"}]}), JSON, 400),
        ("POST", "/orders", "/orders", "{}", {"Content-Type": "text/plain"}, 415),
        ("POST", "/orders/batch", "/orders/batch", "{}", None, 415),
        ("POST", "/orders/async", "/orders/async", "{}", {"Content-Type": "application/xml"}, 415),
    ],
)
def test_handler_errors_are_documented_and_have_the_documents_error_shape(
    monkeypatch, method, path, doc_path, body, headers, status
):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Test")
    got, payload = _call(method, path, body, headers)
    assert got == status
    assert str(status) in operation(method, doc_path)["responses"]
    jsonschema.validate(payload, error_schema())


def test_unknown_route_answers_in_the_error_shape(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Test")
    status, payload = _call("GET", "/nope")
    assert status == 404
    jsonschema.validate(payload, error_schema())


def test_batch_bodies_are_checked_per_record_by_the_app_not_refused_whole_by_the_gateway():
    """A batch with one bad record gets a per-record result (200), so the gateway may check only the envelope;
    more than max_batch_size is the handler's 413, so the document sets no maxItems the gateway would turn into 400."""
    orders = DOC["components"]["schemas"]["BatchInput"]["properties"]["orders"]
    assert orders["items"] == {"type": "object"} and "maxItems" not in orders
    for path in ("/orders/batch", "/orders/async"):
        assert "413" in operation("POST", path)["responses"]
