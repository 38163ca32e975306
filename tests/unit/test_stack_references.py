"""Stack references: names, the contract check, and the error when an upstream output is missing."""

from __future__ import annotations

import pulumi
import pytest
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from shared.config import Environment, SharedSettings, StackContext
from shared.contracts import ContractError
from shared.stacks import MissingStackOutputError, Upstream, publish, stack_reference_name
from shared.synth.mocks import RecordingMonitor, SynthMocks

pytestmark = pytest.mark.unit

SHARED = SharedSettings(organization="acme", owner="o", cost_center="c", compliance="x", backup="b")


def _run(ctx: StackContext, stacks: dict, program) -> None:
    monitor = RecordingMonitor(SynthMocks(stacks, {}))
    pulumi.runtime.set_mocks(monitor.synth_mocks, project=ctx.project, stack=ctx.env.value, preview=False,
                             monitor=monitor)
    _sync_await(run_pulumi_func(program))


def test_stack_reference_name_uses_the_configured_org():
    assert stack_reference_name("acme", "network", "prod") == "acme/serverless-infra-network/prod"
    assert stack_reference_name("organization", "data", "dev") == "organization/serverless-infra-data/dev"


def test_missing_output_error_names_stack_and_key():
    ctx = StackContext(layer="data", env=Environment.STAGING, shared=SHARED)
    seen: list[object] = []

    def program() -> None:
        network = Upstream(ctx, "network")
        network.require("database_subnet_ids").apply(seen.append)

    with pytest.raises(MissingStackOutputError) as caught:
        _run(ctx, {"acme/serverless-infra-network/staging": {"vpc_id": "vpc-1"}}, program)
    assert "'acme/serverless-infra-network/staging' has no output 'database_subnet_ids'" in str(caught.value)
    assert "layer 'data' requires" in str(caught.value)


def test_present_output_resolves_and_keeps_value():
    ctx = StackContext(layer="data", env=Environment.DEV, shared=SHARED)
    seen: list[object] = []

    def program() -> None:
        Upstream(ctx, "network").require("vpc_id").apply(seen.append)

    _run(ctx, {"acme/serverless-infra-network/dev": {"vpc_id": "vpc-123"}}, program)
    assert seen == ["vpc-123"]


def test_reading_a_key_outside_the_contract_fails_when_the_program_is_built():
    ctx = StackContext(layer="compute", env=Environment.DEV, shared=SHARED)

    def program() -> None:
        Upstream(ctx, "network").require("nat_gateway_ids")

    with pytest.raises(ContractError, match="does not publish it"):
        _run(ctx, {"acme/serverless-infra-network/dev": {}}, program)


def test_publish_refuses_missing_and_extra_keys():
    ctx = StackContext(layer="network", env=Environment.DEV, shared=SHARED)
    with pytest.raises(ContractError, match=r"missing \[.*'vpc_id'.*\], not in contract \['vpcid'\]"):
        publish(ctx, {"vpcid": "x"})
