"""`invoke dlq.list | dlq.inspect | dlq.redrive --env E`: the dead letters of an env (ops/dead_letters.py)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from invoke.exceptions import Exit
from invoke.tasks import task

from app.dlq import CLASSES
from ops import dead_letters
from shared.config import REGION, ConfigError, Environment
from shared.naming import order_queue_names

T = TypeVar("T")

HELP = {
    "env": "required: dev, staging or prod (queues serverless-infra-{env}-orders[-dlq[-archive]])",
    "endpoint_url": "SQS endpoint (e.g. the emulator of `invoke serve`); default: real AWS",
}


def _sqs(endpoint_url: str | None) -> Any:
    try:
        import boto3
    except ImportError:
        raise Exit("boto3 is not installed; run bash scripts/bootstrap", code=1) from None
    return boto3.client("sqs", region_name=REGION, endpoint_url=endpoint_url)


def _run(env: str | None, endpoint_url: str | None, action: Callable[[Any, dead_letters.Queues], T]) -> T:
    """Resolve the env's three queues and run ``action``; AWS and config failures become one clear line."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    if env is None:
        raise Exit("--env is required (dev, staging or prod)", code=2)
    try:
        names = order_queue_names(Environment.parse(env, source="--env"))
    except ConfigError as error:
        raise Exit(str(error), code=2) from None
    sqs = _sqs(endpoint_url)
    try:
        queues = dead_letters.Queues(*(
            _queue_url(sqs, name, env) for name in (names.queue, names.dlq, names.archive)))
        return action(sqs, queues)
    except NoCredentialsError:
        raise Exit("no AWS credentials: configure a profile or pass --endpoint-url for the emulator", code=1) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise Exit(f"SQS refused: {error.get('Code')}: {error.get('Message', '')} (nothing was deleted that "
                   "the orders queue had not accepted)", code=1) from None
    except BotoCoreError as exc:
        raise Exit(f"cannot reach SQS: {exc}", code=1) from None


def _queue_url(sqs: Any, name: str, env: str) -> str:
    from botocore.exceptions import ClientError

    try:
        return sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if "NonExistentQueue" in code or code == "QueueDoesNotExist":
            raise Exit(f"queue not found: {name} (is compute deployed for {env}?)", code=1) from None
        raise


@task(name="list", help=HELP)
def list_(c, env=None, endpoint_url=None):
    """List every dead letter (archive and DLQ): where it is, its id, its class and why; leaves them in place."""
    def show(sqs: Any, queues: dead_letters.Queues) -> None:
        letters = dead_letters.list_letters(sqs, queues)
        for letter in letters:
            print(letter.line())
        by_class = Counter(letter.cls for letter in letters)
        print(f"{len(letters)} dead letters ({', '.join(f'{k} {n}' for k, n in sorted(by_class.items())) or 'none'})"
              f"; {dead_letters.in_flight(sqs, queues.dlq)} in flight on the DLQ (being filed)")

    _run(env, endpoint_url, show)


@task(help={**HELP, "message_id": "the id `invoke dlq.list` printed"})
def inspect(c, env=None, message_id=None, endpoint_url=None):
    """Print one dead letter in full (body, attributes, class, reason) as JSON; leaves it in place."""
    if not message_id:
        raise Exit("--message-id is required (see `invoke dlq.list`)", code=2)

    def show(sqs: Any, queues: dead_letters.Queues) -> None:
        letter = dead_letters.find(sqs, queues, message_id)
        if letter is None:
            raise Exit(f"no dead letter {message_id} in the archive or the DLQ (in flight, or already redriven)",
                       code=1)
        attributes = {k: v.get("StringValue", "<binary>") for k, v in letter.attributes.items()}
        print(json.dumps({"source": letter.source, "message_id": letter.message_id, "class": letter.cls,
                          "reason": letter.reason, "sent_at_ms": letter.sent_at, "attributes": attributes,
                          "body": letter.body}, indent=2))

    _run(env, endpoint_url, show)


@task(
    help={
        **HELP,
        "only": "redrive only this class (validation, database, timeout, unknown, unfiled); repeatable",
        "max_messages": "move at most this many letters",
        "yes": "do not ask for confirmation",
    },
    iterable=["only"],
)
def redrive(c, env=None, only=None, max_messages=None, yes=False, endpoint_url=None):
    """Move dead letters (archive and DLQ) back to the orders queue and say how many moved, by class.

    Fix the cause first: a `validation` letter can never succeed and comes back. A letter is deleted only
    after the orders queue accepted it (an interruption may duplicate one, never lose one).
    """
    classes = set(only) if only else None
    unknown = (classes or set()) - {*CLASSES, "unfiled"}
    if unknown:
        raise Exit(f"--only {', '.join(sorted(unknown))}: not a class ({', '.join(CLASSES)}, unfiled)",
                   code=2)

    def move(sqs: Any, queues: dead_letters.Queues) -> None:
        if not yes:
            waiting = sum(int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                              ["Attributes"]["ApproximateNumberOfMessages"]) for url in (queues.archive, queues.dlq))
            answer = input(f"Move ~{waiting} dead letters{' of ' + ', '.join(sorted(classes)) if classes else ''} "
                           f"to {queues.orders.rsplit('/', 1)[-1]}? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise Exit("aborted; nothing moved", code=1)
        result = dead_letters.redrive(sqs, queues, classes=classes,
                                      max_messages=int(max_messages) if max_messages is not None else None)
        print(result.summary())

    _run(env, endpoint_url, move)
