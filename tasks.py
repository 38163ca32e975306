"""invoke front door: `invoke --list`. Each namespace lives in its own module under tasks/."""

from invoke import Collection

from ops import synth

ns = Collection()
ns.add_task(synth.synth)
