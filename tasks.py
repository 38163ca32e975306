"""invoke front door: `invoke --list`. Each namespace lives in its own module under ops/."""

from invoke import Collection

from ops import build, synth

ns = Collection()
ns.add_task(build.build)
ns.add_task(synth.synth)
