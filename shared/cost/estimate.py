"""Price a whole env: every AWS resource of its graphs, the budget check, the envelope that fits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shared.config import ConfigError
from shared.cost import rules_compute, rules_edge, rules_infra
from shared.cost.model import Bill, Context, LineItem, Rule, with_api_traffic
from shared.cost.prices import PriceTable
from shared.cost.profile import UsageProfile
from shared.synth.graph import LayerGraph

RULES: dict[str, Rule] = {**rules_infra.RULES, **rules_compute.RULES, **rules_edge.RULES}


def is_free(token: str) -> bool:
    return token.startswith(rules_edge.FREE_PREFIXES)


def estimate(
    env: str,
    graphs: Mapping[str, LayerGraph],
    prices: PriceTable,
    profile: UsageProfile,
    budget_usd: float,
    profile_source: str = "usage profile",
) -> Bill:
    ctx = Context(env, graphs, prices, profile, profile_source)
    items: list[LineItem] = []
    unpriced: set[str] = set()
    for layer, graph in graphs.items():
        for resource in graph.aws_resources():
            rule = RULES.get(resource.type)
            if rule is not None:
                items += rule(layer, resource, ctx)
            elif not is_free(resource.type):
                unpriced.add(resource.type)
    _check_profile_functions(ctx)
    return Bill(env, items, budget_usd, ctx.traffic.requests, sorted(unpriced), sorted(set(ctx.warnings)))


def _check_profile_functions(ctx: Context) -> None:
    """A profile entry for a function the graph does not have is a typo, not a free function."""
    roles = {ctx.function_role(str(r.input("name"))) for _, r in ctx.resources("aws:lambda/function:Function")}
    for role in ctx.profile.functions:
        if roles and role not in roles:
            raise ConfigError(f"{ctx.profile_source}: key 'functions.{role}': no such function in the {ctx.env} graph "
                              f"(functions: {', '.join(sorted(roles))})")


@dataclass(frozen=True)
class Envelope:
    """The traffic that still fits the budget, each lever moved alone from the profile."""

    max_peak_hours: float | None  # None: not even 0 peak hours fit
    max_peak_rpm: float | None  # None: not even the off-peak rate at peak fits
    marginal_per_million: float  # cost of one more million requests (same daily shape)


def _total(env: str, graphs: Mapping[str, LayerGraph], prices: PriceTable, profile: UsageProfile) -> float:
    return estimate(env, graphs, prices, profile, float("inf")).total


def _largest_fitting(cost: Callable[[float], float], low: float, high: float, budget: float,
                     steps: int = 60) -> float | None:
    """The largest x in [low, high] with cost(x) <= budget, for a cost that grows with x."""
    if cost(low) > budget:
        return None
    if cost(high) <= budget:
        return high
    for _ in range(steps):
        mid = (low + high) / 2
        low, high = (mid, high) if cost(mid) <= budget else (low, mid)
    return low


def envelope(env: str, graphs: Mapping[str, LayerGraph], prices: PriceTable, profile: UsageProfile,
             budget_usd: float, rpm_ceiling: float = 1_000_000) -> Envelope:
    api = profile.api

    def at_hours(hours: float) -> float:
        return _total(env, graphs, prices, with_api_traffic(profile, peak_hours_per_day=hours))

    def at_rpm(rpm: float) -> float:
        return _total(env, graphs, prices, with_api_traffic(profile, peak_requests_per_minute=rpm))

    hours = _largest_fitting(at_hours, 0.0, 24.0, budget_usd)
    rpm = _largest_fitting(at_rpm, api.off_peak_requests_per_minute, rpm_ceiling, budget_usd)
    return Envelope(hours, rpm, marginal_per_million(env, graphs, prices, profile))


def marginal_per_million(env: str, graphs: Mapping[str, LayerGraph], prices: PriceTable, profile: UsageProfile) -> float:
    """d(total)/d(requests) x 1M, both rates scaled by the same factor (the daily shape is kept)."""
    base = estimate(env, graphs, prices, profile, float("inf"))
    if base.requests <= 0:
        scaled = with_api_traffic(profile, peak_requests_per_minute=1.0, off_peak_requests_per_minute=1.0)
        more = estimate(env, graphs, prices, scaled, float("inf"))
        return (more.total - base.total) / more.requests * 1e6 if more.requests else 0.0
    factor = 1 + 1e6 / base.requests
    api = profile.api
    scaled = with_api_traffic(profile, peak_requests_per_minute=api.peak_requests_per_minute * factor,
                              off_peak_requests_per_minute=api.off_peak_requests_per_minute * factor)
    return estimate(env, graphs, prices, scaled, float("inf")).total - base.total
