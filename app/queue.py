"""SQS producer for POST /orders/async: one message per order, sent 10 at a time (SendMessageBatch).

A message carries the job id, its index and its idempotency key in the body, and the correlation id as the
``correlation_id`` message attribute. boto3 is imported on first use only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from app.errors import QueueUnavailableError

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


def reset_client() -> None:
    global _client
    _client = None


def message_body(job_id: str, index: int, key: str, order: Any) -> str:
    return json.dumps(
        {"job_id": job_id, "index": index, "idempotency_key": key, "order": order},
        separators=(",", ":"),
        default=str,
    )


def enqueue_orders(job_id: str, records: Sequence[Any], keys: Sequence[str], correlation_id: str) -> int:
    """Send every record; returns how many were accepted by SQS. Raises QueueUnavailableError on failure
    (the messages already sent stay: their idempotency keys make a re-submission safe)."""
    queue_url = os.environ.get("ORDERS_QUEUE_URL")
    if not queue_url:
        raise QueueUnavailableError("ORDERS_QUEUE_URL is not set")
    attrs = {
        "correlation_id": {"DataType": "String", "StringValue": correlation_id},
        "job_id": {"DataType": "String", "StringValue": job_id},
    }
    sent = 0
    try:
        client = sqs_client()
        for start in range(0, len(records), 10):
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": message_body(job_id, i, keys[i], records[i]),
                    "MessageAttributes": attrs,
                }
                for i in range(start, min(start + 10, len(records)))
            ]
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
