"""The rollout plan: which layers, in which order, with which Pulumi command, and what is refused.

Pure logic (no CLI, no AWS), so the ordering and the safety rules are tested on their own.
Pulumi has no multi-stack ordering of its own (pulumi/pulumi#2309): this is it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from shared.config import Environment
from shared.contracts import LAYER_ORDER, contract, downstream_of
from shared.stacks import stack_reference_name


class Action(StrEnum):
    DEPLOY = "deploy"
    PREVIEW = "preview"
    DESTROY = "destroy"
    OUTPUTS = "outputs"


class RolloutRefused(RuntimeError):
    """The plan would break deployed layers (or make no sense); the message says what to do instead."""


# Layers whose destruction takes dependents down with them. Compute is not here: api and
# observability reach it by deterministic names, so it may be destroyed and redeployed alone.
FOUNDATION_LAYERS = ("network", "security", "data")


@dataclass(frozen=True)
class Step:
    layer: str
    stack: str  # fully qualified: org/project/env
    command: tuple[str, ...]
    workdir: str | None = None  # default: the layer's project folder
    purpose: str = ""  # for steps that are not the layer's own pulumi command: "build", "migrations"

    @property
    def cwd(self) -> str:
        return self.workdir or f"projects/{self.layer}"

    @property
    def is_pulumi(self) -> bool:
        return self.command[0] == "pulumi"

    @property
    def label(self) -> str:
        """What an operator calls this step: the layer, or the layer's migrations."""
        return f"{self.layer} {self.purpose}" if self.purpose else self.layer

    def shell(self) -> str:
        return f"(cd {self.cwd} && {' '.join(self.command)})"


@dataclass
class Plan:
    action: Action
    env: Environment
    steps: list[Step]
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"{self.action.value} {self.env.value}: {len(self.steps)} step(s)"]
        lines += [f"  {i}. {step.shell()}" for i, step in enumerate(self.steps, 1)]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def policy_pack_flags(env: Environment) -> tuple[str, ...]:
    """The CrossGuard pack (policy/) and its per-env config, relative to projects/<layer>/.

    ``invoke deploy|preview`` writes the config file (ops.policy.write_pack_config) before running.
    """
    return ("--policy-pack", "../../policy", "--policy-pack-config", f"../../build/policy/{env.value}.json")


def _command(action: Action, stack: str, yes: bool, env: Environment) -> tuple[str, ...]:
    if action is Action.DEPLOY:
        return ("pulumi", "up", "--stack", stack) + (("--yes", "--skip-preview") if yes else ()) + policy_pack_flags(env)
    if action is Action.PREVIEW:
        return ("pulumi", "preview", "--stack", stack, "--diff") + policy_pack_flags(env)
    if action is Action.DESTROY:
        return ("pulumi", "destroy", "--stack", stack) + (("--yes", "--skip-preview") if yes else ())
    return ("pulumi", "stack", "output", "--stack", stack, "--json")


def plan(
    action: Action | str,
    env: Environment | str,
    organization: str,
    layer: str | None = None,
    deployed: Iterable[str] = (),
    cascade: bool = False,
    yes: bool = False,
) -> Plan:
    """Build the plan; raise `RolloutRefused` when it would leave deployed layers broken."""
    act = Action(action)
    environment = Environment.parse(str(env), source="--env")
    if layer is not None:
        contract(layer)  # unknown layer -> clear ContractError
    live = set(deployed)
    notes: list[str] = []

    if act is Action.DESTROY:
        layers = _destroy_layers(layer, live, cascade, notes)
    elif layer is None:
        layers = list(LAYER_ORDER)
    else:
        layers = [layer]
        if act is Action.DEPLOY:
            missing = [up for up in _upstream_closure(layer) if up not in live]
            if missing:
                raise RolloutRefused(
                    f"{layer} reads {', '.join(missing)}, not deployed in {environment.value}: "
                    f"deploy them first (invoke deploy --env {environment.value})"
                )
    steps = []
    for name in layers:
        stack = stack_reference_name(organization, name, environment.value)
        if act in (Action.DEPLOY, Action.PREVIEW) and name == "compute":
            # Deploy what the tree holds: the build is deterministic, so unchanged code redeploys nothing.
            steps.append(Step(name, stack, ("python", "-m", "invoke", "build"), ".", "build"))
        if act is Action.DEPLOY and name == "compute":
            # Lambda refuses reservations the applied account quota cannot hold; the quota request is
            # asynchronous, so check the applied value before compute starts changing anything.
            steps.append(Step(name, stack, ("python", "-m", "ops.quota", "--env", environment.value), ".",
                              "quota check"))
        steps.append(Step(name, stack, _command(act, stack, yes, environment)))
        if act is Action.DEPLOY and name == "compute":
            # The schema ships with the code: apply it before anything routes traffic to the new code.
            steps.append(Step(name, stack, ("python", "-m", "ops.migrate", "--env", environment.value), ".",
                              "migrations"))
    return Plan(act, environment, steps, notes)


def _upstream_closure(layer: str) -> list[str]:
    found: set[str] = set()
    frontier = set(contract(layer).reads)
    while frontier:
        found |= frontier
        frontier = {up for name in frontier for up in contract(name).reads} - found
    return [name for name in LAYER_ORDER if name in found]


def _destroy_layers(layer: str | None, live: set[str], cascade: bool, notes: list[str]) -> list[str]:
    """Destroy runs in reverse deploy order; a foundation layer goes only with its dependents."""
    if layer is None:
        if not cascade:
            raise RolloutRefused("destroying a whole environment needs --cascade (and --layer to pick one layer)")
        return [name for name in reversed(LAYER_ORDER)]
    dependents = [name for name in downstream_of(layer) if name in live]
    if layer in FOUNDATION_LAYERS and dependents:
        if not cascade:
            raise RolloutRefused(
                f"refusing to destroy {layer}: {', '.join(dependents)} still deployed and read it. "
                f"Destroy them first, or pass --cascade to destroy {', '.join(reversed(dependents))} then {layer}"
            )
        return list(reversed(dependents)) + [layer]
    if dependents:
        notes.append(
            f"{', '.join(dependents)} stay deployed but degraded until {layer} is deployed again "
            f"(they reach it by deterministic names; `invoke deploy --layer {layer}` restores them)"
        )
    return [layer]
