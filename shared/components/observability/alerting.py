"""The AlarmTopic component: a KMS-encrypted SNS topic per env, its key, its policy and its subscribers.

CloudWatch alarms and AWS Budgets publish to an encrypted topic only if the key policy lets their
service principals use the key (kms:Decrypt, kms:GenerateDataKey*), and the topic policy lets them
publish: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
and https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html.
The key is this layer's own (not one of the security layer's), so its policy names only these services.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.observability.settings import NotificationSettings
from shared.config import Environment
from shared.env_policy import env_policy
from shared.naming import kms_alias_name, resource_name

PUBLISHERS = ("cloudwatch.amazonaws.com", "budgets.amazonaws.com")
TOPIC_OWNER_ACTIONS = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission",
                       "sns:RemovePermission", "sns:DeleteTopic", "sns:Subscribe", "sns:ListSubscriptionsByTopic",
                       "sns:Publish"]


def key_policy(account_id: str) -> dict[str, Any]:
    """Admin through IAM, and use by the services that publish alarms, budgets and Config deliveries."""
    publishers = {
        "Sid": "AlarmAndBudgetPublishersUseKey", "Effect": "Allow", "Principal": {"Service": list(PUBLISHERS)},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
    }
    return iam.document([iam.key_admin_statement(account_id), publishers])


def topic_policy(topic_arn: str, account_id: str) -> dict[str, Any]:
    owner = {"Sid": "AccountOwnsTopic", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
             "Action": TOPIC_OWNER_ACTIONS, "Resource": topic_arn}
    # Only this account's alarms and budgets may publish (confused-deputy guard).
    services = {"Sid": "AlarmsAndBudgetsPublish", "Effect": "Allow", "Principal": {"Service": list(PUBLISHERS)},
                "Action": "sns:Publish", "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}}
    return iam.document([owner, services, iam.deny_insecure_transport("sns:Publish", [topic_arn])])


@dataclass
class AlarmTopicArgs:
    env: Environment
    """The environment."""
    account_id: pulumi.Input[str]
    """The AWS account id (key and topic policies)."""
    notifications: NotificationSettings
    """Who is paged: emails and an optional HTTPS endpoint."""


class AlarmTopic(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:observability:AlarmTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env = args.env
        key = aws.kms.Key(
            f"{name}-key",
            description=f"serverless-infra {env.value}: alarm topic and AWS Config deliveries",
            enable_key_rotation=True,
            deletion_window_in_days=env_policy(env).kms_deletion_window_days,
            policy=pulumi.Output.from_input(args.account_id).apply(lambda acct: json.dumps(key_policy(acct))),
            opts=child,
        )
        aws.kms.Alias(f"{name}-key-alias", name=kms_alias_name(env, "observability"), target_key_id=key.key_id,
                      opts=child)
        topic = aws.sns.Topic(f"{name}-topic", name=resource_name(env, "alarms", service="sns"),
                              display_name=f"serverless-infra {env.value} alarms", kms_master_key_id=key.arn,
                              opts=child)
        aws.sns.TopicPolicy(
            f"{name}-topic-policy", arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, args.account_id).apply(
                lambda a: json.dumps(topic_policy(a[0], a[1]))),
            opts=child,
        )
        for i, email in enumerate(args.notifications.emails):
            aws.sns.TopicSubscription(f"{name}-email-{i}", topic=topic.arn, protocol="email", endpoint=email,
                                      opts=child)
        if args.notifications.https_endpoint:
            aws.sns.TopicSubscription(f"{name}-pager", topic=topic.arn, protocol="https",
                                      endpoint=args.notifications.https_endpoint, endpoint_auto_confirms=True,
                                      opts=child)
        self.topic_arn = topic.arn
        self.key_arn = key.arn
        self.register_outputs({"topic_arn": topic.arn})
