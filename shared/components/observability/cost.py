"""The CostWatch component: the env's AWS Budget and the account's EstimatedCharges alarm.

* Budget: actual and forecast notifications at the env's ``monthlyBudgetUsd`` (config/<env>.yaml),
  counting only costs tagged ``Environment=<env>`` so envs sharing an account each have their own (the
  tag must be activated as a cost allocation tag in the Billing console:
  https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html). Each notification
  goes to one topic (:func:`budget_route`): actual spend at or past ``budget.pageAtActualPercent`` pages,
  a forecast or an earlier actual threshold files a ticket (docs/decisions.md, "Budget notifications").
* Billing alarm: EstimatedCharges exists per account, in us-east-1 only, once "Receive Billing Alerts"
  is on (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/monitor_estimated_charges_with_cloudwatch.html);
  exactly one env of an account owns it (``billingAlarm.enabled``), checked across envs before deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from shared.components.observability.metrics import aws_metric
from shared.components.observability.settings import BillingAlarmSettings, BudgetSettings
from shared.config import Environment
from shared.naming import resource_name


@dataclass
class CostWatchArgs:
    env: Environment
    """The environment."""
    monthly_budget_usd: float
    """config/<env>.yaml monthlyBudgetUsd."""
    budget: BudgetSettings
    """Notification thresholds, tag filter."""
    billing_alarm: BillingAlarmSettings
    """Whether this env owns the account's billing alarm."""
    topic_arn: pulumi.Input[str]
    """The paging topic: actual spend past the budget, and the billing alarm."""
    ticket_topic_arn: pulumi.Input[str]
    """The ticket topic: forecasts and the actual thresholds below ``pageAtActualPercent``."""


Route = Literal["page", "ticket"]
NotificationType = Literal["ACTUAL", "FORECASTED"]


def budget_route(kind: NotificationType, percent: float, s: BudgetSettings) -> Route:
    """Who hears of one budget notification.

    A forecast is AWS's projection of the month's spend, not money spent; it fires while most of the month
    is left to act: a ticket. Actual spend below ``pageAtActualPercent`` is a warning
    with budget left: a ticket. Actual spend at or past it is money being spent beyond what was agreed,
    which only a person stops: a page.
    """
    return "page" if kind == "ACTUAL" and percent >= s.page_at_actual_percent else "ticket"


def budget_notifications(s: BudgetSettings, topic_arn: pulumi.Input[str],
                         ticket_topic_arn: pulumi.Input[str]) -> list[aws.budgets.BudgetNotificationArgs]:
    """One notification per threshold, each with one SNS subscriber (a notification takes at most one:
    https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_NotificationWithSubscribers.html).

    The topic's policy must let ``budgets.amazonaws.com`` publish, and its KMS key let the service use it
    (alerting.py; https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html).
    """
    kinds: list[tuple[NotificationType, float]] = [("ACTUAL", p) for p in s.actual_percents]
    kinds.append(("FORECASTED", s.forecast_percent))
    topics = {"page": topic_arn, "ticket": ticket_topic_arn}
    return [aws.budgets.BudgetNotificationArgs(comparison_operator="GREATER_THAN", notification_type=kind,
                                               threshold=percent, threshold_type="PERCENTAGE",
                                               subscriber_sns_topic_arns=[topics[budget_route(kind, percent, s)]])
            for kind, percent in kinds]


class CostWatch(pulumi.ComponentResource):
    budget_name: str
    billing_alarm_name: str

    def __init__(self, name: str, args: CostWatchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:observability:CostWatch", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env = args.env
        self.budget_name = resource_name(env, "budget", service="budget")
        filters = None
        if args.budget.filter_by_environment_tag:
            filters = [aws.budgets.BudgetCostFilterArgs(name="TagKeyValue", values=[f"user:Environment${env.value}"])]
        aws.budgets.Budget(
            f"{name}-budget", name=self.budget_name, budget_type="COST", time_unit="MONTHLY", limit_unit="USD",
            limit_amount=f"{args.monthly_budget_usd:.2f}", cost_filters=filters,
            notifications=budget_notifications(args.budget, args.topic_arn, args.ticket_topic_arn), opts=child)

        self.billing_alarm_name = ""
        billing = args.billing_alarm
        if billing.enabled:
            self.billing_alarm_name = resource_name(env, "alarm", "account-estimated-charges", service="alarm")
            threshold = billing.threshold_usd or args.monthly_budget_usd
            charges = aws_metric("AWS/Billing", "EstimatedCharges", {"Currency": "USD"}, "Maximum")
            aws.cloudwatch.MetricAlarm(
                f"{name}-estimated-charges",
                name=self.billing_alarm_name,
                alarm_description=f"the whole account's charges this month passed ${threshold:,.2f} "
                                  "(docs/observability.md#cost)",
                namespace=charges.namespace, metric_name=charges.name, dimensions=dict(charges.dimensions),
                statistic=charges.stat, period=billing.period_seconds, evaluation_periods=1,
                comparison_operator="GreaterThanThreshold", threshold=threshold, treat_missing_data="notBreaching",
                alarm_actions=[args.topic_arn], ok_actions=[args.topic_arn], opts=child)
        self.register_outputs({"budget_name": self.budget_name})
