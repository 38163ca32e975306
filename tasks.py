"""invoke front door: `invoke --list`. Each namespace lives in its own module under ops/."""

from invoke import Collection

from ops import build, params, synth

ns = Collection()
ns.add_task(build.build)
ns.add_task(synth.synth)
ns.add_collection(params.ns, name="params")
