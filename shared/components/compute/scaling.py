"""Provisioned concurrency on a function alias, owned by Application Auto Scaling.

Registering the alias as a scalable target with a minimum makes Application Auto Scaling set the
alias's provisioned concurrency; a target-tracking policy on LambdaProvisionedConcurrencyUtilization
moves it between min and max, and scheduled actions raise the floor for peak hours. There is no
``aws.lambda_.ProvisionedConcurrencyConfig`` beside it: two owners of one number would fight on
every ``pulumi up``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.compute import peak
from shared.components.compute.settings import ProvisionedConcurrency
from shared.config import Environment
from shared.naming import resource_name

DIMENSION = "lambda:function:ProvisionedConcurrency"


def floor_now(settings: ProvisionedConcurrency) -> int:
    """The minimum to register: the peak floor while the peak schedule holds it, else minCapacity."""
    if settings.peak is None:
        return settings.min_capacity
    return settings.peak.floor_at(peak.clock(), off_peak=settings.min_capacity)
METRIC = "LambdaProvisionedConcurrencyUtilization"


@dataclass
class ProvisionedScalingArgs:
    env: Environment
    """The environment; policy and action names derive from it."""
    function_name: pulumi.Input[str]
    """The function whose alias is scaled."""
    alias_name: pulumi.Input[str]
    """The alias carrying provisioned concurrency (live)."""
    settings: ProvisionedConcurrency
    """Floor, ceiling, target utilization and the optional peak schedule."""


class ProvisionedScaling(pulumi.ComponentResource):
    resource_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: ProvisionedScalingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("serverless-infra:compute:ProvisionedScaling", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = args.settings
        resource_id = pulumi.Output.concat("function:", args.function_name, ":", args.alias_name)
        target = aws.appautoscaling.Target(
            f"{name}-target",
            service_namespace="lambda",
            scalable_dimension=DIMENSION,
            resource_id=resource_id,
            # The floor the schedule holds right now: during peak the peak floor, so an `up` (or a refresh
            # then `up`) during peak does not register the off-peak floor again until the next action.
            # (ignore_changes would not do: an update of the target re-sends the minimum from state.)
            min_capacity=floor_now(s),
            max_capacity=s.max_capacity,
            opts=child,
        )
        aws.appautoscaling.Policy(
            f"{name}-target-tracking",
            name=resource_name(args.env, "api", "provisioned-utilization"),
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                target_value=s.target_utilization,
                predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type=METRIC
                ),
                scale_in_cooldown=s.scale_in_cooldown_seconds,
                scale_out_cooldown=s.scale_out_cooldown_seconds,
            ),
            opts=child,
        )
        if s.peak is not None:
            # Scheduled actions on one target run one at a time; chain them so updates do not collide.
            previous: list[pulumi.Resource] = [target]
            for phase, schedule, floor in (
                ("peak-start", s.peak.start, s.peak.min_capacity),
                ("peak-end", s.peak.end, s.min_capacity),
            ):
                action = aws.appautoscaling.ScheduledAction(
                    f"{name}-{phase}",
                    name=resource_name(args.env, "api", phase),
                    service_namespace=target.service_namespace,
                    scalable_dimension=target.scalable_dimension,
                    resource_id=target.resource_id,
                    schedule=schedule,
                    timezone=s.peak.timezone,
                    scalable_target_action=aws.appautoscaling.ScheduledActionScalableTargetActionArgs(
                        min_capacity=floor, max_capacity=s.max_capacity
                    ),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=previous),
                )
                previous = [action]
        self.resource_id = target.resource_id
        self.register_outputs({"resource_id": self.resource_id})
