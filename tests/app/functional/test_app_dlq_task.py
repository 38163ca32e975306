"""`invoke dlq.redrive` against the emulator: the task function with a real invoke Context."""

from __future__ import annotations

from typing import Any

import pytest
from invoke import Context
from invoke.exceptions import Exit

from ops import dlq as dlq_tasks

pytestmark = [pytest.mark.functional, pytest.mark.usefixtures("purge_queues")]


def test_redrive_task_moves_the_env_dlq_back(
    boto: Any, queues: dict[str, str], moto_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = boto["sqs"]
    for i in range(12):
        sqs.send_message(QueueUrl=queues["dlq"], MessageBody=f"dead-{i}")
    dlq_tasks.redrive(Context(), env="dev", endpoint_url=moto_endpoint, yes=True)
    assert "moved 12 messages" in capsys.readouterr().out
    got = set()
    while msgs := sqs.receive_message(
        QueueUrl=queues["queue"], MaxNumberOfMessages=10, VisibilityTimeout=30
    ).get("Messages", []):
        got |= {m["Body"] for m in msgs}
    assert got == {f"dead-{i}" for i in range(12)}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"env": None}, "--env is required"),
        ({"env": "qa"}, "must be one of"),
        ({"env": "prod"}, "queue not found: serverless-infra-prod-orders-dlq"),
    ],
)
def test_redrive_task_errors_are_clear(moto_endpoint: str, kwargs: dict, message: str) -> None:
    with pytest.raises(Exit) as exc:
        dlq_tasks.redrive(Context(), endpoint_url=moto_endpoint, yes=True, **kwargs)
    assert message in str(exc.value.message)
