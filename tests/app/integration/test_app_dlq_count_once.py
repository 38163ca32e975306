"""A retained dead letter is re-analyzed once per DLQ visibility timeout: its class is counted once.

Against the emulator's real redrive policy (maxReceiveCount 2): the poison message reaches the DLQ with
its receive count carried over, and three analyzer passes emit ``DlqMessages`` once."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from app.local import poll_once

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_db", "purge_queues")]


def emf(out: str, name: str) -> list[dict]:
    blobs = []
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blob = json.loads(line)
            if any(m["Name"] == name for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]):
                blobs.append(blob)
    return blobs


def test_retained_dead_letter_is_counted_once(
    stack: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from app.handlers import dlq_analyzer, worker

    monkeypatch.setenv("DLQ_SOURCE_MAX_RECEIVE_COUNT", "2")  # the fixture queue's redrive policy
    sqs, queue, dlq = stack["boto"]["sqs"], stack["queues"]["queue"], stack["queues"]["dlq"]
    sqs.send_message(QueueUrl=queue, MessageBody="not json")
    for _ in range(4):  # two failed receives, then SQS moves it to the DLQ on the next receive
        poll_once(sqs, queue, worker.lambda_handler)
        time.sleep(1.1)
    capsys.readouterr()
    seen = []
    for _ in range(3):  # three passes of the analyzer over the same retained message
        out = poll_once(sqs, dlq, dlq_analyzer.lambda_handler, function_name="dlq", retain_visibility=0)
        seen += [m["Attributes"]["ApproximateReceiveCount"] for m in out["messages"]]
    assert seen == ["3", "4", "5"]  # retained, and the receive count carried over from the queue (2)
    printed = capsys.readouterr().out
    counted = emf(printed, "DlqMessages")
    assert [(b["class"], b["DlqMessages"]) for b in counted] == [("validation", [1.0])]
    assert sum(len(b["DlqMessagesAnalyzed"]) if isinstance(b["DlqMessagesAnalyzed"], list) else 1
               for b in emf(printed, "DlqMessagesAnalyzed")) == 3


@pytest.mark.parametrize(("count", "expected"), [("1", True), ("2", False), ("6", True), ("7", False), (None, True)])
def test_first_sight_rule(count: Any, expected: bool) -> None:
    from app.handlers.dlq_analyzer import first_sight

    record = {"attributes": {"ApproximateReceiveCount": count} if count else {}}
    assert first_sight(record, 5) is expected
