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
    assert 'fn_api -->|"SQL"| proxy' in mermaid and 'proxy -->|"writes + reads"| primary' in mermaid
    assert 'primary -.->|"replication"| replica1' in mermaid
    assert re.search(r'fn_api -->\|"POST /orders/async"\| q_\w+', mermaid)
    assert re.search(r'q_\w+ -->\|"batches of 500"\| fn_worker', mermaid)
    assert re.search(r'q_\w+ -->\|"batches of 10"\| fn_dlq_analyzer', mermaid)
    assert 'fn_api -.->|"config"| ssm' in mermaid and 'ssm -.->|"decrypt"| kms' in mermaid
    for layer in LAYER_ORDER:
        for ref in graphs[layer].reads:
            producer = ref.split("/")[1].removeprefix("serverless-infra-")
            assert f'{producer} ==>|"stack ref"| {layer}' in mermaid
    api_layer = graphs["api"]
    if api_layer.of_type("aws:apigateway/restApi:RestApi"):
        assert re.search(r"apigw_\w+ --> fn_api", mermaid)


@pytest.fixture
def offline_cost(synth, monkeypatch):
    """`invoke cost` as the CLI runs it, on the session's synthesized graphs (no second render)."""
    from invoke.context import Context

    import shared.cost.run as run
    from ops.cost import cost

    monkeypatch.setattr(run, "render_graphs", lambda env, out_root=None: synth(env.value))
    return lambda **kwargs: cost(Context(), **kwargs)


def _profile_file(tmp_path, **api):
    import yaml

    from shared.config import Environment
    from shared.cost.profile import profile_file

    raw = yaml.safe_load(profile_file(Environment.PROD).read_text())
    raw["api"].update(api)
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_cost_task_exits_non_zero_over_budget_naming_the_largest_items(offline_cost, tmp_path, capsys):
    from invoke.exceptions import Exit

    with pytest.raises(Exit) as exit_:
        offline_cost(env="prod", profile=str(_profile_file(tmp_path, peakHoursPerDay=24)))
    assert exit_.value.code == 1
    assert "prod is over budget" in str(exit_.value.message) and str(exit_.value.message).count(" $") >= 5
    out = capsys.readouterr().out
    assert "OVER BUDGET" in out and "envelope within $500.00" in out


def test_cost_task_json_and_format_and_profile_errors(offline_cost, tmp_path, capsys):
    import json

    from invoke.exceptions import Exit

    offline_cost(env="prod", format="json")
    report = json.loads(capsys.readouterr().out)
    assert report["env"] == "prod" and report["totalUsd"] > 0 and not report["overBudget"]
    assert report["envelope"]["maxPeakHoursPerDay"] >= 1
    with pytest.raises(Exit) as bad_format:
        offline_cost(env="prod", format="yaml")
    assert bad_format.value.code == 2
    typo = _profile_file(tmp_path, peakHourPerDay=3)
    with pytest.raises(Exit) as bad_profile:
        offline_cost(env="prod", profile=str(typo))
    assert str(typo) in str(bad_profile.value.message) and "api.peakHourPerDay" in str(bad_profile.value.message)


def test_diagram_draws_direct_replica_reads_only_when_reader_host_is_a_replica(synth):
    import copy

    graphs = dict(synth("prod"))
    reader = next(p for p in graphs["data"].of_type("aws:ssm/parameter:Parameter")
                  if p.inputs["name"].endswith("/reader_host"))
    replica = next(i for i in graphs["data"].of_type("aws:rds/instance:Instance") if i.inputs.get("replicateSourceDb"))
    via_proxy = [d for d in reader.dependencies if d != replica.urn]
    data = copy.deepcopy(graphs["data"])
    target = next(p for p in data.resources if p.urn == reader.urn)
    target.dependencies = via_proxy
    assert 'fn_api -->|"reads"| replica1' not in render_mermaid({**graphs, "data": data})
    target.dependencies = [*via_proxy, replica.urn]
    assert 'fn_api -->|"reads"| replica1' in render_mermaid({**graphs, "data": data})
