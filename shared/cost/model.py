"""The cost model: every resource of an env's synthesized graph priced by type, plus usage.

Pure functions over `LayerGraph`s, the price table and a usage profile; no AWS, no Pulumi.
The per-type rules live in `rules_infra.py` (network, security, data), `rules_compute.py` and
`rules_edge.py` (api and observability types); this module holds what they share.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from shared.config import ConfigError
from shared.contracts import LAYER_ORDER
from shared.cost.prices import Price, Prices, PriceTable
from shared.cost.profile import FunctionUsage, UsageProfile
from shared.synth.graph import GraphResource, LayerGraph

GIB = 1024**3


@dataclass(frozen=True)
class LineItem:
    layer: str
    resource: str  # the Pulumi logical name
    type: str
    item: str  # what is billed
    monthly_usd: float
    basis: str  # the arithmetic, so a reader can check it
    usage: bool = False  # True when it depends on the usage profile


@dataclass(frozen=True)
class Traffic:
    """Monthly API traffic derived from the profile (a month = hours_per_month hours)."""

    hours_per_month: float
    peak_rpm: float
    peak_hours_per_day: float
    off_peak_rpm: float

    @property
    def days(self) -> float:
        return self.hours_per_month / 24

    @property
    def peak_hours(self) -> float:
        return self.peak_hours_per_day * self.days

    @property
    def off_peak_hours(self) -> float:
        return (24 - self.peak_hours_per_day) * self.days

    @property
    def requests(self) -> float:
        return 60 * (self.peak_rpm * self.peak_hours + self.off_peak_rpm * self.off_peak_hours)


@dataclass
class Context:
    """What every pricing rule may ask: the graphs, the prices, the profile and derived traffic."""

    env: str
    graphs: Mapping[str, LayerGraph]
    prices: PriceTable
    profile: UsageProfile
    profile_source: str
    warnings: list[str] = field(default_factory=list)

    @property
    def p(self) -> Prices:
        """The prices themselves (short, for the rules)."""
        return self.prices.prices

    @cached_property
    def traffic(self) -> Traffic:
        a = self.profile.api
        return Traffic(self.prices.hours_per_month, a.peak_requests_per_minute, a.peak_hours_per_day,
                       a.off_peak_requests_per_minute)

    @property
    def seconds_per_month(self) -> float:
        return self.prices.hours_per_month * 3600

    def monthly(self, price: Price, units: float = 1) -> float:
        """An hourly price for a whole month, times ``units``."""
        return price.usd * self.prices.hours_per_month * units

    def resources(self, token: str) -> Iterator[tuple[str, GraphResource]]:
        for layer in LAYER_ORDER:
            graph = self.graphs.get(layer)
            if graph:
                yield from ((layer, r) for r in graph.of_type(token))

    def function_role(self, function_name: str) -> str:
        prefix = f"serverless-infra-{self.env}-"
        return function_name[len(prefix):] if function_name.startswith(prefix) else function_name

    @cached_property
    def cache_hit_rate(self) -> float:
        """The profile's hit rate, applied only when a stage of the graph has a cache cluster."""
        cached = any(r.input("cacheClusterEnabled") for _, r in self.resources("aws:apigateway/stage:Stage"))
        return self.profile.api.cache_hit_rate if cached else 0.0

    @cached_property
    def stage_traced(self) -> bool:
        return any(r.input("xrayTracingEnabled") for _, r in self.resources("aws:apigateway/stage:Stage"))

    def traced(self, requests: float) -> float:
        """Traces X-Ray records for ``requests``: the graph's sampling rule (a reservoir per second, then
        a fixed rate of the rest: https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html),
        else the profile's sampled share."""
        rules = [r for _, r in self.resources("aws:xray/samplingRule:SamplingRule")]
        if not rules:
            return requests * self.profile.tracing.sampled_share
        rule = min(rules, key=lambda r: r.input("priority") or 0)
        reservoir = min(requests, float(rule.input("reservoirSize") or 0) * self.seconds_per_month)
        return reservoir + float(rule.input("fixedRate") or 0) * (requests - reservoir)

    def invocations(self, role: str) -> float:
        """Invocations a month of the function with this role (api, worker, or from the profile)."""
        if role == "api":
            return self.traffic.requests * (1 - self.cache_hit_rate)
        if role == "worker":
            b = self.profile.batch
            self._check_batch_size(b.records_per_invocation)
            return b.async_records_per_day * self.traffic.days / b.records_per_invocation
        usage = self.function_usage(role)
        if usage.invocations_per_month is None:
            raise ConfigError(f"{self.profile_source}: key 'functions.{role}.invocationsPerMonth' is unset: "
                              f"function {role!r} is driven neither by API requests nor by the orders queue")
        return usage.invocations_per_month

    def _check_batch_size(self, records: float) -> None:
        """The worker cannot see more records per invocation than its mapping's batch size."""
        for _, mapping in self.resources("aws:lambda/eventSourceMapping:EventSourceMapping"):
            size = mapping.input("batchSize")
            if ":function:" in str(mapping.input("functionName")) and "-worker" in str(mapping.input("functionName")) \
                    and size and records > size:
                raise ConfigError(f"{self.profile_source}: key 'batch.recordsPerInvocation' = {records:g} exceeds the "
                                  f"worker mapping's batchSize {size:g}")

    def function_usage(self, role: str) -> FunctionUsage:
        usage = self.profile.functions.get(role)
        if usage is None:
            raise ConfigError(f"{self.profile_source}: key 'functions.{role}' is missing: the graph has a "
                              f"function {role!r}; state its avgDurationMs")
        return usage

    def data_at_horizon_gib(self) -> float:
        d = self.profile.data
        return d.used_gib + d.growth_gib_per_month * d.horizon_months


Rule = Callable[[str, GraphResource, Context], list[LineItem]]


def item(layer: str, r: GraphResource, what: str, usd: float, basis: str, usage: bool = False) -> LineItem:
    return LineItem(layer, r.name, r.type, what, usd, basis, usage)


def money(value: float) -> str:
    return f"${value:,.2f}"


def ceil_div(a: float, b: float) -> int:
    return math.ceil(a / b - 1e-9) if b else 0


@dataclass(frozen=True)
class Bill:
    env: str
    items: list[LineItem]
    budget_usd: float
    requests: float
    unpriced_types: list[str]
    warnings: list[str]

    @property
    def total(self) -> float:
        return sum(i.monthly_usd for i in self.items)

    @property
    def over_budget(self) -> bool:
        return self.total > self.budget_usd + 1e-9

    def by_layer(self) -> dict[str, float]:
        totals = {layer: 0.0 for layer in LAYER_ORDER}
        for i in self.items:
            totals[i.layer] = totals.get(i.layer, 0.0) + i.monthly_usd
        return totals

    def largest(self, n: int = 3) -> list[LineItem]:
        return sorted(self.items, key=lambda i: -i.monthly_usd)[:n]


def with_api_traffic(profile: UsageProfile, **changes: float) -> UsageProfile:
    """A copy of ``profile`` with some ApiTraffic fields changed (envelope and marginal cost)."""
    api = profile.api.model_copy(update=changes)
    return profile.model_copy(update={"api": api})

