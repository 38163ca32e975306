"""API handler: API Gateway REST proxy events -> Powertools APIGatewayRestResolver.

Cold start is a budget (<= 150 ms fresh-process import + init here): this module imports only the standard
library, Powertools' logger/metrics/tracer/event handler and this package's pure modules. boto3,
SQLAlchemy and tenacity are imported inside the routes that need them (``GET /health`` needs none).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from app import deadline
from app.coldstart import resumes_gc
from app.config import get_config
from app.contract import METRIC_REPLICA_FULL_FALLBACKS
from app.cursor import decode_cursor, encode_cursor
from app.errors import (
    ConfigError,
    ConflictError,
    DatabaseUnavailableError,
    NotFoundError,
    PayloadTooLargeError,
    QueueUnavailableError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from app.observability import make_tracer, route_library_logs
from app.schemas import is_uuid, parse_limit, validate_batch, validate_idempotency_key, validate_order

logger = Logger()
route_library_logs(logger)
tracer = make_tracer()
metrics = Metrics()
app = APIGatewayRestResolver()

JSON = "application/json"
CORRELATION_HEADER = "X-Correlation-Id"
# What a client may send as a correlation id. It is logged, stored with a job and sent as an SQS message
# attribute (which refuses some control characters): anything else is replaced by the request id.
_CORRELATION_RE = re.compile(r"[A-Za-z0-9._:/@+=-]{1,128}")
# A client waiting on a request with the database down gets its 503 + Retry-After after about this
# long (the retries that fit), not after the 29 s API Gateway would wait; it retries on its own schedule.
RETRY_BUDGET_S = 1.0
T = TypeVar("T")


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status, content_type=JSON, body=json.dumps(body, default=str), headers=headers
    )


# JSON is UTF-8 (RFC 8259 section 8.1): application/json or a +json type, with no charset or utf-8.
_JSON_MEDIA_RE = re.compile(r"application/(?:[a-z0-9.+-]+\+)?json", re.ASCII)


def _require_json_media_type() -> None:
    raw = app.current_event.headers.get("content-type") or app.current_event.headers.get("Content-Type") or ""
    media, *params = (p.strip().lower() for p in str(raw).split(";"))
    charset_ok = all(not p.startswith("charset=") or p.strip() in ("charset=utf-8", 'charset="utf-8"') for p in params)
    if not _JSON_MEDIA_RE.fullmatch(media) or not charset_ok:
        shown = str(raw)[:100].encode("ascii", "backslashreplace").decode() or "none"
        raise UnsupportedMediaTypeError(f"send Content-Type: application/json (got {shown})")


def _body() -> Any:
    """The request's JSON body; 415 for another media type, 400 for anything that does not parse.

    ``RecursionError`` is a parse failure too: ``[[[[...]]]]`` a few thousand levels deep exhausts
    Python's recursion limit in the json module, which used to surface as a 500.
    """
    _require_json_media_type()
    try:
        return app.current_event.json_body
    except (ValueError, TypeError, RecursionError):
        raise ValidationError([{"field": "body", "message": "must be valid JSON"}]) from None


def _url(path: str) -> str:
    """``path`` as the client reaches it: behind ``/{stage}`` on the execute-api URL, at the root of a
    custom domain mapped to the stage (requestContext.path is what the client called; event path is ours)."""
    called = str((app.current_event.raw_event.get("requestContext") or {}).get("path") or "")
    ours = app.current_event.path
    return (called[: -len(ours)] if ours and called.endswith(ours) else "") + path


def _idempotency_key() -> str | None:
    return validate_idempotency_key(app.current_event.headers.get("Idempotency-Key"))


# --- routes -------------------------------------------------------------------------------------------


@app.get("/health")
def health() -> Response:
    return _json(200, {"status": "ok"})


@app.post("/orders")
@tracer.capture_method
def create_order() -> Response:
    order = validate_order(_body())
    key = _idempotency_key() or order.idempotency_key
    if key is None:  # docs/decisions.md: a generated key would make every client retry a new order
        raise ValidationError(
            [{"field": "Idempotency-Key", "message": "required: send an Idempotency-Key header (or idempotency_key)"}]
        )
    from app import repository

    result, created = repository.create_order(order, key)
    if created:
        metrics.add_metric(name="OrdersCreated", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="OrderValue", unit=MetricUnit.NoUnit, value=float(order.total))
        return _json(201, result, {"Location": _url(f"/orders/{result['id']}")})
    metrics.add_metric(name="IdempotentReplays", unit=MetricUnit.Count, value=1)
    return _json(200, result, {"Idempotent-Replayed": "true"})


@app.post("/orders/batch")
@tracer.capture_method
def create_batch() -> Response:
    records = validate_batch(_body(), max_records=get_config().api.max_batch_size)
    from app import repository

    results = repository.create_batch(records, _idempotency_key())
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("created", "replayed", "rejected")}
    metrics.add_metric(name="BatchSize", unit=MetricUnit.Count, value=len(records))
    metrics.add_metric(name="OrdersCreated", unit=MetricUnit.Count, value=counts["created"])
    metrics.add_metric(name="RecordsRejected", unit=MetricUnit.Count, value=counts["rejected"])
    metrics.add_metric(name="IdempotentReplays", unit=MetricUnit.Count, value=counts["replayed"])
    if counts["rejected"]:
        logger.info("batch with rejected records", extra={"counts": counts})
    return _json(200, {"summary": {"total": len(records), **counts}, "results": results})


@app.post("/orders/async")
@tracer.capture_method
def create_async() -> Response:
    """All or nothing from the client's view: every check (size, keys, a reused Idempotency-Key) runs
    before the job is recorded or a message is sent; a job is refused whole or accepted whole."""
    records = validate_batch(_body(), max_records=get_config().api.max_batch_size)
    own_keys = [
        r["idempotency_key"]
        for r in records
        if isinstance(r, dict) and isinstance(r.get("idempotency_key"), str)
    ]
    if len(own_keys) != len(set(own_keys)):
        raise ValidationError(
            [{"field": "orders", "message": "idempotency_key values must be unique in a job"}]
        )
    from app import queue, repository

    correlation_id = logger.get_correlation_id()
    job_id = str(uuid.uuid4())
    batches = queue.build_batches(job_id, records, _job_keys(job_id, records), correlation_id or job_id)
    job, created = repository.create_job(
        len(records),
        _idempotency_key(),
        correlation_id,
        records_hash=repository.job_hash(records),
        job_id=job_id,
    )
    if created or job["status"] != "queued":  # first time, or a retry of a job that failed to enqueue
        if not created:  # the first attempt's job id: same message bodies, same keys, no duplicates
            job_id = str(job["id"])
            batches = queue.build_batches(job_id, records, _job_keys(job_id, records), correlation_id or job_id)
        try:
            sent = queue.send_batches(batches)
        except QueueUnavailableError:
            repository.mark_job(job_id, "enqueue_failed", 0)
            raise
        repository.mark_job(job_id, "queued", sent)
        metrics.add_metric(name="BatchSize", unit=MetricUnit.Count, value=len(records))
    else:
        metrics.add_metric(name="IdempotentReplays", unit=MetricUnit.Count, value=1)
    job_id = str(job["id"])
    return _json(
        202,
        {"job_id": job_id, "status": "queued", "total": len(records), "status_url": _url(f"/jobs/{job_id}")},
        {"Location": _url(f"/jobs/{job_id}")},
    )


def _job_keys(job_id: str, records: list[Any]) -> list[str]:
    """Each record's idempotency key: its own, else one derived from the job (fixed at enqueue time, so
    an SQS redelivery or a re-submission of the job replays instead of writing twice)."""
    return [
        r["idempotency_key"]
        if isinstance(r, dict) and isinstance(r.get("idempotency_key"), str)
        else f"job:{job_id}:{i}"
        for i, r in enumerate(records)
    ]


@app.get("/orders/<order_id>")
@tracer.capture_method
def get_order(order_id: str) -> Response:
    from app import repository

    return _counting_replica_fallbacks(lambda: _found_or_404("order", order_id, repository.get_order))


@app.get("/orders")
@tracer.capture_method
def list_orders() -> Response:
    api = get_config().api
    limit = parse_limit(
        app.current_event.get_query_string_value("limit"),
        default=api.page_size_default,
        maximum=api.page_size_max,
    )
    raw_cursor = app.current_event.get_query_string_value("cursor")
    after = decode_cursor(raw_cursor) if raw_cursor else None
    from app import repository

    page, last = _counting_replica_fallbacks(lambda: repository.list_orders(limit, after))
    return _json(200, {"orders": page, "next_cursor": encode_cursor(*last) if last else None})


def _counting_replica_fallbacks(read: Callable[[], T]) -> T:
    """Run a replica read; each of its reads the primary served because the replica was full is counted in
    ReplicaFullFallbacks (an operator's signal that the replica's cap is too small: docs/data.md)."""
    from app import db

    before = db.replica_full_fallbacks
    try:
        return read()
    finally:
        spilled = db.replica_full_fallbacks - before
        if spilled:
            metrics.add_metric(name=METRIC_REPLICA_FULL_FALLBACKS, unit=MetricUnit.Count, value=spilled)


@app.get("/jobs/<job_id>")
@tracer.capture_method
def get_job(job_id: str) -> Response:
    from app import repository

    return _found_or_404("job", job_id, repository.job_status)


def _found_or_404(kind: str, key: str, lookup: Callable[[str], Any]) -> Response:
    """One resource by its UUID; a key that is not a UUID is a 404 that never reaches the database."""
    found = lookup(key) if is_uuid(key) else None
    if found is None:
        raise NotFoundError(f"{kind} {key} not found")
    return _json(200, found)


# --- errors -------------------------------------------------------------------------------------------


@app.exception_handler(ValidationError)
def _validation(exc: ValidationError) -> Response:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    return _json(400, {"message": exc.message, "errors": exc.errors})


@app.exception_handler(PayloadTooLargeError)
def _too_large(exc: PayloadTooLargeError) -> Response:
    return _json(413, {"message": str(exc)})


@app.exception_handler(UnsupportedMediaTypeError)
def _media_type(exc: UnsupportedMediaTypeError) -> Response:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    return _json(415, {"message": str(exc)})


@app.exception_handler(NotFoundError)
def _not_found(exc: NotFoundError) -> Response:
    return _json(404, {"message": str(exc)})


@app.exception_handler(ConflictError)
def _conflict(exc: ConflictError) -> Response:
    return _json(409, {"message": str(exc)})


@app.exception_handler([DatabaseUnavailableError, QueueUnavailableError, ConfigError])
def _unavailable(exc: Exception) -> Response:
    retry_after = getattr(exc, "retry_after", 5)
    logger.error("dependency unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
    metrics.add_metric(name="DependencyUnavailable", unit=MetricUnit.Count, value=1)
    return _json(
        503, {"message": "service temporarily unavailable; retry later"}, {"Retry-After": str(retry_after)}
    )


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response:
    logger.exception("unhandled error")
    return _json(500, {"message": "internal error"})


@app.not_found
def _no_route(exc: Exception) -> Response:
    event = app.current_event
    return _json(404, {"message": f"no route for {event.http_method} {event.path}"})


# --- entry point --------------------------------------------------------------------------------------


def _correlation_id(event: dict) -> str:
    headers = event.get("headers") or {}
    for name, value in headers.items():
        if name.lower() == "x-correlation-id" and value and _CORRELATION_RE.fullmatch(str(value)):
            return str(value)
    return (event.get("requestContext") or {}).get("requestId") or str(uuid.uuid4())


@resumes_gc
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    correlation_id = _correlation_id(event)
    logger.set_correlation_id(correlation_id)
    with deadline.invocation(context, retry_budget_s=RETRY_BUDGET_S):
        response = app.resolve(event, context)
    headers = response.setdefault("multiValueHeaders", {})
    headers[CORRELATION_HEADER] = [correlation_id]
    return response
