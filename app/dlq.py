"""Dead letters: why a message failed (classification) and where the analyzer keeps it (filing).

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
from collections.abc import Mapping
from typing import Any

from app.contract import DLQ_ARCHIVE_QUEUE_URL, DLQ_CLASSES
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


# --- filing: the analyzer keeps each dead letter in the archive queue ----------------------------------

ARCHIVE_URL_ENV = DLQ_ARCHIVE_QUEUE_URL
CLASS_ATTRIBUTE = "dead_letter_class"
REASON_ATTRIBUTE = "dead_letter_reason"
MESSAGE_ID_ATTRIBUTE = "dead_letter_message_id"
FILING_ATTRIBUTES = (CLASS_ATTRIBUTE, REASON_ATTRIBUTE, MESSAGE_ID_ATTRIBUTE)
# "Each message can have up to 10 metadata attributes" (SQS developer guide, message metadata).
SQS_MAX_MESSAGE_ATTRIBUTES = 10


def api_attributes(event_attributes: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Lambda-event message attributes (``stringValue``/``binaryValue`` base64) -> SendMessage's shape."""
    import base64

    out: dict[str, dict[str, Any]] = {}
    for name, attr in (event_attributes or {}).items():
        data_type = attr.get("dataType") or attr.get("DataType") or "String"
        if data_type.startswith("Binary"):
            raw = attr.get("binaryValue") or attr.get("BinaryValue") or b""
            out[name] = {"DataType": data_type, "BinaryValue": base64.b64decode(raw) if isinstance(raw, str) else raw}
        else:
            out[name] = {"DataType": data_type, "StringValue": str(attr.get("stringValue", attr.get("StringValue", "")))}
    return out


def archive_entry(entry_id: str, record: Mapping[str, Any], cls: str, reason: str) -> dict[str, Any] | None:
    """The SendMessageBatch entry filing ``record`` with its class, or None when its attributes leave no room
    for ours (it then stays in the DLQ, where `invoke dlq.redrive` still reaches it)."""
    attributes = api_attributes(record.get("messageAttributes"))
    if len(attributes) + len(FILING_ATTRIBUTES) > SQS_MAX_MESSAGE_ATTRIBUTES:
        return None
    for name, value in ((CLASS_ATTRIBUTE, cls), (REASON_ATTRIBUTE, reason or "-"),
                        (MESSAGE_ID_ATTRIBUTE, str(record.get("messageId", "")))):
        attributes[name] = {"DataType": "String", "StringValue": value}
    return {"Id": entry_id, "MessageBody": record.get("body") or "", "MessageAttributes": attributes}


def file_dead_letters(classified: list[tuple[dict, str, str]], *, sqs: Any = None) -> set[str]:
    """File each ``(record, class, reason)`` in the archive queue; return the message ids it accepted.

    The analyzer reports every other record as a batch item failure, so the DLQ keeps it and the mapping
    delivers it again after the DLQ's visibility timeout: a dead letter is either filed or still in the
    DLQ, never lost. Without ``DLQ_ARCHIVE_QUEUE_URL`` nothing is filed (everything stays in the DLQ).
    """
    import os

    archive_url = os.environ.get(ARCHIVE_URL_ENV, "")
    if not archive_url or not classified:
        return set()
    if sqs is None:
        from app.queue import sqs_client

        sqs = sqs_client()
    filed: set[str] = set()
    for start in range(0, len(classified), 10):
        chunk = classified[start : start + 10]
        entries = [e for i, (record, cls, reason) in enumerate(chunk)
                   if (e := archive_entry(str(i), record, cls, reason)) is not None]
        if not entries:
            continue
        try:
            sent = sqs.send_message_batch(QueueUrl=archive_url, Entries=entries)
        except Exception:  # noqa: BLE001 - the archive is unreachable: the whole chunk stays in the DLQ
            continue
        filed |= {str(chunk[int(ok["Id"])][0].get("messageId")) for ok in sent.get("Successful", [])}
    return filed
