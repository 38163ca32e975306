"""The AlarmTopic component: the env's two KMS-encrypted SNS topics, their key, policies and subscribers.

* ``serverless-infra-{env}-alarms`` pages: every alarm that needs a person now, the availability composite,
  actual spend past the budget (``notifications.emails`` and ``notifications.httpsEndpoint``, the pager);
* ``serverless-infra-{env}-alarms-tickets`` files tickets: the four burn-rate windows the composite combines
  and the budget's forecast and early actual thresholds, each a signal worth looking at in working hours but
  not a page (``notifications.tickets``, default the paging emails without the pager). docs/observability.md,
  "What pages whom".

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
from shared.components.observability.settings import NotificationSettings, SubscriberSettings
from shared.config import Environment
from shared.env_policy import env_policy
from shared.naming import kms_alias_name, resource_name

CLOUDWATCH_SERVICE = "cloudwatch.amazonaws.com"
BUDGETS_SERVICE = "budgets.amazonaws.com"
PUBLISHERS = (CLOUDWATCH_SERVICE, BUDGETS_SERVICE)
TOPIC_OWNER_ACTIONS = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission",
                       "sns:RemovePermission", "sns:DeleteTopic", "sns:Subscribe", "sns:ListSubscriptionsByTopic",
                       "sns:Publish"]


def key_policy(account_id: str) -> dict[str, Any]:
    """Admin through IAM (the Config delivery role's grant works through it), and use by the services that
    publish to the two topics (alarms, budgets).

    One key encrypts both topics, so what lets Budgets reach the paging topic lets it reach the ticket
    topic: kms:GenerateDataKey* and kms:Decrypt for the publishing service
    (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
    """
    publishers = {
        "Sid": "AlarmAndBudgetPublishersUseKey", "Effect": "Allow", "Principal": {"Service": list(PUBLISHERS)},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
    }
    return iam.document([iam.key_admin_statement(account_id), publishers])


def topic_policy(topic_arn: str, account_id: str) -> dict[str, Any]:
    """The same for both topics: the account owns it; this account's alarms and budgets publish to it."""
    owner = {"Sid": "AccountOwnsTopic", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
             "Action": TOPIC_OWNER_ACTIONS, "Resource": topic_arn}
    # Only this account's alarms may publish (confused-deputy guard).
    alarms = {"Sid": "AlarmsPublish", "Effect": "Allow", "Principal": {"Service": CLOUDWATCH_SERVICE},
              "Action": "sns:Publish", "Resource": topic_arn,
              "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}}
    # Only this account's budgets, the statement AWS gives for a budget's topic (SourceAccount and a
    # SourceArn of the account's budgets; the topic must be in the budget's account):
    # https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html
    budgets = {"Sid": "BudgetsPublish", "Effect": "Allow", "Principal": {"Service": BUDGETS_SERVICE},
               "Action": "sns:Publish", "Resource": topic_arn,
               "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                             "ArnLike": {"aws:SourceArn": f"arn:aws:budgets::{account_id}:*"}}}
    return iam.document([owner, alarms, budgets, iam.deny_insecure_transport("sns:Publish", [topic_arn])])


@dataclass
class AlarmTopicArgs:
    env: Environment
    """The environment."""
    account_id: pulumi.Input[str]
    """The AWS account id (key and topic policies)."""
    notifications: NotificationSettings
    """Who is paged (emails and an optional HTTPS endpoint) and who gets tickets."""


def _subscribe(name: str, topic: aws.sns.Topic, who: SubscriberSettings, https_key: str,
               opts: pulumi.ResourceOptions) -> None:
    for i, email in enumerate(who.emails):
        aws.sns.TopicSubscription(f"{name}-email-{i}", topic=topic.arn, protocol="email", endpoint=email, opts=opts)
    if who.https_endpoint:
        aws.sns.TopicSubscription(f"{name}-{https_key}", topic=topic.arn, protocol="https", endpoint=who.https_endpoint,
                                  endpoint_auto_confirms=True, opts=opts)


class AlarmTopic(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    """The paging topic."""
    ticket_topic_arn: pulumi.Output[str]
    """The ticket topic (the availability burn-rate windows)."""
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:observability:AlarmTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env = args.env
        key = aws.kms.Key(
            f"{name}-key",
            description=f"serverless-infra {env.value}: alarm topics and AWS Config deliveries",
            enable_key_rotation=True,
            deletion_window_in_days=env_policy(env).kms_deletion_window_days,
            policy=pulumi.Output.from_input(args.account_id).apply(lambda acct: json.dumps(key_policy(acct))),
            opts=child,
        )
        aws.kms.Alias(f"{name}-key-alias", name=kms_alias_name(env, "observability"), target_key_id=key.key_id,
                      opts=child)
        topics = {}
        for prefix, qualifier, display, who, https_key in (
                (name, None, "alarms", args.notifications, "pager"),
                (f"{name}-tickets", "tickets", "alarm tickets", args.notifications.ticket_subscribers, "https")):
            topic = aws.sns.Topic(f"{prefix}-topic", name=resource_name(env, "alarms", qualifier, service="sns"),
                                  display_name=f"serverless-infra {env.value} {display}", kms_master_key_id=key.arn,
                                  opts=child)
            aws.sns.TopicPolicy(
                f"{prefix}-topic-policy", arn=topic.arn,
                policy=pulumi.Output.all(topic.arn, args.account_id).apply(
                    lambda a: json.dumps(topic_policy(a[0], a[1]))),
                opts=child,
            )
            _subscribe(prefix, topic, who, https_key, child)
            topics[display] = topic.arn
        self.topic_arn = topics["alarms"]
        self.ticket_topic_arn = topics["alarm tickets"]
        self.key_arn = key.arn
        self.register_outputs({"topic_arn": self.topic_arn, "ticket_topic_arn": self.ticket_topic_arn})
