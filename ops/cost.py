"""`invoke cost`, `invoke diagram` and `invoke docs`: the monthly bill, the architecture picture and
the README/layer-doc sections generated from them, all from the offline synth (no AWS account)."""

from __future__ import annotations

from pathlib import Path

from invoke.exceptions import Exit
from invoke.tasks import task

from shared.config import ConfigError, Environment
from shared.cost.report import envelope_lines, over_budget_message, render_json, render_markdown, render_text
from shared.cost.run import price_env, render_graphs
from shared.synth.runner import SynthError

FORMATS = ("table", "json", "markdown")


@task(help={
    "env": "dev, staging or prod",
    "profile": "a usage profile file (default: config/usage/<env>.yaml)",
    "format": f"output format: {', '.join(FORMATS)}",
    "detail": "table format: show each billed item with its arithmetic",
})
def cost(c, env="prod", profile=None, format="table", detail=False):  # noqa: A002 - the CLI flag is --format
    """Price every resource of the env's synthesized graph plus the usage profile; fail over budget."""
    if format not in FORMATS:
        raise Exit(f"--format {format!r}: use one of {', '.join(FORMATS)}", code=2)
    try:
        priced = price_env(env, profile_path=Path(profile) if profile else None)
    except (SynthError, ConfigError, LookupError) as error:
        raise Exit(str(error), code=1) from None
    bill, api = priced.bill, priced.profile.api
    extra = [f"profile: {priced.profile_source}: {priced.profile.description.strip()}",
             f"prices: config/prices.yaml as of {priced.prices.as_of}",
             *envelope_lines(bill, priced.envelope, api.peak_requests_per_minute, api.peak_hours_per_day)]
    if format == "json":
        print(render_json(bill, priced.envelope))
    elif format == "markdown":
        print(render_markdown(bill, extra))
    else:
        print(render_text(bill, extra, detail=detail))
    if bill.over_budget:
        raise Exit(over_budget_message(bill), code=1)


@task(help={"env": "dev, staging or prod"})
def diagram(c, env="prod"):
    """Print the architecture as Mermaid in Markdown, drawn from the synthesized graph."""
    from shared.synth.diagram import render_mermaid

    try:
        graphs = render_graphs(_env(env))
    except (SynthError, ConfigError, LookupError) as error:
        raise Exit(str(error), code=1) from None
    print(render_mermaid(graphs))


def _env(env: str) -> Environment:
    try:
        return Environment.parse(env, source="--env")
    except ConfigError as error:
        raise Exit(str(error), code=1) from None
