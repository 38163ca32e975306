"""The CLI driver with a fake runner: preflight messages, stack creation, stop at the first failure."""

from __future__ import annotations

import json

import pytest
from invoke.exceptions import Exit

from ops import deploy
from ops.pulumi_cli import Completed, LayerFailed, PulumiCli, PulumiUnavailable
from ops.rollout import plan

pytestmark = pytest.mark.unit


class FakeRunner:
    def __init__(self, fail: dict[str, int] | None = None, stacks: dict[str, list[dict]] | None = None,
                 logged_in: bool = True) -> None:
        self.calls: list[tuple[tuple[str, ...], str]] = []
        self.fail, self.stacks, self.logged_in = fail or {}, stacks or {}, logged_in

    def __call__(self, command: list[str], cwd: str, capture: bool) -> Completed:
        self.calls.append((tuple(command), cwd))
        if command[:2] == ["pulumi", "whoami"]:
            return Completed(0 if self.logged_in else 255)
        if command[:3] == ["pulumi", "stack", "ls"]:
            return Completed(0, json.dumps(self.stacks.get(cwd, [])))
        layer = cwd.rsplit("/", 1)[-1]
        if command[1] in ("up", "destroy") and layer in self.fail:
            return Completed(self.fail[layer])
        return Completed(0)


def cli(runner: FakeRunner, installed: bool = True) -> PulumiCli:
    return PulumiCli(runner, which=lambda name: "/usr/bin/pulumi" if installed else None)


def test_missing_cli_is_a_clear_message_not_a_traceback():
    with pytest.raises(Exit) as caught:
        deploy._run(deploy.Action.DEPLOY, "staging", None, True, False, cli=cli(FakeRunner(), installed=False))
    assert "Pulumi CLI is not on PATH" in str(caught.value.message)


def test_not_logged_in_says_how_to_log_in():
    with pytest.raises(PulumiUnavailable, match="pulumi login s3://"):
        cli(FakeRunner(logged_in=False)).preflight()


def test_rollout_creates_stacks_and_stops_at_the_first_failing_layer():
    runner = FakeRunner(fail={"data": 1})
    with pytest.raises(LayerFailed) as caught:
        cli(runner).execute(plan("deploy", "staging", "organization", yes=True), echo=lambda _: None)
    message = str(caught.value)
    assert message.startswith("data failed")
    assert "not run: compute build, compute quota check, compute, compute migrations, api, observability" in message
    ups = [cwd for command, cwd in runner.calls if command[1] == "up"]
    assert ups == ["projects/network", "projects/security", "projects/data"]
    selects = [c for c, _ in runner.calls if c[1:3] == ("stack", "select")]
    assert ("pulumi", "stack", "select", "--stack", "organization/serverless-infra-network/staging", "--create") in selects


def test_deployed_layers_come_from_stack_state():
    runner = FakeRunner(stacks={
        "projects/network": [{"name": "organization/serverless-infra-network/prod", "resourceCount": 40}],
        "projects/security": [{"name": "organization/serverless-infra-security/prod", "resourceCount": 0}],
        "projects/compute": [{"name": "organization/serverless-infra-compute/dev", "resourceCount": 9}],
    })
    steps = plan("outputs", "prod", "organization").steps
    assert cli(runner).deployed_layers(steps) == {"network"}


def test_destroy_task_refuses_foundation_layer_with_dependents(capsys):
    runner = FakeRunner(stacks={
        f"projects/{layer}": [{"name": f"organization/serverless-infra-{layer}/dev", "resourceCount": 3}]
        for layer in ("network", "security", "data", "compute")
    })
    with pytest.raises(Exit) as caught:
        deploy._run(deploy.Action.DESTROY, "dev", "network", True, False, cli=cli(runner))
    assert "refusing to destroy network" in str(caught.value.message)
    assert not [c for c, _ in runner.calls if c[1] == "destroy"]


def test_a_stack_that_cannot_be_selected_or_created_is_named():
    class NoStacks(FakeRunner):
        def __call__(self, command, cwd, capture):
            if command[1:3] == ["stack", "select"]:
                self.calls.append((tuple(command), cwd))
                return Completed(255)
            return super().__call__(command, cwd, capture)

    runner = NoStacks()
    with pytest.raises(LayerFailed) as caught:
        cli(runner).execute(plan("deploy", "prod", "acme", yes=True), echo=lambda _: None)
    message = str(caught.value)
    assert "`pulumi stack select --stack acme/serverless-infra-network/prod --create` in projects/network" in message
    assert not [c for c, _ in runner.calls if c[1] == "up"]
