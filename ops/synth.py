"""`invoke synth`: the whole system rendered offline under Pulumi mocks, no AWS account needed."""

from __future__ import annotations

from invoke.exceptions import Exit
from invoke.tasks import task

from ops.build import BuildError, artifacts_present, run_build
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
        wanted = LAYER_ORDER.index(layer) if layer in LAYER_ORDER else len(LAYER_ORDER)
        if wanted >= LAYER_ORDER.index("compute") and not artifacts_present():
            # The compute program deploys build/lambda/*.zip; build them rather than fail (CI builds first).
            print("build/lambda/ has no artifacts: running `invoke build` first")
            run_build()
        print(f"synth {env}: layers in deploy order, each under Pulumi mocks in its own process")
        results = synth_env(env, [layer] if layer else None, echo=print)
    except (SynthError, ConfigError, LookupError, BuildError) as error:
        raise Exit(str(error), code=1) from None
    total = sum(len(list(r.graph.aws_resources())) for r in results)
    print(f"{total} AWS resources; resource graphs in {DEFAULT_OUT / env}/")
