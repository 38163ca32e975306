"""The orders queue, its dead-letter queue and the dead-letter archive: KMS-encrypted, TLS-only.

Names are fixed (``serverless-infra-{env}-orders``, ``-orders-dlq`` and ``-orders-dlq-archive``): the
app, the `invoke dlq` tasks and the observability alarms find them by name.

The archive has no consumer: the DLQ analyzer files each dead letter there once (body, attributes, its
class) and then lets the DLQ mapping delete it, so a dead letter is never left in flight on the DLQ
(where `invoke dlq.redrive` could not see it); `invoke dlq.list/inspect/redrive` read the archive.
It is not a DLQ of any queue: StartMessageMoveTask refuses it as a source (SQS API reference,
StartMessageMoveTask: "limited to supporting message redrive from queues that are configured as
dead-letter queues"), so the redrive task moves its messages with receive -> send -> delete.

Both queues hold state (accepted orders in flight, dead letters kept for redrive), so they outlive the
compute stack: ``retain_on_delete`` makes `pulumi destroy` forget them without deleting them, and the
next deploy takes them over, since CreateQueue with the name and the exact attributes of an existing
queue returns that queue's URL (SQS API reference, CreateQueue). The event source mappings are not
retained: while compute is down nothing consumes, and messages wait out their retention period
(4 days, DLQ 14). `invoke destroy --layer compute` refuses while either queue holds messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.config import Environment
from shared.naming import order_queue_names

# Only the `invoke dlq` tasks receive from the archive, and they set their own visibility timeout on
# each receive; this default only bounds a reader that forgets to.
ARCHIVE_VISIBILITY_TIMEOUT_SECONDS = 60


@dataclass
class OrderQueuesArgs:
    env: Environment
    """The environment; queue names derive from it."""
    max_receive_count: int
    """Receives of an orders message before SQS moves it to the DLQ."""
    message_retention_seconds: int
    """Seconds the orders queue keeps an unprocessed message."""
    dlq_retention_seconds: int
    """Seconds the DLQ keeps a dead letter, and the archive a filed one."""
    kms_data_key_reuse_seconds: int
    """Seconds SQS reuses a KMS data key before calling KMS again."""
    visibility_timeout_seconds: int
    """At least six times the worker's timeout, so a message is not redelivered while in flight."""
    dlq_visibility_timeout_seconds: int
    """How long a dead letter the analyzer could not file stays hidden before it is analyzed again."""
    kms_key_arn: pulumi.Input[str]
    """The security layer's ``queues`` key."""


def redrive_policy(dlq_arn: str, max_receive_count: int) -> str:
    """The orders queue's RedrivePolicy: after ``max_receive_count`` receives a message moves to the DLQ."""
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})


def redrive_allow_policy(source_queue_arn: str) -> str:
    """The DLQ's RedriveAllowPolicy: only this source queue may use it as its dead-letter target."""
    return json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [source_queue_arn]})


def tls_only_policy(queue_arn: str) -> str:
    """A queue policy that refuses every request not made over TLS."""
    return json.dumps(iam.document([iam.deny_insecure_transport("sqs:*", [queue_arn])]))


class OrderQueues(pulumi.ComponentResource):
    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    queue_name: pulumi.Output[str]
    dlq_url: pulumi.Output[str]
    dlq_arn: pulumi.Output[str]
    dlq_name: pulumi.Output[str]
    archive_url: pulumi.Output[str]
    archive_arn: pulumi.Output[str]
    archive_name: pulumi.Output[str]

    def __init__(self, name: str, args: OrderQueuesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:compute:OrderQueues", name, None, opts)
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        names = order_queue_names(args.env)

        dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=names.dlq,
            message_retention_seconds=args.dlq_retention_seconds,
            visibility_timeout_seconds=args.dlq_visibility_timeout_seconds,
            kms_master_key_id=args.kms_key_arn,
            kms_data_key_reuse_period_seconds=args.kms_data_key_reuse_seconds,
            opts=keep,
        )
        orders = aws.sqs.Queue(
            f"{name}-queue",
            name=names.queue,
            message_retention_seconds=args.message_retention_seconds,
            visibility_timeout_seconds=args.visibility_timeout_seconds,
            receive_wait_time_seconds=20,  # long polling for readers other than the mapping
            kms_master_key_id=args.kms_key_arn,
            kms_data_key_reuse_period_seconds=args.kms_data_key_reuse_seconds,
            redrive_policy=dlq.arn.apply(lambda arn: redrive_policy(arn, args.max_receive_count)),
            opts=keep,
        )
        # Only the orders queue may use the DLQ as its dead-letter target (a separate resource:
        # inline it would make the two queues depend on each other).
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-redrive-allow",
            queue_url=dlq.id,
            redrive_allow_policy=orders.arn.apply(redrive_allow_policy),
            opts=keep,  # queue attributes, kept with the queue: a retained DLQ stays byQueue and TLS-only
        )
        archive = aws.sqs.Queue(
            f"{name}-dlq-archive",
            name=names.archive,
            message_retention_seconds=args.dlq_retention_seconds,  # a new 14-day clock from filing
            visibility_timeout_seconds=ARCHIVE_VISIBILITY_TIMEOUT_SECONDS,
            kms_master_key_id=args.kms_key_arn,
            kms_data_key_reuse_period_seconds=args.kms_data_key_reuse_seconds,
            opts=keep,
        )
        for logical, target in (("queue", orders), ("dlq", dlq), ("dlq-archive", archive)):
            aws.sqs.QueuePolicy(
                f"{name}-{logical}-tls-only", queue_url=target.id, policy=target.arn.apply(tls_only_policy), opts=keep
            )

        self.queue_url, self.queue_arn, self.queue_name = orders.url, orders.arn, orders.name
        self.dlq_url, self.dlq_arn, self.dlq_name = dlq.url, dlq.arn, dlq.name
        self.archive_url, self.archive_arn, self.archive_name = archive.url, archive.arn, archive.name
        self.register_outputs({
            "queue_url": self.queue_url, "queue_arn": self.queue_arn, "queue_name": self.queue_name,
            "dlq_url": self.dlq_url, "dlq_arn": self.dlq_arn, "dlq_name": self.dlq_name,
            "archive_url": self.archive_url, "archive_arn": self.archive_arn, "archive_name": self.archive_name,
        })
