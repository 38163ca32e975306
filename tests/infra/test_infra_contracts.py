"""The layer output contract, checked on the synthesized graphs of every env."""

from __future__ import annotations

import pytest

from shared.contracts import CONTRACTS, LAYER_ORDER, ContractError, check_read, downstream_of

pytestmark = pytest.mark.synth

# Layers whose programs are built; the others are placeholders that publish nothing yet.
BUILT_LAYERS = ["network", "security", "data", "compute"]


@pytest.mark.parametrize("layer", BUILT_LAYERS)
def test_layer_exports_exactly_its_contract(synth, env, layer):
    graph = synth(env)[layer]
    assert set(graph.exports) == set(CONTRACTS[layer].publishes)


def test_every_layer_renders_in_deploy_order(synth, env):
    assert list(synth(env)) == list(LAYER_ORDER)


def test_layers_read_only_declared_upstreams(synth, env):
    for layer, graph in synth(env).items():
        read_projects = {name.split("/")[1].removeprefix("serverless-infra-") for name in graph.reads}
        assert read_projects <= set(CONTRACTS[layer].reads), layer


def test_reads_are_checked_against_the_contract():
    check_read("data", "network", "vpc_id")
    with pytest.raises(ContractError, match="'data' reads 'vpc_idd' from 'network', which does not publish it"):
        check_read("data", "network", "vpc_idd")
    with pytest.raises(ContractError, match="does not declare 'api' as an upstream"):
        check_read("network", "api", "rest_api_id")


def test_downstream_closure_follows_reads():
    assert downstream_of("compute") == ("api", "observability")
    assert downstream_of("network") == ("security", "data", "compute", "api", "observability")
    assert downstream_of("observability") == ()
