"""The Alarms component: one CloudWatch alarm per `AlarmSpec`, and the availability composite alarm.

Which alarms exist is decided from the settings alone (specs of `Watched.placeholder`); what each
watches comes from the upstream names, resolved at deploy time. Every alarm sends both its ALARM and
its OK transition: to the paging topic, except the four burn-rate windows of the availability composite
(the composite pages for them, once; alarm_specs.availability_alarms says why) and the replica's two alarms
(the app reads from the primary meanwhile; alarm_specs.replica_alarms), which go to the ticket topic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared.components.observability.alarm_specs import PAGE, TICKET, AlarmSpec, alarm_specs, composite_rule
from shared.components.observability.settings import ObservabilitySettings
from shared.components.observability.upstream import Watched
from shared.config import Environment
from shared.naming import resource_name


class AlarmSetError(ValueError):
    """The upstream layers and the alarm settings disagree (e.g. replicas without a lag alarm)."""


@dataclass
class AlarmsArgs:
    env: Environment
    """The environment."""
    settings: ObservabilitySettings
    """Validated ``serverless-infra-observability:*`` settings."""
    watched: pulumi.Output[Watched]
    """The upstream names, resolved."""
    topic_arn: pulumi.Input[str]
    """Where ALARM and OK of a paging alarm go (and the composite's)."""
    ticket_topic_arn: pulumi.Input[str]
    """Where ALARM and OK of a ticket-level alarm go (the burn-rate windows, the replica's alarms)."""


def check_consistency(w: Watched, s: ObservabilitySettings) -> Watched:
    """Refuse replica alarm settings that do not match the data layer (either way): every problem at once."""
    a = s.alarms
    no_replica = "the data layer publishes no read replica (db_replica_identifiers is empty)"
    has_replicas = f"the data layer has read replicas {w.db_replicas}"
    problems = [
        *_matches("rdsReplicaLag", a.rds_replica_lag is not None, bool(w.db_replicas), no_replica, has_replicas,
                  "a replica nobody watches serves stale reads unnoticed"),
        *_matches("rdsReplicaConnections", a.rds_replica_connections is not None, bool(w.db_replicas), no_replica,
                  has_replicas, "a replica out of connections sends every read to the primary unnoticed"),
        *_matches("replicaFullFallbacks", a.replica_full_fallbacks is not None, w.reader_routing == "replica",
                  f"the data layer routes reads to '{w.reader_routing}', not to a replica",
                  "the data layer routes reads to the replica (readerRouting 'replica')",
                  "reads the primary takes over from a full replica go unnoticed"),
    ]
    threshold = a.rds_replica_connections.threshold if a.rds_replica_connections else None
    if threshold is not None and w.replica_max_connections:
        if threshold <= w.replica_reader_cap:
            problems.append(f"alarms.rdsReplicaConnections threshold {threshold:g} is not above the reader role's "
                            f"cap of {w.replica_reader_cap} (data readerConnectionLimit): it would fire whenever the app "
                            "fills its cap, which is the cap working (alarms.replicaFullFallbacks tickets that)")
        if threshold >= w.replica_max_connections:
            problems.append(f"alarms.rdsReplicaConnections threshold {threshold:g} is not below the replica's "
                            f"max_connections ({w.replica_max_connections}): it could never fire")
    if problems:
        raise AlarmSetError("; ".join(problems))
    return w


def _matches(key: str, configured: bool, present: bool, absent: str, there: str, unwatched: str) -> list[str]:
    """An alarm setting that must be set exactly where its subject exists."""
    if configured and not present:
        return [f"alarms.{key} is set, but {absent}: set it to null in this env's stack file"]
    if present and not configured:
        return [f"{there} but alarms.{key} is null: {unwatched}; configure the alarm"]
    return []


def _query_args(spec: AlarmSpec) -> list[aws.cloudwatch.MetricAlarmMetricQueryArgs]:
    out = []
    for q in spec.queries:
        metric = None
        if q.metric is not None:
            metric = aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=q.metric.namespace, metric_name=q.metric.name, dimensions=dict(q.metric.dimensions),
                stat=q.metric.stat, period=spec.period)
        out.append(aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=q.id, metric=metric, expression=q.expression, label=q.label, return_data=q.return_data))
    return out


def _metric_inputs(spec: AlarmSpec, field: Callable[[Callable[[AlarmSpec], Any]], pulumi.Output[Any]]) -> dict[str, Any]:
    """A single metric (namespace, name, dimensions, period, statistic or percentile), or metric math."""
    if spec.metric is None:
        return {"metric_queries": field(_query_args)}
    metric = spec.metric
    return {
        "namespace": metric.namespace,
        "metric_name": metric.name,
        "dimensions": field(lambda sp: dict(sp.metric.dimensions) if sp.metric else {}),
        "period": spec.period,
        ("extended_statistic" if metric.is_percentile else "statistic"): metric.stat,
    }


class Alarms(pulumi.ComponentResource):
    names: dict[str, str]
    availability_alarm_name: str

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:observability:Alarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = args.settings
        checked = args.watched.apply(lambda w: check_consistency(w, s))
        env = args.env
        static = alarm_specs(Watched.placeholder(env), s)
        actions = {PAGE: [args.topic_arn], TICKET: [args.ticket_topic_arn]}
        self.names = {}
        created: list[pulumi.Resource] = []
        for spec in static:

            def field(get: Callable[[AlarmSpec], Any], key: str = spec.key) -> pulumi.Output[Any]:
                """One input of this alarm, from the specs of the real upstream names."""
                return checked.apply(lambda w: get(_by_key(alarm_specs(w, s), key)))

            created.append(aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.key}",
                name=spec.name,
                alarm_description=field(lambda sp: f"{sp.description} (docs/observability.md#{sp.key})"),
                comparison_operator=spec.comparison,
                threshold=field(lambda sp: sp.threshold),
                evaluation_periods=spec.settings.evaluation_periods,
                datapoints_to_alarm=spec.settings.datapoints_to_alarm,
                treat_missing_data=spec.settings.treat_missing_data,
                alarm_actions=actions[spec.urgency],
                ok_actions=actions[spec.urgency],
                opts=child,
                **_metric_inputs(spec, field),
            ))
            self.names[spec.key] = spec.name

        self.availability_alarm_name = resource_name(env, "alarm", "availability-slo", service="alarm")
        aws.cloudwatch.CompositeAlarm(
            f"{name}-availability-slo",
            alarm_name=self.availability_alarm_name,
            alarm_description=f"{s.availability.slo_percent}% availability SLO: the 5XX error budget burns too fast "
                              "(docs/observability.md#availability-slo)",
            alarm_rule=composite_rule(static),
            alarm_actions=actions[PAGE],
            ok_actions=actions[PAGE],
            opts=pulumi.ResourceOptions(parent=self, depends_on=created),  # its rule names them
        )
        self.names["availability-slo"] = self.availability_alarm_name
        self.register_outputs({"names": self.names})


def _by_key(specs: list[AlarmSpec], key: str) -> AlarmSpec:
    for spec in specs:
        if spec.key == key:
            return spec
    raise AlarmSetError(f"alarm {key!r} exists for the settings but not for the upstream names")
