"""Dead letters: why a message failed (classification) and how to send it back (redrive).

Classes: ``validation`` (can never succeed as sent: redriving it is pointless), ``permanent`` (valid
by the schema, but the database refused it: a constraint or a value out of a column's range; a
redrive would only cycle it), ``database`` and ``timeout`` (transient: redrive once the cause is
fixed), ``unknown``.
Evidence, strongest first: an explicit ``error_class`` message attribute; Lambda's ``ErrorCode`` /
``ErrorMessage`` attributes (async-invoke DLQs carry them); the body itself (re-validated); the class the
worker recorded for the record in ``job_failures`` when it failed.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

from app.contract import DLQ_CLASSES
from app.errors import ValidationError
from app.schemas import validate_order

CLASSES = DLQ_CLASSES
# What PostgreSQL says when it refuses a statement for its data (SQLSTATE classes 22 and 23), not for
# its connection: checked before _DATABASE, whose "psycopg" would match these too.
_PERMANENT = re.compile(
    r"integrityerror|dataerror|violates .* constraint|value too long|out of range|numeric field overflow|"
    r"invalid input syntax|numericvalueoutofrange|stringdatarighttruncation",
    re.I,
)
_TIMEOUT = re.compile(r"task timed out|timed out after|timeout|sandbox\.timedout", re.I)
_DATABASE = re.compile(
    r"operationalerror|psycopg|database|could not connect|connection refused|too many connections|"
    r"deadlock|serializ|server closed the connection",
    re.I,
)
_VALIDATION = re.compile(r"validation|recordrejected|schema|invalid", re.I)


def flatten_attributes(message_attributes: Mapping[str, Any] | None) -> dict[str, str]:
    """SQS-event (``stringValue``) or API (``StringValue``) attributes -> ``{name: value}``."""
    out: dict[str, str] = {}
    for name, attr in (message_attributes or {}).items():
        if isinstance(attr, Mapping):
            value = attr.get("stringValue", attr.get("StringValue"))
            if value is not None:
                out[name] = str(value)
        elif attr is not None:
            out[name] = str(attr)
    return out


def classify(body: str, attributes: Mapping[str, str], recorded_class: str | None = None) -> tuple[str, str]:
    """Return ``(class, reason)`` for one dead letter."""
    explicit = attributes.get("error_class", "").lower()
    if explicit in CLASSES:
        return explicit, "error_class attribute"
    error_text = " ".join(attributes.get(k, "") for k in ("ErrorCode", "ErrorMessage", "error"))
    if error_text.strip():
        if _TIMEOUT.search(error_text):
            return "timeout", error_text[:200]
        if _PERMANENT.search(error_text):
            return "permanent", error_text[:200]
        if _DATABASE.search(error_text):
            return "database", error_text[:200]
        if _VALIDATION.search(error_text):
            return "validation", error_text[:200]
    try:
        payload = json.loads(body)
    except (TypeError, ValueError):
        return "validation", "body is not JSON"
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("idempotency_key"), str)
        or "order" not in payload
    ):
        return "validation", "body is not an order envelope"
    try:
        validate_order(payload["order"])
    except ValidationError as exc:
        return "validation", "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)[:200]
    if recorded_class in CLASSES:
        return recorded_class, "recorded by the worker"  # type: ignore[return-value]
    if error_text.strip():
        return "unknown", error_text[:200]
    return "unknown", "valid order and no recorded cause (crash, throttling or an earlier timeout)"


# --- redrive ------------------------------------------------------------------------------------------


def _queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def redrive(
    source_dlq_url: str,
    target_queue_url: str,
    *,
    sqs: Any = None,
    max_messages: int | None = None,
    prefer_move_task: bool = True,
    visibility_timeout: int = 60,
    empty_polls: int = 2,
) -> dict[str, Any]:
    """Move messages from the DLQ back to the queue.

    Uses SQS ``StartMessageMoveTask`` when the endpoint supports it (AWS does; it runs server-side).
    Otherwise receive -> send -> delete in a loop: a message is deleted from the DLQ only after the target
    queue accepted it, so an interruption can duplicate a message (harmless: idempotency keys) but never
    lose one. Returns what was done.
    """
    if sqs is None:
        from app.queue import sqs_client

        sqs = sqs_client()
    if prefer_move_task and max_messages is None:
        try:
            source_arn, target_arn = _queue_arn(sqs, source_dlq_url), _queue_arn(sqs, target_queue_url)
            resp = sqs.start_message_move_task(SourceArn=source_arn, DestinationArn=target_arn)
            return {"mode": "move_task", "task_handle": resp.get("TaskHandle"), "moved": None, "failed": 0}
        except Exception as exc:  # emulators answer "not implemented" / unknown operation
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
            if code in (
                "AccessDenied",
                "AccessDeniedException",
                "QueueDoesNotExist",
                "AWS.SimpleQueueService.NonExistentQueue",
            ):
                raise
    moved = failed = polls = 0
    while max_messages is None or moved < max_messages:
        want = 10 if max_messages is None else min(10, max_messages - moved)
        resp = sqs.receive_message(
            QueueUrl=source_dlq_url,
            MaxNumberOfMessages=want,
            WaitTimeSeconds=1,
            VisibilityTimeout=visibility_timeout,
            MessageAttributeNames=["All"],
        )
        messages = resp.get("Messages", [])
        if not messages:
            polls += 1
            if polls >= empty_polls:
                break
            continue
        polls = 0
        entries = []
        for i, m in enumerate(messages):
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": m["Body"]}
            if m.get("MessageAttributes"):
                entry["MessageAttributes"] = m["MessageAttributes"]
            entries.append(entry)
        sent = sqs.send_message_batch(QueueUrl=target_queue_url, Entries=entries)
        ok = {s["Id"] for s in sent.get("Successful", [])}
        failed += len(messages) - len(ok)
        to_delete = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(messages)
            if str(i) in ok
        ]
        if to_delete:
            sqs.delete_message_batch(QueueUrl=source_dlq_url, Entries=to_delete)
        moved += len(to_delete)
        if failed and not ok:
            time.sleep(0.5)  # the target refuses everything: back off; messages reappear in the DLQ
            break
    return {"mode": "receive_send_delete", "task_handle": None, "moved": moved, "failed": failed}
