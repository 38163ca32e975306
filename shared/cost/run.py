"""Price one env end to end: its graphs (rendered or given), its profile, its budget."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.config import Environment, load_shared_settings
from shared.contracts import LAYER_ORDER
from shared.cost.estimate import Envelope, envelope, estimate
from shared.cost.model import Bill
from shared.cost.prices import PriceTable, load_prices
from shared.cost.profile import UsageProfile, load_profile
from shared.synth.graph import LayerGraph
from shared.synth.runner import DEFAULT_OUT, synth_env


@dataclass(frozen=True)
class PricedEnv:
    bill: Bill
    envelope: Envelope
    profile: UsageProfile
    profile_source: str
    prices: PriceTable


def render_graphs(env: Environment, out_root: Path = DEFAULT_OUT) -> dict[str, LayerGraph]:
    """The same offline synth as `invoke synth`: every layer in deploy order, each in its own process."""
    return {r.graph.layer: r.graph for r in synth_env(env, out_root=out_root)}


def price_env(env: Environment | str, graphs: Mapping[str, LayerGraph] | None = None,
              profile_path: Path | None = None) -> PricedEnv:
    environment = Environment.parse(str(env), source="--env")
    graphs = graphs if graphs is not None else render_graphs(environment)
    graphs = {layer: graphs[layer] for layer in LAYER_ORDER if layer in graphs}
    prices = load_prices()
    profile, source = load_profile(environment, profile_path)
    budget = load_shared_settings(environment).monthly_budget_usd
    bill = estimate(environment.value, graphs, prices, profile, budget, source)
    return PricedEnv(bill, envelope(environment.value, graphs, prices, profile, budget), profile, source, prices)
