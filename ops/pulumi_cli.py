"""Running the real Pulumi CLI: preflight checks, stack creation, streaming each layer's command.

We drive the CLI rather than the Automation API: the Automation API needs the same CLI installed,
and plain commands stream Pulumi's own progress and are what an operator can copy and rerun.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from ops.rollout import Action, Plan, Step
from shared.config import REPO_ROOT

INSTALL_HINT = "install it (https://www.pulumi.com/docs/iac/download-install/), e.g. `curl -fsSL https://get.pulumi.com | sh`"
LOGIN_HINT = ("log in to a backend first: `pulumi login s3://<state-bucket>` or `pulumi login file://~/.pulumi-state` "
              "(self-managed, org 'organization') or `pulumi login` (Pulumi Cloud, set `organization` in config/<env>.yaml)")


class PulumiUnavailable(RuntimeError):
    """No CLI, or no backend login: the message says what to do."""


class LayerFailed(RuntimeError):
    def __init__(self, step: Step, code: int, remaining: list[str], command: list[str] | None = None) -> None:
        after = f"; not run: {', '.join(remaining)}" if remaining else ""
        ran = " ".join(command or step.command)
        super().__init__(f"{step.label} failed (`{ran}` in {step.cwd} exit {code}){after}")
        self.step, self.code, self.remaining = step, code, remaining


@dataclass
class Completed:
    code: int
    stdout: str = ""


Runner = Callable[[list[str], str, bool], Completed]


def subprocess_runner(command: list[str], cwd: str, capture: bool) -> Completed:
    """Run in ``cwd``; stream to the terminal unless ``capture``. ``python`` is this interpreter."""
    if command[0] == "python":
        command = [sys.executable, *command[1:]]
    proc = subprocess.run(command, cwd=REPO_ROOT / cwd, text=True, check=False,
                          capture_output=capture)
    return Completed(proc.returncode, proc.stdout if capture else "")


class PulumiCli:
    def __init__(self, runner: Runner = subprocess_runner, which: Callable[[str], str | None] = shutil.which) -> None:
        self._run, self._which = runner, which

    def preflight(self) -> None:
        if self._which("pulumi") is None:
            raise PulumiUnavailable(f"the Pulumi CLI is not on PATH: {INSTALL_HINT}")
        if self._run(["pulumi", "whoami"], ".", True).code != 0:
            raise PulumiUnavailable(f"the Pulumi CLI is not logged in to a backend: {LOGIN_HINT}")

    def deployed_layers(self, plan_for_status: list[Step]) -> set[str]:
        """Layers whose stack exists and holds resources (from `pulumi stack ls --json`)."""
        live = set()
        for step in plan_for_status:
            result = self._run(["pulumi", "stack", "ls", "--json"], step.cwd, True)
            if result.code != 0:
                continue
            for stack in json.loads(result.stdout or "[]"):
                if stack.get("name") in (step.stack, step.stack.rsplit("/", 1)[-1]) and stack.get("resourceCount", 0) > 0:
                    live.add(step.layer)
        return live

    def ensure_stack(self, step: Step, remaining: list[str]) -> None:
        """Select the layer's stack, creating it if it does not exist yet."""
        command = ["pulumi", "stack", "select", "--stack", step.stack, "--create"]
        result = self._run(command, step.cwd, True)
        if result.code != 0:
            raise LayerFailed(step, result.code, remaining, command)

    def execute(self, plan: Plan, echo: Callable[[str], None] = print) -> None:
        """Run the plan in order; stop at the first failing layer and say which."""
        for i, step in enumerate(plan.steps):
            echo(f"==> [{i + 1}/{len(plan.steps)}] {step.label} ({step.stack}): {' '.join(step.command)}")
            remaining = [s.label for s in plan.steps[i + 1:]]
            if step.is_pulumi and plan.action in (Action.DEPLOY, Action.PREVIEW):
                self.ensure_stack(step, remaining)
            result = self._run(list(step.command), step.cwd, False)
            if result.code != 0:
                raise LayerFailed(step, result.code, remaining)
        for note in plan.notes:
            echo(f"note: {note}")
