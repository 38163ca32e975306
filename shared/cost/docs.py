"""The generated sections of the README and the layer docs: cost tables and the architecture diagram.

Each lives between ``<!-- generated:NAME:start -->`` and ``<!-- generated:NAME:end -->`` markers so
hand-written text around it merges normally; `invoke docs` rewrites them and a test fails when one
is stale. A layer doc without markers gets a generated cost section appended.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from shared.config import REPO_ROOT, Environment
from shared.contracts import LAYER_ORDER
from shared.cost.report import CENT
from shared.cost.run import PricedEnv, price_env, render_graphs
from shared.synth.diagram import render_mermaid
from shared.synth.graph import LayerGraph

ENVS = [e.value for e in Environment]
README = REPO_ROOT / "README.md"


def start(name: str) -> str:
    return f"<!-- generated:{name}:start (invoke docs rewrites this section; edit the model, not the text) -->"


def end(name: str) -> str:
    return f"<!-- generated:{name}:end -->"


def replace_section(text: str, name: str, body: str) -> str | None:
    """``text`` with the section's body replaced, or None when it has no such section."""
    pattern = re.compile(re.escape(f"<!-- generated:{name}:start") + r".*?" + re.escape(end(name)), re.S)
    if not pattern.search(text):
        return None
    return pattern.sub(lambda _m: f"{start(name)}\n{body.rstrip()}\n{end(name)}", text, count=1)


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def readme_cost(priced: Mapping[str, PricedEnv]) -> str:
    first = next(iter(priced.values()))
    lines = [f"Estimated by `invoke cost --env E` from the synthesized graph, the price table "
             f"(`config/prices.yaml`, as of {first.prices.as_of}) and each env's usage profile "
             f"(`config/usage/<env>.yaml`). CI fails when an env goes over its `monthlyBudgetUsd`.", "",
             "| | " + " | ".join(ENVS) + " |", "|---|" + "---:|" * len(ENVS)]
    by_layer = {env: p.bill.by_layer() for env, p in priced.items()}
    for layer in LAYER_ORDER:
        lines.append(f"| {layer} | " + " | ".join(_usd(by_layer[e].get(layer, 0.0)) for e in ENVS) + " |")
    rows = [
        ("**total per month**", lambda p: f"**{_usd(p.bill.total)}**"),
        ("budget (`monthlyBudgetUsd`)", lambda p: _usd(p.bill.budget_usd)),
        ("requests per month", lambda p: f"{p.bill.requests / 1e6:,.1f} M"),
        ("profile peak", lambda p: f"{p.profile.api.peak_requests_per_minute:,.0f}/min"
                                   f" x {p.profile.api.peak_hours_per_day:g} h/day"),
        ("marginal cost per million requests", lambda p: _usd(p.envelope.marginal_per_million)),
        ("most peak hours/day in budget", lambda p: "none" if p.envelope.max_peak_hours is None
         else f"{p.envelope.max_peak_hours:.1f} h"),
        ("highest peak rate in budget", lambda p: "none" if p.envelope.max_peak_rpm is None
         else f"{p.envelope.max_peak_rpm:,.0f}/min"),
    ]
    for title, cell in rows:
        lines.append(f"| {title} | " + " | ".join(cell(priced[e]) for e in ENVS) + " |")
    return "\n".join(lines)


def layer_cost(layer: str, priced: Mapping[str, PricedEnv]) -> str:
    """Per resource of one layer: what is billed and the monthly amount in each env."""
    table: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for env, p in priced.items():
        for i in p.bill.items:
            if i.layer == layer:
                key = (i.resource, i.item)
                table[key][env] = table[key].get(env, 0.0) + i.monthly_usd
    lines = ["Generated from the cost model (`invoke cost --env E --detail` shows the arithmetic of every line).", "",
             "| resource | billed for | " + " | ".join(ENVS) + " |", "|---|---|" + "---:|" * len(ENVS)]
    for (resource, what), amounts in sorted(table.items(), key=lambda kv: (-max(kv[1].values()), kv[0])):
        if max(amounts.values()) < CENT:
            continue
        lines.append(f"| {resource} | {what} | " + " | ".join(_usd(amounts.get(e, 0.0)) if e in amounts else "-"
                                                              for e in ENVS) + " |")
    totals = [sum(i.monthly_usd for i in priced[e].bill.items if i.layer == layer) for e in ENVS]
    lines.append("| **total** | | " + " | ".join(f"**{_usd(t)}**" for t in totals) + " |")
    return "\n".join(lines)


def expected_sections(
    priced: Mapping[str, PricedEnv], prod_graphs: Mapping[str, LayerGraph]
) -> dict[Path, dict[str, str]]:
    sections: dict[Path, dict[str, str]] = {README: {"cost": readme_cost(priced), "diagram": render_mermaid(prod_graphs)}}
    for layer in LAYER_ORDER:
        doc = REPO_ROOT / "docs" / f"{layer}.md"
        if doc.exists():
            sections[doc] = {f"cost-{layer}": layer_cost(layer, priced)}
    from shared.connection_budget import markdown as connection_budget

    sections[REPO_ROOT / "docs" / "data.md"]["connection-budget"] = connection_budget()
    return sections


def updated_text(path: Path, sections: Mapping[str, str]) -> str:
    text = path.read_text()
    for name, body in sections.items():
        new = replace_section(text, name, body)
        if new is None:  # a layer doc without its section yet: append one
            new = f"{text.rstrip()}\n\n## Monthly cost (generated)\n{start(name)}\n{body.rstrip()}\n{end(name)}\n"
        text = new
    return text


def refresh_all(write: bool = True) -> list[str]:
    """Render every env, price it, and rewrite (or, with write=False, only list) the stale files."""
    graphs = {env: render_graphs(Environment(env)) for env in ENVS}
    priced = {env: price_env(env, graphs[env]) for env in ENVS}
    stale = []
    for path, sections in expected_sections(priced, graphs["prod"]).items():
        text = updated_text(path, sections)
        if text != path.read_text():
            stale.append(str(path.relative_to(REPO_ROOT)))
            if write:
                path.write_text(text)
    return stale
