"""DLQ analyzer: classify each dead letter once, file it in the archive queue, count it by class.

Each record is classified (``app.dlq.classify``) and filed with its class in the consumer-less archive queue
``serverless-infra-{env}-orders-dlq-archive`` (``DLQ_ARCHIVE_QUEUE_URL``); the filed records are returned
as processed, so the mapping deletes them from the DLQ. A record the archive did not accept is reported as
a batch item failure: it stays in the DLQ and comes back after the DLQ's visibility timeout. So a dead
letter is in the DLQ or in the archive, never in neither, and never left in flight for hours where
`invoke dlq.redrive` could not see it. ``DlqMessages{class}`` counts the filed letters: each once.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from app import deadline
from app.dlq import classify, file_dead_letters, flatten_attributes
from app.observability import make_tracer, route_library_logs

logger = Logger()
route_library_logs(logger)
tracer = make_tracer()
metrics = Metrics()


def _recorded_classes(records: list[dict]) -> dict[tuple[str, int], str]:
    """Best effort: the class the worker stored for ``(job_id, index)``; empty if the DB is unreachable."""
    import json
    import time

    keys = []
    for r in records:
        try:
            body = json.loads(r.get("body") or "")
            keys.append((str(body["job_id"]), int(body["index"])))
        except (ValueError, TypeError, KeyError):
            continue
    if not keys:
        return {}
    try:
        import uuid

        from sqlalchemy import select, tuple_

        from app.db import transaction
        from app.models import job_failures

        wanted = [(uuid.UUID(j), i) for j, i in keys]
        query = select(job_failures.c.job_id, job_failures.c.record_index, job_failures.c.error_class).where(
            tuple_(job_failures.c.job_id, job_failures.c.record_index).in_(wanted)
        )
        rows = transaction(lambda conn: list(conn.execute(query)), deadline=time.monotonic() + 2.0)
        return {(str(j), i): c for j, i, c in rows}
    except Exception as exc:
        logger.warning("recorded causes unavailable", extra={"error": type(exc).__name__})
        return {}


def analyze(records: list[dict]) -> list[tuple[dict, str, str]]:
    """``(record, class, reason)`` for each record."""
    import json

    recorded = _recorded_classes(records)
    classified = []
    for r in records:
        attributes = flatten_attributes(r.get("messageAttributes"))
        attributes.update({k: str(v) for k, v in (r.get("attributes") or {}).items() if k in ("ErrorCode",)})
        key = None
        try:
            body = json.loads(r.get("body") or "")
            key = (str(body["job_id"]), int(body["index"]))
        except (ValueError, TypeError, KeyError):
            pass
        cls, reason = classify(r.get("body") or "", attributes, recorded.get(key) if key else None)
        classified.append((r, cls, reason))
    return classified


def _sample(record: dict, cls: str, reason: str) -> dict[str, Any]:
    return {
        "message_id": record.get("messageId"),
        "class": cls,
        "reason": reason,
        "correlation_id": flatten_attributes(record.get("messageAttributes")).get("correlation_id"),
    }


@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict[str, Any]:
    deadline.set_from_context(context)
    records = event.get("Records") or []
    classified = analyze(records)
    filed_ids = file_dead_letters(classified)
    filed = [(r, cls, reason) for r, cls, reason in classified if str(r.get("messageId")) in filed_ids]
    counts = Counter(cls for _, cls, _ in filed)
    for cls, n in sorted(counts.items()):
        with single_metric(name="DlqMessages", unit=MetricUnit.Count, value=n) as metric:
            metric.add_dimension(name="class", value=cls)
    metrics.add_metric(name="DlqMessagesAnalyzed", unit=MetricUnit.Count, value=len(records))
    kept = [r for r in records if str(r.get("messageId")) not in filed_ids]
    # Emitted as 0 too, so an alarm on it sees data rather than "missing" while all is well.
    metrics.add_metric(name="DlqMessagesNotFiled", unit=MetricUnit.Count, value=len(kept))
    logger.info(
        "dlq summary",
        extra={
            "messages": len(records),
            "filed": len(filed),
            "kept_in_dlq": len(kept),
            "by_class": dict(counts),
            "samples": [_sample(*c) for c in classified[:10]],
        },
    )
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in kept]}
