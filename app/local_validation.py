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
from openapi_core.casting.schemas import oas30_types_caster
from openapi_core.casting.schemas.factories import SchemaCastersFactory
from openapi_core.deserializing.styles import style_deserializers
from openapi_core.deserializing.styles.factories import StyleDeserializersFactory
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import MissingRequiredParameter, RequestBodyValidationError
from openapi_core.validation.schemas import oas30_write_schema_validators_factory
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory

from shared.components.api.openapi import GATEWAY_RESPONSES

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"


class _ReusedSchemaValidators(SchemaValidatorsFactory):
    """openapi-core's schema validators, made once per schema of the document and reused.

    openapi-core builds a new jsonschema validator, with a deep copy of its format checker, for every
    parameter and body of every request: for ``GET /orders/{id}`` that was half of the validation's CPU.
    A validator holds no state between calls, so one per schema serves every request alike. Plugged in
    through openapi-core's ``Config`` (``schema_validators_factory``, ``schema_casters_factory``,
    ``style_deserializers_factory``: https://openapi-core.readthedocs.io/en/latest/configuration/).
    """

    def __init__(self, base: SchemaValidatorsFactory) -> None:
        super().__init__(base.schema_validator_cls, base.format_checker)
        self._made: dict[tuple, Any] = {}

    def create(self, spec: Any, schema: Any, format_validators: Any = None, extra_format_validators: Any = None,
               forbid_unspecified_additional_properties: bool = False,
               enforce_properties_required: bool = False) -> Any:
        key = (schema.parts, id(format_validators), id(extra_format_validators),
               forbid_unspecified_additional_properties, enforce_properties_required)
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().create(
                spec, schema, format_validators, extra_format_validators,
                forbid_unspecified_additional_properties, enforce_properties_required,
            )
        return made


class _ReusedStyleDeserializers(StyleDeserializersFactory):
    """A parameter's deserializer (its caster and schema validator inside), made once and reused."""

    def __init__(self, casters: SchemaCastersFactory) -> None:
        super().__init__(casters, style_deserializers=style_deserializers)
        self._made: dict[tuple, Any] = {}

    def create(self, spec: Any, schema: Any, style: str, explode: bool, name: str) -> Any:
        key = (schema.parts, style, explode, name)
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().create(spec, schema, style, explode, name)
        return made


def _reusing_config() -> Config:
    validators = _ReusedSchemaValidators(oas30_write_schema_validators_factory)
    casters = SchemaCastersFactory(validators, oas30_types_caster)
    return Config(
        schema_validators_factory=validators,
        schema_casters_factory=casters,
        style_deserializers_factory=_ReusedStyleDeserializers(casters),
    )


def _validator(reuse: bool = True) -> Any:
    return _built_validator(bool(reuse))  # one cache entry per variant however it is asked for


@cache
def _built_validator(reuse: bool) -> Any:
    """openapi-core's request validator (parameters, body, security) over the document.

    Its ``iter_errors`` finds the operation once and yields every error; ``unmarshal_request`` costs ~15
    ms and two validators (parameters, then body) each find the operation again, ~30% more. Of the
    errors, every body error refuses and of the parameter errors only a missing required one does (on
    AWS a parameter's *value* is the handler's to judge). ``reuse``: schema validators and parameter
    deserializers made once per schema (``_ReusedSchemaValidators``); False gives openapi-core's own
    per-request ones, which the tests compare against.
    """
    config = _reusing_config() if reuse else None
    return OpenAPI.from_file_path(str(OPENAPI_PATH), config=config).request_validator


def _first_refusal(request: MockRequest, reuse: bool = True) -> OpenAPIError | None:
    try:
        for error in _validator(reuse).iter_errors(request):
            if isinstance(error, (MissingRequiredParameter, RequestBodyValidationError)):
                return error
    except OpenAPIError:
        return None  # an unknown route or method: the handler answers, as behind API Gateway
    return None


def _detail(error: Exception) -> str:
    cause = error.__cause__
    schema_errors = [e.message for e in getattr(cause, "schema_errors", ()) or ()]
    if schema_errors:
        return "; ".join(schema_errors)
    try:
        return str(error)
    except UnicodeDecodeError as undecodable:  # openapi-core's message decodes a body that is not UTF-8
        return f"the body is not UTF-8 ({undecodable.reason} at byte {undecodable.start})"


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
    *,
    reuse: bool = True,
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
    refused = _first_refusal(request, reuse)
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
