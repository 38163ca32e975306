"""Runbook "Dead letters: inspect and redrive" (docs/app.md), performed end to end on the local stack.

An outage makes the worker fail two orders; SQS's redrive policy moves them to the DLQ; the analyzer
files them in the archive with their class; the operator lists and inspects them with `invoke dlq.list` /
`dlq.inspect`, fixes the cause, and `invoke dlq.redrive` moves them back, saying how many; the worker
then writes them, once."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from invoke.context import Context

from app.errors import DatabaseUnavailableError
from app.local import json_request, poll_once
from ops import dead_letters
from ops import dlq as dlq_tasks
from tests.app.integration.test_app_async_e2e import rows_for_job

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_db")]
ENV = "staging"  # queues of its own: nothing another test left in flight on the dev DLQ can join in


@pytest.fixture
def env_queues(boto: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The three queues as compute creates them for ENV (maxReceiveCount 2, 1 s visibility for speed)."""
    from shared.naming import order_queue_names

    sqs, names = boto["sqs"], order_queue_names(ENV)
    urls = {}
    for name in (names.queue, names.dlq, names.archive):
        urls[name] = sqs.create_queue(QueueName=name)["QueueUrl"]
        sqs.purge_queue(QueueUrl=urls[name])
    dlq_arn = sqs.get_queue_attributes(QueueUrl=urls[names.dlq], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=urls[names.queue], Attributes={
        "VisibilityTimeout": "1",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})
    monkeypatch.setenv("ORDERS_QUEUE_URL", urls[names.queue])  # what compute sets on api and dlq-analyzer
    monkeypatch.setenv("DLQ_ARCHIVE_QUEUE_URL", urls[names.archive])
    return {"queue": urls[names.queue], "dlq": urls[names.dlq], "archive": urls[names.archive]}


def test_dead_letters_are_listed_inspected_and_redriven_without_loss(
    api_url: str, stack: dict, env_queues: dict, make_order: Any, moto_endpoint: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from app import repository
    from app.handlers import dlq_analyzer, worker

    monkeypatch.setattr(dead_letters, "WAIT_SECONDS", 0)  # moto answers short polls completely
    sqs, q = stack["boto"]["sqs"], env_queues
    status, _, job = json_request(api_url, "POST", "/orders/async",
                                  {"orders": [make_order(customer="r0"), make_order(customer="r1")]},
                                  headers={"Idempotency-Key": "runbook-dlq"})
    assert status == 202

    def outage(rows: Any) -> Any:
        raise DatabaseUnavailableError("connection refused")

    with monkeypatch.context() as broken:
        broken.setattr(repository, "write_worker_chunk", outage)
        for _ in range(4):  # maxReceiveCount 2: two failed receives, then SQS moves them to the DLQ
            poll_once(sqs, q["queue"], worker.lambda_handler)
            time.sleep(1.1)
    filing = poll_once(sqs, q["dlq"], dlq_analyzer.lambda_handler, function_name="dlq-analyzer")
    assert filing["received"] == 2 and filing["failed"] == []

    capsys.readouterr()
    dlq_tasks.list_(Context(), env=ENV, endpoint_url=moto_endpoint)
    listing = capsys.readouterr().out
    source, message_id, cls = listing.split()[:3]
    assert source == "archive" and f"2 dead letters ({cls} 2); 0 in flight on the DLQ" in listing
    dlq_tasks.inspect(Context(), env=ENV, message_id=message_id, endpoint_url=moto_endpoint)
    shown = json.loads(capsys.readouterr().out)
    assert shown["class"] == cls and json.loads(shown["body"])["job_id"] == job["job_id"]
    assert shown["attributes"]["correlation_id"]  # the original attributes are kept for the redrive

    dlq_tasks.redrive(Context(), env=ENV, yes=True, endpoint_url=moto_endpoint)  # the cause is fixed
    assert f"moved 2 dead letters to the orders queue ({cls} 2)" in capsys.readouterr().out
    for _ in range(2):
        poll_once(sqs, q["queue"], worker.lambda_handler)
    assert rows_for_job(stack["pg_url"], job["job_id"]) == [0, 1]
    dlq_tasks.list_(Context(), env=ENV, endpoint_url=moto_endpoint)
    assert "0 dead letters (none)" in capsys.readouterr().out
