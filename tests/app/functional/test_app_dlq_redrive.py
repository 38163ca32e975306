"""DLQ analyzer handler and redrive, over HTTP to the SQS emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.dlq import redrive
from app.handlers import dlq_analyzer
from app.local import FakeContext, sqs_event

pytestmark = [pytest.mark.functional]

ORDER = {"customer_id": "d", "items": [{"sku": "s", "quantity": 1, "unit_price": "1.00"}]}


@pytest.fixture
def pair(boto: Any, request: pytest.FixtureRequest) -> tuple[str, str]:
    sqs = boto["sqs"]
    name = request.node.name.replace("[", "-").replace("]", "")[:40]
    return (
        sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"],
        sqs.create_queue(QueueName=name)["QueueUrl"],
    )


def bodies(sqs: Any, url: str) -> list[str]:
    out = []
    while True:
        msgs = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=30
        ).get("Messages", [])
        if not msgs:
            return out
        out += [
            m["Body"] + "|" + m.get("MessageAttributes", {}).get("correlation_id", {}).get("StringValue", "")
            for m in msgs
        ]


def test_redrive_moves_every_message_with_its_attributes(boto: Any, pair: tuple[str, str]) -> None:
    sqs = boto["sqs"]
    dlq, target = pair
    sent = []
    for i in range(23):
        body = json.dumps({"n": i})
        sqs.send_message(
            QueueUrl=dlq,
            MessageBody=body,
            MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": f"c{i}"}},
        )
        sent.append(f"{body}|c{i}")
    result = redrive(dlq, target, sqs=sqs)
    assert result["mode"] == "receive_send_delete"  # the emulator has no StartMessageMoveTask
    assert result["moved"] == 23 and result["failed"] == 0
    assert sorted(bodies(sqs, target)) == sorted(sent)
    assert bodies(sqs, dlq) == []


def test_redrive_never_deletes_what_the_target_did_not_accept(boto: Any, pair: tuple[str, str]) -> None:
    sqs = boto["sqs"]
    dlq, _ = pair
    for i in range(3):
        sqs.send_message(QueueUrl=dlq, MessageBody=f"m{i}")
    missing = dlq.rsplit("/", 1)[0] + "/does-not-exist"
    with pytest.raises(Exception):  # noqa: B017 - botocore's QueueDoesNotExist
        redrive(dlq, missing, sqs=sqs, prefer_move_task=False, visibility_timeout=0)
    assert len(bodies(sqs, dlq)) == 3


def test_analyzer_classifies_emits_metrics_and_retains(
    boto: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    msgs = [
        {"MessageId": "a", "ReceiptHandle": "r", "Body": "garbage"},
        {
            "MessageId": "b",
            "ReceiptHandle": "r",
            "Body": json.dumps({"idempotency_key": "k", "order": ORDER}),
            "MessageAttributes": {
                "ErrorMessage": {"DataType": "String", "StringValue": "Task timed out after 30 s"}
            },
        },
        {
            "MessageId": "c",
            "ReceiptHandle": "r",
            "Body": json.dumps({"idempotency_key": "k2", "order": ORDER}),
        },
    ]
    event = sqs_event(msgs, "arn:aws:sqs:us-east-1:123456789012:dlq")
    logged: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        dlq_analyzer.logger, "info", lambda msg, extra=None, **kw: logged.append((msg, extra))
    )
    response = dlq_analyzer.lambda_handler(event, FakeContext(function_name="dlq-analyzer"))
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["a", "b", "c"]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    per_class = {line["class"]: line["DlqMessages"] for line in lines if "DlqMessages" in line}
    assert per_class == {"timeout": [1.0], "unknown": [1.0], "validation": [1.0]}
    summary = [extra for msg, extra in logged if msg == "dlq summary"]
    assert len(summary) == 1 and summary[0]["by_class"] == {"validation": 1, "timeout": 1, "unknown": 1}
    assert summary[0]["retained"] is True and len(summary[0]["samples"]) == 3
    monkeypatch.setenv("DLQ_ANALYZER_RETAIN", "false")
    assert dlq_analyzer.lambda_handler(event, FakeContext())["batchItemFailures"] == []
