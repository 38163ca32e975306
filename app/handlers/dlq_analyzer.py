"""DLQ analyzer: classify each dead letter, one metric per class, one structured summary log.

The analyzer observes, it does not decide: by default (``DLQ_ANALYZER_RETAIN`` unset or true) it reports
every record back as a batch item failure so the messages stay in the DLQ for an operator's
``invoke dlq.redrive`` (the event source mapping must use ``ReportBatchItemFailures`` and a long DLQ
visibility timeout, so a retained message is re-analyzed at most once per timeout). With
``DLQ_ANALYZER_RETAIN=false`` it consumes them (the summary log is then the only record).

Count once: a retained message comes back once per DLQ visibility timeout (6 h) for the DLQ's retention
(14 days), i.e. up to ~56 times. ``DlqMessages{class}`` counts a dead letter only at its first sight,
read from ``ApproximateReceiveCount``: SQS does not reset the count when its redrive policy moves a
message to the DLQ, so the first receive on the DLQ shows ``maxReceiveCount + 1`` (the source queue's,
``DLQ_SOURCE_MAX_RECEIVE_COUNT``, default 5); a message sent to the DLQ directly (a Lambda async-invoke
failure) shows 1. ``DlqMessagesAnalyzed`` counts every sight (the retained backlog being re-read).
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from app import deadline
from app.dlq import classify, flatten_attributes
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


def analyze(records: list[dict]) -> tuple[Counter, list[dict]]:
    import json

    recorded = _recorded_classes(records)
    counts: Counter = Counter()
    samples: list[dict] = []
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
        counts[cls] += 1
        if len(samples) < 10:
            samples.append(
                {
                    "message_id": r.get("messageId"),
                    "class": cls,
                    "reason": reason,
                    "receive_count": (r.get("attributes") or {}).get("ApproximateReceiveCount"),
                    "correlation_id": attributes.get("correlation_id"),
                }
            )
    return counts, samples


DEFAULT_SOURCE_MAX_RECEIVE_COUNT = 5  # the compute layer's default maxReceiveCount of the orders queue


def _source_max_receive_count() -> int:
    raw = os.environ.get("DLQ_SOURCE_MAX_RECEIVE_COUNT", "")
    return int(raw) if raw.strip().isdigit() and int(raw) > 0 else DEFAULT_SOURCE_MAX_RECEIVE_COUNT


def first_sight(record: dict, max_receive_count: int) -> bool:
    """True when this delivery is the message's first on the DLQ (see the module docstring).

    Moved by the redrive policy: first DLQ receive = ``maxReceiveCount + 1``; sent directly: 1. A
    message the analyzer failed to process at its first sight (a crash, a throttled invocation) is not
    counted later: the metric errs towards missing a dead letter, never towards counting one 56 times.
    """
    raw = (record.get("attributes") or {}).get("ApproximateReceiveCount")
    try:
        count = int(raw)
    except (TypeError, ValueError):
        return True  # no count (a hand-made event): count it
    return count in (1, max_receive_count + 1)


def _retain() -> bool:
    return os.environ.get("DLQ_ANALYZER_RETAIN", "true").strip().lower() not in ("0", "false", "no", "off")


@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict[str, Any]:
    deadline.set_from_context(context)
    records = event.get("Records") or []
    max_receive = _source_max_receive_count()
    new = [r for r in records if first_sight(r, max_receive)]
    counts, samples = analyze(new)
    for cls, n in sorted(counts.items()):
        with single_metric(name="DlqMessages", unit=MetricUnit.Count, value=n) as metric:
            metric.add_dimension(name="class", value=cls)
    metrics.add_metric(name="DlqMessagesAnalyzed", unit=MetricUnit.Count, value=len(records))
    retain = _retain()
    if new:  # a re-read of the retained backlog is not news: no log line for it (log volume)
        logger.info(
            "dlq summary",
            extra={
                "messages": len(records),
                "new": len(new),
                "by_class": dict(counts),
                "retained": retain,
                "samples": samples,
            },
        )
    failures = [{"itemIdentifier": r["messageId"]} for r in records] if retain else []
    return {"batchItemFailures": failures}
