"""`invoke policy`: the policy pack over the synthesized graphs (no AWS account needed)."""

from __future__ import annotations

from invoke.exceptions import Exit
from invoke.tasks import task

from shared.config import ConfigError
from shared.synth.policy import ERROR, check_graph
from shared.synth.runner import SynthError, synth_env


@task(help={"env": "dev, staging or prod"})
def policy(c, env="prod"):
    """Synthesize every layer and check least privilege, tags, encryption and network exposure."""
    try:
        results = synth_env(env)
    except (SynthError, ConfigError) as error:
        raise Exit(str(error), code=1) from None
    errors = 0
    for result in results:
        violations = check_graph(result.graph)
        errors += sum(v.severity == ERROR for v in violations)
        status = "ok" if not violations else f"{len(violations)} finding(s)"
        print(f"{result.graph.layer:<14} {status}")
        for violation in violations:
            print(f"    {violation}")
    if errors:
        raise Exit(f"policy: {errors} error(s) in {env}", code=1)
    print(f"policy: {env} passes")
