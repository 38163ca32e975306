"""DLQ analyzer: classify each dead letter once, file it in the archive queue, count it by class.

Each record is classified (``judge``: its attributes, its body, the cause the worker recorded) and filed
with its class in the consumer-less archive queue ``serverless-infra-{env}-orders-dlq-archive``
(``DLQ_ARCHIVE_QUEUE_URL``, ``app.dlq.file_dead_letters``). A filed record is a success, so the mapping
deletes it from the DLQ; a record the archive did not accept is a batch item failure: it stays in the DLQ
and comes back after the DLQ's visibility timeout. So a dead letter is in the DLQ or in the archive, never
in neither, and never left in flight for hours where `invoke dlq.redrive` could not see it; and
``DlqMessages{class}`` counts each letter once, when it is filed (docs/app.md, "Dead letters").
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from app import deadline
from app.contract import METRIC_DLQ_MESSAGES, METRIC_DLQ_MESSAGES_ANALYZED, METRIC_DLQ_MESSAGES_NOT_FILED
from app.dlq import classify, file_dead_letters, flatten_attributes
from app.observability import make_tracer, route_library_logs

logger = Logger()
route_library_logs(logger)
tracer = make_tracer()
metrics = Metrics()

@dataclass(frozen=True, slots=True)
class Verdict:
    """One dead letter's class and reason, and a sample line for the summary log."""

    cls: str
    reason: str
    sample: dict[str, Any]


def _job_record(record: SQSRecord) -> tuple[str, int] | None:
    """``(job_id, index)`` from the message body, when it is an order envelope."""
    try:
        body = json.loads(record.body or "")
        return str(body["job_id"]), int(body["index"])
    except (ValueError, TypeError, KeyError):
        return None


def _recorded_classes(records: list[SQSRecord]) -> dict[tuple[str, int], str]:
    """Best effort: the class the worker stored for ``(job_id, index)``; empty if the DB is unreachable."""
    import time
    import uuid

    keys = [k for k in (_job_record(r) for r in records) if k is not None]
    if not keys:
        return {}
    try:
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


def judge(record: SQSRecord, recorded: Mapping[tuple[str, int], str]) -> Verdict:
    """Classify one dead letter from its attributes, its body and the worker's recorded cause."""
    attributes = flatten_attributes(record.get("messageAttributes"))
    system = record.get("attributes") or {}
    if "ErrorCode" in system:
        attributes["ErrorCode"] = str(system["ErrorCode"])
    key = _job_record(record)
    cls, reason = classify(record.body or "", attributes, recorded.get(key) if key else None)
    sample = {
        "message_id": record.message_id,
        "class": cls,
        "reason": reason,
        "receive_count": system.get("ApproximateReceiveCount"),
        "correlation_id": attributes.get("correlation_id"),
    }
    return Verdict(cls, reason, sample)


def analyze(records: list[dict]) -> tuple[Counter, list[dict]]:
    """Classes and up to 10 samples of ``records`` (raw SQS event records)."""
    wrapped = [SQSRecord(r) for r in records]
    recorded = _recorded_classes(wrapped)
    verdicts = [judge(r, recorded) for r in wrapped]
    return Counter(v.cls for v in verdicts), [v.sample for v in verdicts[:10]]


class NotFiledError(RuntimeError):
    """The archive did not take this dead letter: it stays in the DLQ for the next delivery."""


class DeadLetterProcessor(BatchProcessor):
    """Powertools' SQS batch processor, extended through its documented hooks (``_prepare``,
    ``success_handler``; not ``process()``):

    * ``_prepare`` looks up, in one query, the causes the worker recorded for this batch's records;
    * ``success_handler`` tallies each filed record's :class:`Verdict`.
    A record the handler raised on (not filed, or a bug) is a batch item failure and stays in the DLQ.
    """

    def __init__(self) -> None:
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self.recorded: dict[tuple[str, int], str] = {}
        self.counts: Counter = Counter()
        self.samples: list[dict] = []

    def _prepare(self) -> None:
        super()._prepare()
        self.counts, self.samples = Counter(), []
        self.recorded = _recorded_classes([SQSRecord(r) for r in self.records])

    def success_handler(self, record: Any, result: Any) -> Any:
        if isinstance(result, Verdict):
            self.counts[result.cls] += 1
            if len(self.samples) < 10:
                self.samples.append(result.sample)
        return super().success_handler(record, result)


processor = DeadLetterProcessor()


def record_handler(record: SQSRecord) -> Verdict:
    """Classify one dead letter and file it; raise when the archive did not take it (it then stays)."""
    verdict = judge(record, processor.recorded)
    if record.message_id not in file_dead_letters([(record.raw_event, verdict.cls, verdict.reason)]):
        raise NotFiledError(f"dead letter {record.message_id} not filed; it stays in the DLQ")
    return verdict


@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records") or []
    with deadline.invocation(context):
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    counts = processor.counts
    for cls, n in sorted(counts.items()):
        with single_metric(name=METRIC_DLQ_MESSAGES, unit=MetricUnit.Count, value=n) as metric:
            metric.add_dimension(name="class", value=cls)
    kept = len(response.get("batchItemFailures", []))
    metrics.add_metric(name=METRIC_DLQ_MESSAGES_ANALYZED, unit=MetricUnit.Count, value=len(records))
    # Emitted as 0 too, so an alarm on it sees data rather than "missing" while all is well.
    metrics.add_metric(name=METRIC_DLQ_MESSAGES_NOT_FILED, unit=MetricUnit.Count, value=kept)
    logger.info(
        "dlq summary",
        extra={
            "messages": len(records),
            "filed": sum(counts.values()),
            "kept_in_dlq": kept,
            "by_class": dict(counts),
            "samples": processor.samples,
        },
    )
    return dict(response)
