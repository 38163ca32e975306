"""`invoke synth`: the whole system rendered offline under Pulumi mocks, no AWS account needed."""

from __future__ import annotations

from invoke import task
from invoke.exceptions import Exit

from shared.config import ConfigError
from shared.contracts import LAYER_ORDER
from shared.synth.runner import DEFAULT_OUT, SynthError, synth_env


@task(help={
    "env": "dev, staging or prod",
    "layer": f"render up to this layer only (its upstreams are rendered too): {', '.join(LAYER_ORDER)}",
})
def synth(c, env="dev", layer=None):
    """Render every layer in deploy order offline and write build/synth/<env>/<layer>.json."""
    try:
        print(f"synth {env}: layers in deploy order, each under Pulumi mocks in its own process")
        results = synth_env(env, [layer] if layer else None, echo=print)
    except (SynthError, ConfigError, LookupError) as error:
        raise Exit(str(error), code=1) from None
    total = sum(len(list(r.graph.aws_resources())) for r in results)
    print(f"{total} AWS resources; resource graphs in {DEFAULT_OUT / env}/")
