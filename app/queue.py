"""SQS producer for POST /orders/async: one message per order, sent 10 at a time (SendMessageBatch).

A message carries the job id, its index and its idempotency key in the body, and the correlation id as the
``correlation_id`` message attribute. boto3 is imported on first use only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from app.contract import ORDERS_QUEUE_URL
from app.errors import PayloadTooLargeError, QueueUnavailableError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

CORRELATION_ATTRIBUTE = "correlation_id"
_client: Any = None


def sqs_client() -> Any:
    global _client
    if _client is None:
        import boto3
        from botocore.config import Config

        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        cfg = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})
        _client = boto3.client("sqs", region_name=region, config=cfg)
    return _client


def message_body(job_id: str, index: int, key: str, order: Any) -> str:
    return json.dumps(
        {"job_id": job_id, "index": index, "idempotency_key": key, "order": order},
        separators=(",", ":"),
        default=str,
    )


# SendMessageBatch: "The maximum allowed individual message size and the maximum total payload size (the
# sum of the individual lengths of all of the batched messages) are both 256 KiB (262,144 bytes)", and
# message attributes count towards it [SQS API reference, SendMessageBatch; SQS developer guide, message
# attributes]. Messages are planned against it before anything is sent: a job SQS would refuse halfway
# is refused whole (413), instead of answering 503 forever after enqueueing part of it.
MAX_MESSAGE_BYTES = 262_144
MAX_BATCH_BYTES = 262_144
MAX_BATCH_ENTRIES = 10


def _attributes(job_id: str, correlation_id: str) -> dict[str, dict[str, str]]:
    return {
        CORRELATION_ATTRIBUTE: {"DataType": "String", "StringValue": correlation_id},
        "job_id": {"DataType": "String", "StringValue": job_id},
    }


def message_size(body: str, attributes: dict[str, dict[str, str]]) -> int:
    """Bytes SQS counts for a message: the body plus each attribute's name, type and value."""
    size = len(body.encode())
    for name, attr in attributes.items():
        size += len(name.encode()) + len(attr["DataType"].encode()) + len(attr["StringValue"].encode())
    return size


def build_batches(
    job_id: str, records: Sequence[Any], keys: Sequence[str], correlation_id: str
) -> list[list[dict[str, Any]]]:
    """Every SendMessageBatch request of the job, each within SQS's entry and byte limits.

    Raises :class:`PayloadTooLargeError` naming the first record whose message alone is too large: the
    caller checks this before writing or sending anything.
    """
    attrs = _attributes(job_id, correlation_id)
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    current_bytes = 0
    for i, record in enumerate(records):
        body = message_body(job_id, i, keys[i], record)
        size = message_size(body, attrs)
        if size > MAX_MESSAGE_BYTES:
            raise PayloadTooLargeError(
                f"orders[{i}] makes a {size}-byte queue message; SQS takes at most {MAX_MESSAGE_BYTES} bytes"
            )
        if current and (len(current) == MAX_BATCH_ENTRIES or current_bytes + size > MAX_BATCH_BYTES):
            batches.append(current)
            current, current_bytes = [], 0
        current.append({"Id": str(i), "MessageBody": body, "MessageAttributes": attrs})
        current_bytes += size
    if current:
        batches.append(current)
    return batches


def send_batches(batches: Sequence[list[dict[str, Any]]]) -> int:
    """Send planned batches; returns how many messages SQS accepted. Raises QueueUnavailableError on
    failure (the messages already sent stay: their idempotency keys make a re-submission safe)."""
    queue_url = os.environ.get(ORDERS_QUEUE_URL)
    if not queue_url:
        raise QueueUnavailableError(f"{ORDERS_QUEUE_URL} is not set")
    sent = 0
    try:
        client = sqs_client()
        for batch in batches:
            entries = list(batch)
            for _ in range(3):  # resend only the entries SQS reported as failed
                resp = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
                sent += len(resp.get("Successful", []))
                failed = {f["Id"] for f in resp.get("Failed", [])}
                entries = [e for e in entries if e["Id"] in failed]
                if not entries:
                    break
            if entries:
                raise QueueUnavailableError(f"SQS refused {len(entries)} messages")
    except QueueUnavailableError:
        raise
    except Exception as exc:  # botocore errors: endpoint down, throttled beyond retries, ...
        raise QueueUnavailableError(f"SQS unavailable: {type(exc).__name__}") from exc
    return sent


def record_correlation_id(record: SQSRecord) -> str | None:
    """The correlation id a consumer reads back from a message this module sent (None if absent)."""
    if not record.get("messageAttributes"):  # hand-made events and Lambda async-invoke DLQ entries
        return None
    attr = record.message_attributes[CORRELATION_ATTRIBUTE]
    return attr.string_value if attr is not None else None
