"""Dead-letter queue tasks."""

from __future__ import annotations

from invoke.exceptions import Exit
from invoke.tasks import task

from shared.naming import orders_queue_name

ENVS = ("dev", "staging", "prod")


def queue_names(env: str) -> tuple[str, str]:
    """(dlq, main queue) names the compute layer creates for ``env``."""
    return orders_queue_name(env, dead_letter=True), orders_queue_name(env)


@task(
    help={
        "env": "required: dev, staging or prod; the queues serverless-infra-{env}-orders[-dlq]",
        "endpoint_url": "SQS endpoint (e.g. the local emulator of `invoke serve`); default: real AWS",
        "region": "AWS region (default us-east-1, the only region of the stack)",
        "max_messages": "move at most this many messages (forces the receive/send/delete loop)",
        "yes": "do not ask for confirmation",
    }
)
def redrive(c, env=None, endpoint_url=None, region="us-east-1", max_messages=None, yes=False):
    """Move the messages of the orders DLQ back to the orders queue.

    Uses SQS StartMessageMoveTask where available, else a receive -> send -> delete loop that deletes a
    message from the DLQ only after the queue accepted it (an interruption may duplicate, never lose;
    duplicates are absorbed by the idempotency keys). Fix the cause first: redriving validation
    failures only sends them back to the DLQ.
    """
    if env is None:
        raise Exit("--env is required (dev, staging or prod)", code=2)
    if env not in ENVS:
        raise Exit(f"--env must be one of {', '.join(ENVS)}, not {env!r}", code=2)
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
    except ImportError:
        raise Exit("boto3 is not installed; pip install -e '.[dev]'", code=1) from None
    from app.dlq import redrive as do_redrive

    dlq_name, queue_name = queue_names(env)
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)
    try:
        dlq_url = sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
        queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        depth = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
        count = int(depth["Attributes"].get("ApproximateNumberOfMessages", 0))
    except NoCredentialsError:
        raise Exit(
            "no AWS credentials: configure a profile or pass --endpoint-url for the emulator", code=1
        ) from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if "NonExistentQueue" in code or code == "QueueDoesNotExist":
            raise Exit(
                f"queue not found: {dlq_name} / {queue_name} (is compute deployed for {env}?)", code=1
            ) from None
        raise Exit(
            f"SQS refused: {code}: {exc.response.get('Error', {}).get('Message', '')}", code=1
        ) from None
    except BotoCoreError as exc:
        raise Exit(f"cannot reach SQS: {exc}", code=1) from None
    if count == 0:
        print(f"{dlq_name} is empty; nothing to redrive")
        return
    if not yes:
        answer = input(f"Move ~{count} messages from {dlq_name} to {queue_name}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise Exit("aborted", code=1)
    try:
        result = do_redrive(
            dlq_url, queue_url, sqs=sqs, max_messages=int(max_messages) if max_messages is not None else None
        )
    except (ClientError, BotoCoreError) as exc:
        raise Exit(
            f"redrive failed (nothing was deleted that the queue had not accepted): {exc}", code=1
        ) from None
    if result["mode"] == "move_task":
        print(f"started SQS message move task {result['task_handle']} ({dlq_name} -> {queue_name})")
    else:
        print(
            f"moved {result['moved']} messages {dlq_name} -> {queue_name}; {result['failed']} left in the DLQ"
        )
