"""Observability layer: alarms (latency, errors, saturation, cost), dashboards, log metric filters and
saved queries, X-Ray group and sampling, AWS Config recorder and rules, the env's budget.

Reads api (REST API and stage names, access log group), compute (function, queue and log group names,
timeouts) and data (instance, replica and proxy identifiers); publishes the observability contract.
"""

import pulumi

from shared.components.observability import (
    READS,
    Observability,
    ObservabilityArgs,
    ObservabilitySettings,
    check_repo_account_singletons,
    resolve,
)
from shared.config import current_stack_context
from shared.providers import aws_provider, caller_account_id
from shared.stacks import Upstream, publish

ctx = current_stack_context("observability")
settings = ctx.layer_settings(ObservabilitySettings)
check_repo_account_singletons()  # one Config recorder and one billing alarm per account
provider = aws_provider(ctx)
upstream = {layer: Upstream(ctx, layer) for layer in READS}
watched = resolve(ctx.env, {key: upstream[layer].require(key) for layer, keys in READS.items() for key in keys})

observability = Observability(
    "observability",
    ObservabilityArgs(
        env=ctx.env,
        settings=settings,
        monthly_budget_usd=ctx.shared.monthly_budget_usd,
        account_id=caller_account_id(provider),
        watched=watched,
    ),
    opts=pulumi.ResourceOptions(providers=[provider]),
)

publish(ctx, observability.exports())
