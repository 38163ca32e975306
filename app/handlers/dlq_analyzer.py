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

import json
import os
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
from app.contract import (
    DLQ_ANALYZER_RETAIN,
    DLQ_SOURCE_MAX_RECEIVE_COUNT,
    METRIC_DLQ_MESSAGES,
    METRIC_DLQ_MESSAGES_ANALYZED,
    env_flag,
)
from app.dlq import classify, flatten_attributes
from app.observability import make_tracer, route_library_logs

logger = Logger()
route_library_logs(logger)
tracer = make_tracer()
metrics = Metrics()

DEFAULT_SOURCE_MAX_RECEIVE_COUNT = 5  # the compute layer's default maxReceiveCount of the orders queue


@dataclass(frozen=True, slots=True)
class Verdict:
    """One dead letter's class, and a sample line for the summary log."""

    cls: str
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
    return Verdict(cls, sample)


def analyze(records: list[dict]) -> tuple[Counter, list[dict]]:
    """Classes and up to 10 samples of ``records`` (raw SQS event records)."""
    wrapped = [SQSRecord(r) for r in records]
    recorded = _recorded_classes(wrapped)
    verdicts = [judge(r, recorded) for r in wrapped]
    return Counter(v.cls for v in verdicts), [v.sample for v in verdicts[:10]]


def _source_max_receive_count() -> int:
    raw = os.environ.get(DLQ_SOURCE_MAX_RECEIVE_COUNT, "")
    return int(raw) if raw.strip().isascii() and raw.strip().isdigit() and int(raw) > 0 else DEFAULT_SOURCE_MAX_RECEIVE_COUNT


def first_sight(record: Mapping[str, Any], max_receive_count: int) -> bool:
    """True when this delivery is the message's first on the DLQ (see the module docstring).

    Moved by the redrive policy: first DLQ receive = ``maxReceiveCount + 1``; sent directly: 1. A
    message the analyzer failed to process at its first sight (a crash, a throttled invocation) is not
    counted later: the metric errs towards missing a dead letter, never towards counting one 56 times.
    """
    raw = (record.get("attributes") or {}).get("ApproximateReceiveCount")
    try:
        count = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True  # no count (a hand-made event): count it
    return count in (1, max_receive_count + 1)


def _retain() -> bool:
    try:
        return env_flag(os.environ.get(DLQ_ANALYZER_RETAIN), default=True)
    except ValueError:
        value = os.environ.get(DLQ_ANALYZER_RETAIN)
        logger.warning("unreadable DLQ_ANALYZER_RETAIN; retaining dead letters", extra={"value": value})
        return True  # the safe reading: an operator's typo must not delete dead letters


class DeadLetterProcessor(BatchProcessor):
    """Powertools' SQS batch processor, extended through its documented hooks (``_prepare``,
    ``success_handler``, ``_clean``; not ``process()``):

    * ``_prepare`` looks up, in one query, the causes the worker recorded for this batch's records;
    * ``success_handler`` tallies each record's :class:`Verdict` (new dead letters only);
    * ``_clean`` reports every record back as a batch item failure when retaining, so the messages
      stay in the DLQ for ``invoke dlq.redrive``; a record the handler failed on is reported anyway.
    """

    def __init__(self) -> None:
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self.recorded: dict[tuple[str, int], str] = {}
        self.max_receive = DEFAULT_SOURCE_MAX_RECEIVE_COUNT
        self.retain = True
        self.counts: Counter = Counter()
        self.samples: list[dict] = []

    def _prepare(self) -> None:
        super()._prepare()
        self.max_receive = _source_max_receive_count()
        self.retain = _retain()
        self.counts, self.samples = Counter(), []
        new = [SQSRecord(r) for r in self.records if first_sight(r, self.max_receive)]
        self.recorded = _recorded_classes(new) if new else {}

    def success_handler(self, record: Any, result: Any) -> Any:
        if isinstance(result, Verdict):
            self.counts[result.cls] += 1
            if len(self.samples) < 10:
                self.samples.append(result.sample)
        return super().success_handler(record, result)

    def _clean(self) -> None:
        if self.retain:
            self.fail_messages.extend(SQSRecord(r) for r in self.success_messages)
            self.success_messages.clear()
        super()._clean()


processor = DeadLetterProcessor()


def record_handler(record: SQSRecord) -> Verdict | None:
    """A retained message read again is not news: only its first sight is classified and counted."""
    if not first_sight(record, processor.max_receive):
        return None
    return judge(record, processor.recorded)


@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict[str, Any]:
    deadline.set_from_context(context)
    records = event.get("Records") or []
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    counts = processor.counts
    for cls, n in sorted(counts.items()):
        with single_metric(name=METRIC_DLQ_MESSAGES, unit=MetricUnit.Count, value=n) as metric:
            metric.add_dimension(name="class", value=cls)
    metrics.add_metric(name=METRIC_DLQ_MESSAGES_ANALYZED, unit=MetricUnit.Count, value=len(records))
    new = sum(counts.values())
    if new:  # a re-read of the retained backlog is not news: no log line for it (log volume)
        logger.info(
            "dlq summary",
            extra={
                "messages": len(records),
                "new": new,
                "by_class": dict(counts),
                "retained": processor.retain,
                "samples": processor.samples,
            },
        )
    return dict(response)
