"""`invoke dlq.*` argument and environment errors are one clear line (the runbook test drives the happy path)."""

from __future__ import annotations

import pytest
from invoke.context import Context
from invoke.exceptions import Exit

from ops import dlq as dlq_tasks

pytestmark = [pytest.mark.functional]


@pytest.mark.parametrize(
    ("task", "kwargs", "message"),
    [
        (dlq_tasks.redrive, {"env": None}, "--env is required"),
        (dlq_tasks.redrive, {"env": "qa"}, "qa"),
        (dlq_tasks.redrive, {"env": "prod"}, "queue not found: serverless-infra-prod-orders"),
        (dlq_tasks.redrive, {"env": "dev", "only": ["sometimes"]}, "--only sometimes: not a class"),
        (dlq_tasks.list_, {"env": "prod"}, "queue not found"),
        (dlq_tasks.inspect, {"env": "dev"}, "--message-id is required"),
    ],
)
def test_dlq_task_errors_are_clear(moto_endpoint: str, task: object, kwargs: dict, message: str) -> None:
    with pytest.raises(Exit) as exc:
        task(Context(), endpoint_url=moto_endpoint, yes=True, **kwargs) if task is dlq_tasks.redrive else \
            task(Context(), endpoint_url=moto_endpoint, **kwargs)  # type: ignore[operator]
    assert message in str(exc.value.message)


def test_inspect_names_a_letter_that_is_not_there(moto_endpoint: str, queues: dict[str, str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from ops import dead_letters

    monkeypatch.setattr(dead_letters, "WAIT_SECONDS", 0)
    with pytest.raises(Exit, match="no dead letter nope"):
        dlq_tasks.inspect(Context(), env="dev", message_id="nope", endpoint_url=moto_endpoint)
