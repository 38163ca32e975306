"""The Observability component: alarm topic, alarms, dashboards, log filters and queries, tracing,
AWS Config compliance and cost watch, over the names the upstream layers publish."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.observability.alarms import Alarms, AlarmsArgs
from shared.components.observability.alerting import AlarmTopic, AlarmTopicArgs
from shared.components.observability.compliance import Compliance, ComplianceArgs
from shared.components.observability.cost import CostWatch, CostWatchArgs
from shared.components.observability.dashboard_specs import DASHBOARDS, dashboard_specs
from shared.components.observability.logs import LogInsights
from shared.components.observability.settings import ObservabilitySettings
from shared.components.observability.tracing import Tracing
from shared.components.observability.upstream import Watched
from shared.config import REGION, Environment
from shared.naming import resource_name


@dataclass
class ObservabilityArgs:
    env: Environment
    """The environment."""
    settings: ObservabilitySettings
    """Validated ``serverless-infra-observability:*`` settings."""
    monthly_budget_usd: float
    """config/<env>.yaml monthlyBudgetUsd."""
    account_id: pulumi.Input[str]
    """The AWS account id."""
    watched: pulumi.Output[Watched]
    """Upstream names (api, compute, data), resolved."""


def dashboard_url(name: str) -> str:
    return f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#dashboards/dashboard/{name}"


class Observability(pulumi.ComponentResource):
    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:observability:Observability", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env, s = args.env, args.settings

        self.topic = AlarmTopic(f"{name}-alerting", AlarmTopicArgs(env, args.account_id, s.notifications), opts=child)
        # Filters first: two alarms and several widgets read the metrics they publish.
        self.logs = LogInsights(f"{name}-logs", env, args.watched, opts=child)
        self.alarms = Alarms(f"{name}-alarms", AlarmsArgs(env, s, args.watched, self.topic.topic_arn,
                                                          self.topic.ticket_topic_arn),
                             opts=pulumi.ResourceOptions(parent=self, depends_on=[self.logs]))
        self.cost = CostWatch(f"{name}-cost", CostWatchArgs(env, args.monthly_budget_usd, s.budget, s.billing_alarm,
                                                            self.topic.topic_arn, self.topic.ticket_topic_arn),
                             opts=child)
        self.tracing = Tracing(f"{name}-tracing", env, s.xray, args.watched, opts=child)
        self.compliance = Compliance(f"{name}-compliance",
                                     ComplianceArgs(env, s.aws_config, args.account_id, self.topic.key_arn),
                                     opts=child)

        alarm_names = sorted(self.alarms.names.values())
        arns = pulumi.Output.from_input(args.account_id).apply(
            lambda acct: [f"arn:aws:cloudwatch:{REGION}:{acct}:alarm:{n}" for n in alarm_names])
        bodies = pulumi.Output.all(args.watched, arns).apply(
            lambda a: {key: json.dumps(spec.body(), sort_keys=True) for key, spec in dashboard_specs(
                a[0], s, a[1], args.monthly_budget_usd, self.cost.budget_name).items()})
        self.dashboard_names = {}
        for key in DASHBOARDS:
            dashboard_name = resource_name(env, "dashboard", key, service="dashboard")
            aws.cloudwatch.Dashboard(f"{name}-dashboard-{key}", dashboard_name=dashboard_name,
                                     dashboard_body=bodies.apply(lambda b, k=key: b[k]),
                                     opts=pulumi.ResourceOptions(parent=self, depends_on=[self.logs, self.alarms]))
            self.dashboard_names[key] = dashboard_name
        self.register_outputs({"dashboard_names": self.dashboard_names})

    def exports(self) -> dict[str, object]:
        """The observability contract (shared/contracts.py)."""
        return {
            "alarm_topic_arn": self.topic.topic_arn,
            "ticket_topic_arn": self.topic.ticket_topic_arn,
            "alarm_names": self.alarms.names,
            "availability_alarm_name": self.alarms.availability_alarm_name,
            "dashboard_names": self.dashboard_names,
            "dashboard_urls": {k: dashboard_url(n) for k, n in self.dashboard_names.items()},
            "log_metric_filter_names": self.logs.filter_names,
            "query_definition_names": self.logs.query_names,
            "xray_group_name": self.tracing.group_name,
            "xray_sampling_rule_name": self.tracing.rule_name,
            "config_recorder_name": self.compliance.recorder_name,
            "config_rule_names": self.compliance.rule_names,
            "config_bucket_name": self.compliance.bucket_name,
            "budget_name": self.cost.budget_name,
            "billing_alarm_name": self.cost.billing_alarm_name,
        }
