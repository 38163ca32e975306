"""The layer output contract, checked on the synthesized graphs of every env."""

from __future__ import annotations

import pytest

from shared.contracts import CONTRACTS, LAYER_ORDER, ContractError, check_read, downstream_of

pytestmark = pytest.mark.synth

# Every layer is built and publishes exactly its contract.
BUILT_LAYERS = ["network", "security", "data", "compute", "api", "observability"]


@pytest.mark.parametrize("layer", BUILT_LAYERS)
def test_layer_exports_exactly_its_contract(synth, env, layer):
    graph = synth(env)[layer]
    assert set(graph.exports) == set(CONTRACTS[layer].publishes)


def test_every_layer_renders_in_deploy_order(synth, env):
    assert list(synth(env)) == list(LAYER_ORDER)


def test_layers_read_exactly_their_declared_upstreams(synth, env):
    # Declared but unread is a lie too: it orders deploys and destroys around a dependency that is not there.
    for layer, graph in synth(env).items():
        read_projects = {name.split("/")[1].removeprefix("serverless-infra-") for name in graph.reads}
        assert read_projects == set(CONTRACTS[layer].reads), layer


def test_reads_are_checked_against_the_contract():
    check_read("data", "network", "vpc_id")
    with pytest.raises(ContractError, match="'data' reads 'vpc_idd' from 'network', which does not publish it"):
        check_read("data", "network", "vpc_idd")
    with pytest.raises(ContractError, match="does not declare 'api' as an upstream"):
        check_read("network", "api", "rest_api_id")


def test_downstream_closure_follows_reads():
    assert downstream_of("compute") == ("api", "observability")
    assert downstream_of("network") == ("data", "compute", "api", "observability")
    assert downstream_of("security") == ("data", "compute", "api", "observability")
    assert downstream_of("observability") == ()


def test_synth_stops_with_stack_and_key_when_an_upstream_output_is_missing(synth, tmp_path):
    """The data layer against a network stack deployed before it published database_subnet_ids."""
    from shared.config import Environment
    from shared.synth.runner import RenderedExports, SynthError, render_in_subprocess

    layers = synth("dev")
    upstream = RenderedExports()
    network = {k: v for k, v in layers["network"].exports.items() if k != "database_subnet_ids"}
    upstream.add("organization/serverless-infra-network/dev", network, [])
    upstream.add("organization/serverless-infra-security/dev", layers["security"].exports, [])
    with pytest.raises(SynthError) as caught:
        render_in_subprocess("data", Environment.DEV, upstream, tmp_path)
    message = str(caught.value)
    assert "synth stopped at layer 'data' (dev)" in message
    assert "stack 'organization/serverless-infra-network/dev' has no output 'database_subnet_ids'" in message
