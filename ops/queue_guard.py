"""Before compute is destroyed: how many messages its queues hold, and a refusal that names them.

The orders queue and its DLQ outlive a compute destroy (retain_on_delete, shared/components/compute/
queues.py), but while compute is down nothing consumes them: accepted orders wait and may age out
after their retention period, dead letters wait for `invoke dlq.redrive`. So destroying compute while
either holds messages is refused unless the operator says to proceed, with the counts in the message.
"""

from __future__ import annotations

from typing import Any

from ops.rollout import RolloutRefused
from shared.config import Environment
from shared.naming import order_queue_names

# GetQueueAttributes: visible, in flight (received, not deleted) and delayed messages, each approximate.
COUNT_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


def queue_names(env: Environment) -> dict[str, str]:
    return {
        "orders queue": order_queue_names(env).queue,
        "DLQ": order_queue_names(env).dlq,
    }


def queue_counts(env: Environment, sqs: Any) -> dict[str, dict[str, int]]:
    """{label: {attribute: count}} for each queue that exists (a missing queue holds nothing)."""
    counts = {}
    for label, name in queue_names(env).items():
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except sqs.exceptions.QueueDoesNotExist:
            continue
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(COUNT_ATTRIBUTES))["Attributes"]
        counts[f"{label} {name}"] = {a: int(attributes.get(a, 0)) for a in COUNT_ATTRIBUTES}
    return counts


def check_compute_destroy(env: Environment, sqs: Any, proceed: bool) -> str | None:
    """Raise `RolloutRefused` while a queue holds messages (unless ``proceed``); return a note or None."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        counts = queue_counts(env, sqs)
    except (BotoCoreError, ClientError) as error:
        if proceed:
            return f"the queues' message counts could not be read ({error}); proceeding as told"
        raise RolloutRefused(
            f"refusing to destroy compute in {env.value}: cannot read the orders queue and DLQ message counts "
            f"({error}). Fix the credentials, or pass --proceed-with-messages"
        ) from None
    held = {label: c for label, c in counts.items() if sum(c.values())}
    if not held:
        return None
    spelled = "; ".join(
        f"{label}: {c['ApproximateNumberOfMessages']} waiting, {c['ApproximateNumberOfMessagesNotVisible']} in "
        f"flight, {c['ApproximateNumberOfMessagesDelayed']} delayed"
        for label, c in held.items()
    )
    if not proceed:
        raise RolloutRefused(
            f"refusing to destroy compute in {env.value}: {spelled}. The queues are kept (retained), but nothing "
            "consumes them until compute is back, and messages expire after their retention period. Let the "
            "worker drain the queue and redrive or inspect the DLQ (invoke dlq.redrive), or pass "
            "--proceed-with-messages"
        )
    return f"proceeding with messages in the retained queues ({spelled}); redeploy compute before they expire"
