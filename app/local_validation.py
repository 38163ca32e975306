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

from openapi_core import Config, OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import MissingRequiredParameter, RequestBodyValidationError
from openapi_core.validation.request.validators import V30RequestBodyValidator, V30RequestParametersValidator

from shared.components.api.openapi import GATEWAY_RESPONSES

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"


@cache
def _validators() -> tuple[OpenAPI, OpenAPI]:
    """(body validator, parameters validator) over the same document.

    ``validate_request`` stops at its first error and costs ~1 ms here; ``unmarshal_request`` collects
    every error but costs ~15 ms a request, too much for `invoke loadtest`. Two validators give both:
    every body error refuses, and of the parameter errors only a missing required one does (on AWS a
    parameter's *value* is the handler's to judge).
    """
    path = str(OPENAPI_PATH)
    return (
        OpenAPI.from_file_path(path, config=Config(request_validator_cls=V30RequestBodyValidator)),
        OpenAPI.from_file_path(path, config=Config(request_validator_cls=V30RequestParametersValidator)),
    )


def _first_refusal(request: MockRequest) -> OpenAPIError | None:
    body, params = _validators()
    for validator, refused in ((params, MissingRequiredParameter), (body, RequestBodyValidationError)):
        try:
            validator.validate_request(request)
        except refused as error:
            return error
        except OpenAPIError:
            continue  # unknown route or a parameter value: the handler answers, as behind API Gateway
    return None


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
    refused = _first_refusal(request)
    if refused is None:
        return None
    kind = "BAD_REQUEST_BODY" if isinstance(refused, RequestBodyValidationError) else "BAD_REQUEST_PARAMETERS"
    return gateway_response(kind, request_id, validation=_detail(refused))


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


class TokenBucket:
    """API Gateway's throttle, locally: ``rate`` requests per second steady, ``burst`` at once.

    ``invoke serve --throttle`` sizes it from the env's stage throttle (projects/api/Pulumi.<env>.yaml),
    so a client sees the same 429 body it gets from the gateway's THROTTLED response.
    """

    def __init__(self, rate: float, burst: int, clock: Any = None) -> None:
        import threading
        import time

        self.rate, self.burst = rate, burst
        self._clock = clock or time.monotonic
        self._tokens, self._last = float(burst), self._clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


def stage_throttle(env: str) -> TokenBucket:
    """The stage throttle the api layer sets for ``env`` (``serverless-infra-api:throttle``)."""
    import yaml

    path = OPENAPI_PATH.parents[1] / "projects" / "api" / f"Pulumi.{env}.yaml"
    bucket = yaml.safe_load(path.read_text())["config"]["serverless-infra-api:throttle"]
    return TokenBucket(float(bucket["rateLimit"]), int(bucket["burstLimit"]))


def throttled(request_id: str) -> tuple[int, str]:
    return gateway_response("THROTTLED", request_id)
