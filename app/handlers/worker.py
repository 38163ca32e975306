"""Async worker: SQS batches (up to 500 records) -> validated, bulk-written orders; partial batch response.

Two phases inside one Powertools ``BatchProcessor``, through its documented extension points
(``success_handler``, ``failure_handler``, ``_prepare``, ``_clean``; ``process()`` is Powertools' own):

1. per record (the record handler): parse + validate; a bad record fails alone; a valid one is staged
   by ``success_handler``;
2. per chunk (``_clean``, before the partial response is built): the staged records are written with one
   multi-row ``INSERT .. ON CONFLICT (idempotency_key) DO NOTHING`` per chunk, one transaction per chunk,
   retried on transient errors. A chunk that fails for good fails exactly its records; a chunk that
   fails for a non-transient reason (a constraint) is split to isolate the record the database refuses,
   which is recorded as ``permanent`` (the DLQ analyzer then knows a redrive would only cycle it).

Only failed records are reported in ``batchItemFailures``; SQS redelivers them and, after the queue's
``maxReceiveCount``, moves them to the DLQ. A redelivered record that was in fact written is a replay, not
a second row (its idempotency key is fixed at enqueue time).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSEvent, SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from app import deadline
from app.errors import ConfigError, DatabaseUnavailableError, ValidationError
from app.observability import make_tracer, route_library_logs
from app.queue import record_correlation_id
from app.schemas import is_uuid, validate_order

logger = Logger()
route_library_logs(logger)
tracer = make_tracer()
metrics = Metrics()

CHUNK_SIZE = 500


class RecordRejected(Exception):  # noqa: N818 - mirrors the DLQ class names
    """A record that can never succeed as sent (bad JSON, bad envelope, schema errors, a key taken by a
    different order)."""

    def __init__(self, detail: str, job_id: str | None = None, index: int | None = None) -> None:
        super().__init__(detail)
        self.job_id, self.index = job_id, index


@dataclass(slots=True)
class Prepared:
    row: dict
    job_id: str | None
    index: int | None
    correlation_id: str | None


def record_handler(record: SQSRecord) -> Prepared:
    try:
        body = json.loads(record.body)
    except (TypeError, ValueError):
        raise RecordRejected("body is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("idempotency_key"), str) or "order" not in body:
        raise RecordRejected("envelope must be {job_id, index, idempotency_key, order}")
    job_id = body.get("job_id") if isinstance(body.get("job_id"), str) and is_uuid(body["job_id"]) else None
    index = body.get("index") if isinstance(body.get("index"), int) else None
    try:
        order = validate_order(body["order"])
    except ValidationError as exc:
        raise RecordRejected(json.dumps(exc.errors), job_id, index) from None
    from app.repository import order_row

    return Prepared(
        row=order_row(order, body["idempotency_key"], job_id=job_id, job_index=index if job_id else None),
        job_id=job_id,
        index=index,
        correlation_id=record_correlation_id(record),
    )


class BulkOrderProcessor(BatchProcessor):
    """BatchProcessor whose successes are written in bulk after the per-record phase."""

    def __init__(self, chunk_size: int = CHUNK_SIZE) -> None:
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self.chunk_size = chunk_size
        self.written = {"created": 0, "replayed": 0}
        self.failures: list[dict] = []  # job failures to record
        self.database_down = False
        self.staged: list[tuple[dict, Prepared]] = []  # records that passed phase 1, in order

    def _prepare(self) -> None:
        super()._prepare()
        self.written = {"created": 0, "replayed": 0}
        self.failures = []
        self.database_down = False
        self.staged = []

    def success_handler(self, record: Any, result: Any) -> Any:
        entry = super().success_handler(record, result)
        self.staged.append((record, result))
        return entry

    def _clean(self) -> None:
        """Phase 2, then Powertools builds the partial response from what failed in either phase."""
        staged, self.staged = self.staged, []
        for start in range(0, len(staged), self.chunk_size):
            self._write(staged[start : start + self.chunk_size])
        super()._clean()

    def failure_handler(self, record: Any, exception: Any, *, log: bool = True) -> Any:
        value = exception[1]
        if log:  # a chunk failure is logged once for the chunk, not once per record (log volume)
            logger.warning(
                "record failed",
                extra={
                    "message_id": getattr(record, "message_id", None),
                    "record_correlation_id": record_correlation_id(record) if isinstance(record, SQSRecord) else None,
                    "error": f"{type(value).__name__}: {value}"[:300],
                },
            )
        if isinstance(value, RecordRejected) and value.job_id is not None and value.index is not None:
            self.failures.append(
                {
                    "job_id": value.job_id,
                    "record_index": value.index,
                    "error_class": "validation",
                    "detail": str(value),
                }
            )
        return super().failure_handler(record, exception)

    def _write(self, chunk: list[tuple[dict, Prepared]]) -> None:
        from sqlalchemy.exc import DBAPIError

        from app.repository import write_worker_chunk

        if self.database_down:  # a dependency is down for this invocation: don't spend the time again
            self._fail(chunk, DatabaseUnavailableError("skipped: database unavailable earlier in this batch"), "database")
            return
        try:
            outcomes = write_worker_chunk([p.row for _, p in chunk])
        except (DatabaseUnavailableError, ConfigError) as exc:
            # The database (or the configuration that locates it) is unavailable: every record of the
            # chunk fails as it is, no bisection (that would be ~2 x chunk more attempts at a dead dependency).
            self.database_down = True
            self._fail(chunk, exc, "database")
            return
        except DBAPIError as exc:  # a constraint or data error: isolate the record(s) that cause it
            if len(chunk) > 1:
                mid = len(chunk) // 2
                self._write(chunk[:mid])
                self._write(chunk[mid:])
            else:  # the database refused this record as sent: redelivering it can only fail again
                self._fail(chunk, exc, "permanent")
            return
        except Exception as exc:  # a bug, not a record: fail the chunk for redelivery, don't bisect
            logger.exception("unexpected error writing a chunk")
            self._fail(chunk, exc, "unknown")
            return
        conflicts = []
        for item, outcome in zip(chunk, outcomes, strict=True):
            if outcome == "conflict":
                conflicts.append(item)
            else:
                self.written[outcome] += 1
        for raw, prepared in conflicts:
            rejected = RecordRejected(
                "idempotency_key already used by a different order", prepared.job_id, prepared.index
            )
            self.success_messages = [m for m in self.success_messages if m is not raw]
            self.failure_handler(record=SQSRecord(raw), exception=(RecordRejected, rejected, None))

    def _fail(self, chunk: list[tuple[dict, Prepared]], exc: Exception, error_class: str) -> None:
        failed_ids = {id(raw) for raw, _ in chunk}
        self.success_messages = [m for m in self.success_messages if id(m) not in failed_ids]
        info = (type(exc), exc, exc.__traceback__)
        for raw, prepared in chunk:
            self.failure_handler(record=SQSRecord(raw), exception=info, log=False)
            if prepared.job_id is not None and prepared.index is not None:
                self.failures.append(
                    {
                        "job_id": prepared.job_id,
                        "record_index": prepared.index,
                        "error_class": error_class,
                        "detail": f"{type(exc).__name__}: {exc}"[:500],
                    }
                )
        logger.error(
            "chunk not written; records reported for redelivery",
            extra={
                "records": len(chunk),
                "error_class": error_class,
                "error": f"{type(exc).__name__}: {exc}"[:300],
                "message_ids": [raw.get("messageId") for raw, _ in chunk[:10]],
            },
        )


processor = BulkOrderProcessor()


def _record_failures(failures: list[dict]) -> None:
    """Best effort: job progress shows failures; the SQS redelivery is what guarantees no loss."""
    if not failures:
        return
    unique = {(f["job_id"], f["record_index"]): f for f in failures if f.get("record_index") is not None}
    try:
        from app.repository import record_job_failures

        record_job_failures(list(unique.values()))
    except Exception as exc:  # the database may be what failed
        logger.warning("could not record job failures", extra={"error": type(exc).__name__})


@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    records = event.get("Records") or []
    cids = {cid for r in SQSEvent(event).records if (cid := record_correlation_id(r))} if records else set()
    if len(cids) == 1:
        logger.set_correlation_id(next(iter(cids)))
    elif cids:
        logger.append_keys(correlation_ids=sorted(cids)[:20])
    with deadline.invocation(context):
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        if not processor.database_down:
            _record_failures(processor.failures)
    failed = len(response.get("batchItemFailures", []))
    metrics.add_metric(name="BatchSize", unit=MetricUnit.Count, value=len(records))
    metrics.add_metric(name="OrdersCreated", unit=MetricUnit.Count, value=processor.written["created"])
    metrics.add_metric(name="IdempotentReplays", unit=MetricUnit.Count, value=processor.written["replayed"])
    metrics.add_metric(name="RecordsRejected", unit=MetricUnit.Count, value=failed)
    logger.info(
        "batch processed", extra={"records": len(records), "failed": failed, "written": processor.written}
    )
    return dict(response)
