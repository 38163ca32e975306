"""The budget gate over every env's real graph, the generated doc sections, and the diagram.

CI runs this: a change that pushes an env over its `monthlyBudgetUsd` (config/<env>.yaml) with its
committed usage profile fails the build, naming the three largest items.
"""

from __future__ import annotations

import re

import pytest

from shared.contracts import LAYER_ORDER
from shared.cost.docs import expected_sections, replace_section, updated_text
from shared.cost.report import over_budget_message
from shared.cost.run import price_env
from shared.synth.diagram import render_mermaid

pytestmark = pytest.mark.policy

ENVS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def priced(synth):
    return {env: price_env(env, synth(env)) for env in ENVS}


def test_every_env_fits_its_budget_with_its_committed_profile(priced, env):
    bill = priced[env].bill
    assert not bill.over_budget, over_budget_message(bill)


def test_every_resource_type_in_the_graphs_is_priced_or_known_free(priced, env):
    assert priced[env].bill.unpriced_types == [], "classify the new type in shared/cost/rules_*.py"
    assert priced[env].bill.warnings == []


def test_prod_envelope_covers_its_own_profile(priced):
    p = priced["prod"]
    assert p.envelope.max_peak_hours is not None and p.envelope.max_peak_hours >= p.profile.api.peak_hours_per_day
    assert p.envelope.max_peak_rpm is not None and p.envelope.max_peak_rpm >= p.profile.api.peak_requests_per_minute
    assert p.envelope.marginal_per_million > 0


def test_generated_doc_sections_are_current(priced, synth):
    """README's cost table and diagram and each layer doc's cost table come from the model: run `invoke docs`."""
    stale = [str(path) for path, sections in expected_sections(priced, synth("prod")).items()
             if updated_text(path, sections) != path.read_text()]
    assert not stale, f"stale generated sections in {stale}: run `invoke docs`"


def test_replace_section_keeps_the_text_around_it():
    text = "intro\n<!-- generated:x:start -->\nold\n<!-- generated:x:end -->\noutro\n"
    new = replace_section(text, "x", "new")
    assert new is not None and new.startswith("intro\n") and new.endswith("outro\n") and "new" in new and "old" not in new
    assert replace_section(text, "y", "new") is None


def test_diagram_draws_layers_paths_config_and_stack_refs(synth):
    graphs = synth("prod")
    mermaid = render_mermaid(graphs)
    assert mermaid.startswith("```mermaid\nflowchart LR\n") and mermaid.rstrip().endswith("```")
    for layer in LAYER_ORDER:
        assert f'subgraph {layer}["{layer} layer"]' in mermaid
    assert "fn_api -->|SQL| proxy" in mermaid and "proxy -->|writes + reads| primary" in mermaid
    assert "primary -.->|replication| replica1" in mermaid
    assert re.search(r"fn_api -->\|POST /orders/async\| q_\w+", mermaid)
    assert re.search(r"q_\w+ -->\|batches of 500\| fn_worker", mermaid)
    assert re.search(r"q_\w+ -->\|batches of 10\| fn_dlq_analyzer", mermaid)
    assert "fn_api -.->|config| ssm" in mermaid and "ssm -.->|decrypt| kms" in mermaid
    for layer in LAYER_ORDER:
        for ref in graphs[layer].reads:
            producer = ref.split("/")[1].removeprefix("serverless-infra-")
            assert f"{producer} ==>|stack ref| {layer}" in mermaid
    api_layer = graphs["api"]
    if api_layer.of_type("aws:apigateway/restApi:RestApi"):
        assert re.search(r"apigw_\w+ --> fn_api", mermaid)
