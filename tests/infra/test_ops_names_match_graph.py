"""The names the ops tooling looks up are the names the programs create (both from shared/naming.py)."""

from __future__ import annotations

import pytest

from ops.migrate import migrate_function
from ops.queue_guard import queue_names as guarded_queues
from shared.config import Environment
from shared.contracts import project_name
from shared.naming import order_queue_names

pytestmark = pytest.mark.synth


def test_ops_finds_the_queues_and_the_migrate_alias_compute_creates(synth, env):
    compute = synth(env)["compute"]
    queues = {q.inputs["name"] for q in compute.of_type("aws:sqs/queue:Queue")}
    names = order_queue_names(env)
    assert {names.queue, names.dlq, names.archive} <= queues  # what `invoke dlq.*` looks up
    assert set(guarded_queues(Environment(env)).values()) == {names.queue, names.dlq}
    aliases = {f"{a.inputs['functionName']}:{a.inputs['name']}" for a in compute.of_type("aws:lambda/alias:Alias")}
    assert migrate_function(Environment(env)) in aliases


def test_every_layer_runs_as_the_project_its_contract_names(synth, env):
    for layer, graph in synth(env).items():
        assert graph.project == project_name(layer)
