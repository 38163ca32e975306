"""Local parity with API Gateway's request validators: app/openapi.yaml checked before the handler.

API Gateway (validator ``body-and-parameters``, shared/components/api/openapi.py) refuses, before
Lambda runs, a body that does not match the operation's schema and a required parameter that is
missing or blank; it does *not* check parameter values against their schemas (bounds such as
``limit`` are the handler's). This module does the same with openapi-core over the same document,
and answers in the same shape as the gateway's BAD_REQUEST_BODY / BAD_REQUEST_PARAMETERS responses.
Laptop-only (``invoke serve``, the integration suite): not shipped in the function zip.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import MissingRequiredParameter, RequestBodyValidationError

from shared.components.api.openapi import GATEWAY_RESPONSES

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"
# What API Gateway's request validator refuses; parameter *value* errors (InvalidParameter) pass through.
REFUSED = (RequestBodyValidationError, MissingRequiredParameter)


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_file_path(str(OPENAPI_PATH))


def _detail(error: Exception) -> str:
    cause = error.__cause__
    schema_errors = [e.message for e in getattr(cause, "schema_errors", ()) or ()]
    return "; ".join(schema_errors) or str(error)


def gateway_response(kind: str, request_id: str, *, message: str = "", validation: str = "") -> tuple[int, str]:
    """(status, body) of one of the API's gateway responses, rendered as API Gateway renders it."""
    status, template = GATEWAY_RESPONSES[kind]
    body = (
        template.replace("$context.error.messageString", json.dumps(message))
        .replace("$context.error.validationErrorString", json.dumps(validation)[1:-1])
        .replace("$context.requestId", request_id)
    )
    return status or 400, body


def check_request(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes | None,
    request_id: str,
) -> tuple[int, str] | None:
    """None when API Gateway would pass the request to Lambda, else its (status, JSON body)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    request = MockRequest(
        "http://localhost",
        method.lower(),
        path,
        args=dict(query),
        headers=dict(headers),
        data=body or None,
        content_type=lowered.get("content-type", "application/json"),
    )
    result = _openapi().unmarshal_request(request)
    refused = [e for e in result.errors if isinstance(e, REFUSED)]
    if not refused:
        return None  # unknown routes and parameter values are the handler's to answer, as on AWS
    kind = "BAD_REQUEST_BODY" if isinstance(refused[0], RequestBodyValidationError) else "BAD_REQUEST_PARAMETERS"
    return gateway_response(kind, request_id, validation=_detail(refused[0]))


def as_event_check(event: dict[str, Any]) -> tuple[int, str] | None:
    """``check_request`` on an API Gateway proxy event (what the local adapter builds)."""
    raw = event.get("body")
    return check_request(
        event["httpMethod"],
        event["path"],
        event.get("queryStringParameters") or {},
        event.get("headers") or {},
        raw.encode() if isinstance(raw, str) else raw,
        event["requestContext"]["requestId"],
    )
