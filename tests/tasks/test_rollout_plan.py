"""Ordering and refusal rules of the rollout, without the Pulumi CLI."""

from __future__ import annotations

import pytest

from ops.rollout import Action, RolloutRefused, plan, policy_pack_flags
from shared.config import ConfigError, Environment
from shared.contracts import LAYER_ORDER, ContractError

pytestmark = pytest.mark.unit
ALL = set(LAYER_ORDER)


def layers(p) -> list[str]:
    return [s.layer for s in p.steps if s.is_pulumi]


def test_deploy_runs_every_layer_in_dependency_order():
    p = plan("deploy", "staging", "organization")
    assert layers(p) == ["network", "security", "data", "compute", "api", "observability"]
    assert p.steps[0].command == ("pulumi", "up", "--stack", "organization/serverless-infra-network/staging",
                                  *policy_pack_flags(Environment.STAGING))
    assert p.steps[0].cwd == "projects/network"


def test_yes_makes_commands_non_interactive():
    p = plan("deploy", "prod", "acme", yes=True)
    assert p.steps[-1].command[4:6] == ("--yes", "--skip-preview")
    assert p.steps[-1].stack == "acme/serverless-infra-observability/prod"


def test_single_layer_deploy_needs_its_upstreams_deployed():
    with pytest.raises(RolloutRefused, match="compute reads network, security, data, not deployed in dev"):
        plan("deploy", "dev", "organization", layer="compute", deployed=set())
    assert layers(plan("deploy", "dev", "organization", layer="compute",
                       deployed={"network", "security", "data"})) == ["compute"]


def test_destroy_foundation_layer_refused_while_dependents_are_deployed():
    with pytest.raises(RolloutRefused, match="refusing to destroy data: compute, api still deployed"):
        plan("destroy", "prod", "organization", layer="data", deployed={"network", "security", "data", "compute", "api"})


def test_destroy_with_cascade_goes_in_reverse_order():
    p = plan("destroy", "prod", "organization", layer="security", deployed=ALL, cascade=True)
    assert layers(p) == ["observability", "api", "compute", "data", "security"]


def test_cascade_skips_dependents_that_are_not_deployed():
    p = plan("destroy", "dev", "organization", layer="network", deployed={"network", "security"}, cascade=True)
    assert layers(p) == ["security", "network"]


def test_destroy_foundation_layer_alone_when_nothing_depends_on_it():
    assert layers(plan("destroy", "dev", "organization", layer="data", deployed={"network", "security", "data"})) == ["data"]


def test_destroy_compute_alone_is_allowed_and_names_degraded_layers():
    p = plan("destroy", "prod", "organization", layer="compute", deployed=ALL)
    assert layers(p) == ["compute"]
    assert any("api, observability" in note and "degraded" in note for note in p.notes)


def test_destroy_everything_needs_cascade():
    with pytest.raises(RolloutRefused, match="--cascade"):
        plan("destroy", "dev", "organization", deployed=ALL)
    assert layers(plan("destroy", "dev", "organization", deployed=ALL, cascade=True)) == list(reversed(LAYER_ORDER))


def test_bad_env_and_layer_are_clear_errors():
    with pytest.raises(ConfigError, match="'qa' is not one of dev, staging, prod"):
        plan("deploy", "qa", "organization")
    with pytest.raises(ContractError, match="unknown layer 'cache'"):
        plan("deploy", "dev", "organization", layer="cache")


def test_describe_prints_the_exact_commands():
    text = plan(Action.PREVIEW, "dev", "organization", layer="network").describe()
    assert ("(cd projects/network && pulumi preview --stack organization/serverless-infra-network/dev --diff "
            "--policy-pack ../../policy --policy-pack-config ../../build/policy/dev.json)") in text


def test_preview_and_up_run_the_policy_pack_and_destroy_does_not():
    for action in ("deploy", "preview"):
        for step in (s for s in plan(action, "prod", "organization").steps if s.is_pulumi):
            assert step.command[-4:] == ("--policy-pack", "../../policy", "--policy-pack-config",
                                         "../../build/policy/prod.json")
    destroy = plan("destroy", "dev", "organization", layer="compute", deployed=ALL)
    assert all("--policy-pack" not in s.command for s in destroy.steps)


def test_deploy_applies_migrations_right_after_compute():
    p = plan("deploy", "staging", "organization")
    commands = [s.command for s in p.steps]
    migrate = ("python", "-m", "ops.migrate", "--env", "staging")
    compute_up = next(i for i, s in enumerate(p.steps) if s.is_pulumi and s.layer == "compute")
    assert commands.index(migrate) == compute_up + 1
    assert commands[compute_up - 1] == ("python", "-m", "ops.quota", "--env", "staging")
    assert commands[compute_up - 2] == ("python", "-m", "invoke", "build")
    assert p.steps[commands.index(migrate)].cwd == "."
    alone = plan("deploy", "dev", "organization", layer="compute", deployed={"network", "security", "data"})
    assert [s.label for s in alone.steps] == ["compute build", "compute quota check", "compute", "compute migrations"]


def test_no_migration_step_outside_a_compute_deploy():
    for p in (plan("preview", "dev", "organization"), plan("deploy", "dev", "organization", layer="network"),
              plan("destroy", "dev", "organization", layer="compute", deployed=ALL)):
        assert "compute migrations" not in [s.label for s in p.steps]
