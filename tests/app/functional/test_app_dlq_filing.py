"""The DLQ analyzer files dead letters in the archive; ops/dead_letters lists and redrives both queues.

Against moto's SQS over HTTP: what the analyzer returns is applied as the Lambda mapping does
(``app.local.poll_once`` deletes what was not reported failed)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.handlers import dlq_analyzer
from app.local import FakeContext, poll_once
from ops import dead_letters

pytestmark = [pytest.mark.functional, pytest.mark.usefixtures("purge_queues")]


@pytest.fixture(autouse=True)
def _short_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dead_letters, "WAIT_SECONDS", 0)  # moto answers short polls completely

ORDER = {"customer_id": "d", "items": [{"sku": "s", "quantity": 1, "unit_price": "1.00"}]}


def drain(sqs: Any, url: str) -> list[dict]:
    """Receive (and delete) everything: what the queue held."""
    out: list[dict] = []
    while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                      MessageAttributeNames=["All"]).get("Messages", []):
        out += msgs
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
    return out


def queue_set(queues: dict[str, str]) -> dead_letters.Queues:
    return dead_letters.Queues(orders=queues["queue"], dlq=queues["dlq"], archive=queues["archive"])


def send_dead_letters(sqs: Any, dlq: str) -> None:
    sqs.send_message(QueueUrl=dlq, MessageBody="garbage",
                     MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": "c-1"}})
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"idempotency_key": "k1", "order": ORDER}),
                     MessageAttributes={"ErrorMessage": {"DataType": "String", "StringValue": "Task timed out"}})
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"idempotency_key": "k2", "order": ORDER}))


def test_analyzer_files_each_letter_with_its_class_and_the_dlq_lets_go(
    boto: Any, queues: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = boto["sqs"]
    send_dead_letters(sqs, queues["dlq"])
    capsys.readouterr()
    out = poll_once(sqs, queues["dlq"], dlq_analyzer.lambda_handler, function_name="dlq-analyzer")
    assert out["received"] == 3 and out["failed"] == []
    assert drain(sqs, queues["dlq"]) == []  # nothing left in flight on the DLQ
    filed = {m["Body"]: m["MessageAttributes"] for m in drain(sqs, queues["archive"])}
    classes = {body: attrs["dead_letter_class"]["StringValue"] for body, attrs in filed.items()}
    assert sorted(classes.values()) == ["timeout", "unknown", "validation"]
    assert classes["garbage"] == "validation"
    assert filed["garbage"]["correlation_id"]["StringValue"] == "c-1"  # the original attributes travel
    ids = {m["MessageId"] for m in out["messages"]}
    assert {attrs["dead_letter_message_id"]["StringValue"] for attrs in filed.values()} == ids
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"DlqMessages"' in line]
    assert sorted((b["class"], b["DlqMessages"]) for b in emf) == [
        ("timeout", [1.0]), ("unknown", [1.0]), ("validation", [1.0])]


def test_a_letter_the_archive_refuses_stays_in_the_dlq(
    boto: Any, queues: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs = boto["sqs"]
    monkeypatch.setenv("DLQ_ARCHIVE_QUEUE_URL", queues["archive"].rsplit("/", 1)[0] + "/no-such-archive")
    send_dead_letters(sqs, queues["dlq"])
    out = poll_once(sqs, queues["dlq"], dlq_analyzer.lambda_handler, retain_visibility=0)
    assert len(out["failed"]) == 3  # reported failed: the mapping leaves them in the DLQ
    assert len(drain(sqs, queues["dlq"])) == 3 and drain(sqs, queues["archive"]) == []


def test_a_letter_with_no_room_for_the_filing_attributes_stays_in_the_dlq(boto: Any, queues: dict[str, str]) -> None:
    full = {f"a{i}": {"dataType": "String", "stringValue": "x"} for i in range(8)}
    record = {"messageId": "m-1", "receiptHandle": "r", "body": "garbage", "messageAttributes": full,
              "attributes": {}, "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:dlq"}
    response = dlq_analyzer.lambda_handler({"Records": [record]}, FakeContext())
    assert response["batchItemFailures"] == [{"itemIdentifier": "m-1"}]
    assert drain(boto["sqs"], queues["archive"]) == []


def test_list_shows_archive_and_dlq_and_leaves_them(boto: Any, queues: dict[str, str]) -> None:
    sqs = boto["sqs"]
    send_dead_letters(sqs, queues["dlq"])
    poll_once(sqs, queues["dlq"], dlq_analyzer.lambda_handler)
    sqs.send_message(QueueUrl=queues["dlq"], MessageBody="not yet filed")
    first = dead_letters.list_letters(sqs, queue_set(queues))
    again = dead_letters.list_letters(sqs, queue_set(queues))  # released: visible again at once
    assert sorted((x.source, x.cls) for x in first) == sorted((x.source, x.cls) for x in again) == [
        ("archive", "timeout"), ("archive", "unknown"), ("archive", "validation"), ("dlq", "unfiled")]
    letter = next(x for x in first if x.cls == "validation")
    assert dead_letters.find(sqs, queue_set(queues), letter.message_id).body == "garbage"  # type: ignore[union-attr]


def test_redrive_moves_every_letter_once_and_counts_by_class(boto: Any, queues: dict[str, str]) -> None:
    sqs = boto["sqs"]
    send_dead_letters(sqs, queues["dlq"])
    poll_once(sqs, queues["dlq"], dlq_analyzer.lambda_handler)
    for i in range(12):  # more than one receive batch still in the DLQ
        sqs.send_message(QueueUrl=queues["dlq"], MessageBody=f"late-{i}")
    result = dead_letters.redrive(sqs, queue_set(queues))
    assert dict(result.moved) == {"timeout": 1, "unknown": 1, "validation": 1, "unfiled": 12}
    assert result.summary().startswith("moved 15 dead letters")
    moved = drain(sqs, queues["queue"])
    assert len(moved) == 15 and len({m["Body"] for m in moved}) == 15
    assert not any(k.startswith("dead_letter_") for m in moved for k in m.get("MessageAttributes", {}))
    assert drain(sqs, queues["archive"]) == [] and drain(sqs, queues["dlq"]) == []


def test_redrive_by_class_leaves_the_others_visible(boto: Any, queues: dict[str, str]) -> None:
    sqs = boto["sqs"]
    send_dead_letters(sqs, queues["dlq"])
    poll_once(sqs, queues["dlq"], dlq_analyzer.lambda_handler)
    result = dead_letters.redrive(sqs, queue_set(queues), classes={"timeout", "unknown"})
    assert dict(result.moved) == {"timeout": 1, "unknown": 1} and result.skipped == 1
    assert [m["Body"] for m in drain(sqs, queues["archive"])] == ["garbage"]


def test_redrive_never_deletes_what_the_orders_queue_refused(boto: Any, queues: dict[str, str]) -> None:
    sqs = boto["sqs"]
    send_dead_letters(sqs, queues["dlq"])
    poll_once(sqs, queues["dlq"], dlq_analyzer.lambda_handler)
    gone = dead_letters.Queues(orders=queues["queue"] + "-gone", dlq=queues["dlq"], archive=queues["archive"])
    with pytest.raises(Exception):  # noqa: B017 - botocore's QueueDoesNotExist
        dead_letters.redrive(sqs, gone)
    assert len(dead_letters.list_letters(sqs, queue_set(queues))) == 3
