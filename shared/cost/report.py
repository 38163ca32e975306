"""Render a bill: a table per layer and resource (text or Markdown), or JSON."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict

from shared.contracts import LAYER_ORDER
from shared.cost.estimate import Envelope
from shared.cost.model import Bill, LineItem, money

CENT = 0.005  # items under half a cent are folded into the layer's "other" line


def _resource_rows(items: list[LineItem]) -> list[tuple[str, str, float]]:
    """(resource, what, usd) per resource, largest first; sub-cent items summed into one row."""
    grouped: dict[str, list[LineItem]] = defaultdict(list)
    for i in items:
        grouped[i.resource].append(i)
    rows, small = [], 0.0
    for resource, parts in grouped.items():
        usd = sum(p.monthly_usd for p in parts)
        if usd < CENT:
            small += usd
            continue
        what = "; ".join(p.item for p in parts if p.monthly_usd >= CENT)
        rows.append((resource, what, usd))
    rows.sort(key=lambda row: -row[2])
    if small >= CENT:
        rows.append(("(others)", "items under one cent", small))
    return rows


def envelope_lines(bill: Bill, envelope: Envelope, peak_rpm: float, peak_hours: float) -> list[str]:
    hours = ("none: the bill is over budget even with no peak" if envelope.max_peak_hours is None
             else f"{envelope.max_peak_hours:.1f} h/day at {peak_rpm:,.0f} requests/minute")
    rpm = ("none: the bill is over budget even at the off-peak rate" if envelope.max_peak_rpm is None
           else f"{envelope.max_peak_rpm:,.0f} requests/minute for {peak_hours:g} h/day")
    return [f"marginal cost: {money(envelope.marginal_per_million)} per million requests",
            f"envelope within {money(bill.budget_usd)}: most peak hours {hours}; highest peak rate {rpm}"]


def headline(bill: Bill) -> str:
    verdict = "OVER BUDGET" if bill.over_budget else "within budget"
    return (f"{bill.env}: {money(bill.total)}/month for {bill.requests / 1e6:,.1f} M requests; "
            f"budget {money(bill.budget_usd)} ({verdict})")


def render_text(bill: Bill, extra: list[str], detail: bool = False) -> str:
    """One line per resource; with ``detail``, each billed item under it with its arithmetic."""
    lines = [headline(bill), ""]
    for layer in LAYER_ORDER:
        items = [i for i in bill.items if i.layer == layer]
        lines.append(f"{layer}: {money(sum(i.monthly_usd for i in items))}")
        for resource, what, usd in _resource_rows(items):
            lines.append(f"  {money(usd):>11}  {resource:<38} {what}")
            if detail:
                lines += [f"{'':>17}{i.item}: {money(i.monthly_usd)} = {i.basis}" for i in items
                          if i.resource == resource and i.monthly_usd >= CENT]
    lines += ["", *extra, *(f"not priced (unknown type): {t}" for t in bill.unpriced_types),
              *(f"warning: {w}" for w in bill.warnings)]
    return "\n".join(lines)


def render_markdown(bill: Bill, extra: list[str]) -> str:
    lines = [f"**{headline(bill)}**", "", "| layer | resource | what | $/month |", "|---|---|---|---:|"]
    for layer in LAYER_ORDER:
        items = [i for i in bill.items if i.layer == layer]
        for resource, what, usd in _resource_rows(items):
            lines.append(f"| {layer} | {resource} | {what} | {usd:,.2f} |")
        if items:
            lines.append(f"| **{layer}** | | | **{sum(i.monthly_usd for i in items):,.2f}** |")
    lines.append(f"| **total** | | | **{bill.total:,.2f}** |")
    lines += ["", *(f"- {line}" for line in extra)]
    return "\n".join(lines)


def render_json(bill: Bill, envelope: Envelope | None) -> str:
    return json.dumps({
        "env": bill.env, "totalUsd": round(bill.total, 2), "budgetUsd": bill.budget_usd, "overBudget": bill.over_budget,
        "requestsPerMonth": round(bill.requests), "byLayer": {k: round(v, 2) for k, v in bill.by_layer().items()},
        "items": [asdict(i) for i in bill.items], "unpricedTypes": bill.unpriced_types, "warnings": bill.warnings,
        "envelope": None if envelope is None else {
            "maxPeakHoursPerDay": envelope.max_peak_hours, "maxPeakRequestsPerMinute": envelope.max_peak_rpm,
            "marginalUsdPerMillionRequests": round(envelope.marginal_per_million, 4)},
    }, indent=2)


def over_budget_message(bill: Bill) -> str:
    top = ", ".join(f"{i.layer}/{i.resource} {i.item} {money(i.monthly_usd)}" for i in bill.largest(3))
    return (f"{bill.env} is over budget: {money(bill.total)} > {money(bill.budget_usd)} "
            f"(monthlyBudgetUsd in config/{bill.env}.yaml); largest items: {top}")
