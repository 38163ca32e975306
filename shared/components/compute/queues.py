"""The orders queue and its dead-letter queue, KMS-encrypted, TLS-only, redrive both ways.

Names are fixed (``serverless-infra-{env}-orders`` and ``-orders-dlq``): the app, the DLQ redrive
task and the observability alarms find them by name.

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
from shared.components.compute.settings import QueueSettings
from shared.config import Environment
from shared.naming import resource_name


@dataclass
class OrderQueuesArgs:
    env: Environment
    """The environment; queue names derive from it."""
    settings: QueueSettings
    """Validated queue settings (receive count, retention, data key reuse)."""
    visibility_timeout_seconds: int
    """At least six times the worker's timeout, so a message is not redelivered while in flight."""
    dlq_visibility_timeout_seconds: int
    """How long a dead letter the analyzer reported back stays hidden before it is analyzed again."""
    kms_key_arn: pulumi.Input[str]
    """The security layer's ``queues`` key."""


class OrderQueues(pulumi.ComponentResource):
    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    dlq_url: pulumi.Output[str]
    dlq_arn: pulumi.Output[str]

    def __init__(self, name: str, args: OrderQueuesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:compute:OrderQueues", name, None, opts)
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        s = args.settings
        dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=resource_name(args.env, "orders", "dlq", service="sqs"),
            message_retention_seconds=s.dlq_retention_seconds,
            visibility_timeout_seconds=args.dlq_visibility_timeout_seconds,
            kms_master_key_id=args.kms_key_arn,
            kms_data_key_reuse_period_seconds=s.kms_data_key_reuse_seconds,
            opts=keep,
        )
        queue = aws.sqs.Queue(
            f"{name}-queue",
            name=resource_name(args.env, "orders", service="sqs"),
            message_retention_seconds=s.message_retention_seconds,
            visibility_timeout_seconds=args.visibility_timeout_seconds,
            receive_wait_time_seconds=20,  # long polling for readers other than the mapping
            kms_master_key_id=args.kms_key_arn,
            kms_data_key_reuse_period_seconds=s.kms_data_key_reuse_seconds,
            redrive_policy=dlq.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": s.max_receive_count})
            ),
            opts=keep,
        )
        # Only the orders queue may use the DLQ as its dead-letter target (a separate resource:
        # inline it would make the two queues depend on each other).
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-redrive-allow",
            queue_url=dlq.id,
            redrive_allow_policy=queue.arn.apply(
                lambda arn: json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn]})
            ),
            opts=keep,  # queue attributes, kept with the queue: a retained DLQ stays byQueue and TLS-only
        )
        for logical, target in (("queue", queue), ("dlq", dlq)):
            aws.sqs.QueuePolicy(
                f"{name}-{logical}-tls-only",
                queue_url=target.id,
                policy=target.arn.apply(
                    lambda arn: json.dumps(iam.document([iam.deny_insecure_transport("sqs:*", [arn])]))
                ),
                opts=keep,
            )

        self.queue_url, self.queue_arn = queue.url, queue.arn
        self.dlq_url, self.dlq_arn = dlq.url, dlq.arn
        self.queue_name, self.dlq_name = queue.name, dlq.name
        self.register_outputs({"queue_arn": self.queue_arn, "dlq_arn": self.dlq_arn})
