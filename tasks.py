"""invoke front door: `invoke --list`. Each namespace lives in its own module under ops/."""

from invoke.collection import Collection
from invoke.tasks import Task

from ops import (
    api,
    app,
    build,
    config_refresh,
    cost,
    db_restore,
    deploy,
    dlq,
    docs,
    drill,
    integration,
    migrate,
    params,
    policy,
    quality,
    release,
    synth,
)


def _task(decorated: object) -> Task:
    """An ops function decorated with ``@task(...)``: invoke types the decorator as returning the plain
    function, while at run time it is a ``Task`` (refused here if it is not)."""
    if not isinstance(decorated, Task):
        raise TypeError(f"{decorated!r} is not an invoke task: decorate it with @task")
    return decorated


ns = Collection()
for single in (
    build.build, synth.synth, deploy.deploy, deploy.preview, deploy.destroy, deploy.outputs, migrate.migrate,
    policy.policy, docs.docs, cost.cost, cost.diagram, quality.test, app.serve, app.bench, drill.drill,
    integration.test_integration, integration.loadtest,
):
    ns.add_task(_task(single))
ns.add_collection(params.ns, name="params")
ns.add_collection(api.ns, name="api")
release.ns.add_task(_task(config_refresh.refresh_task), name="refresh")
ns.add_collection(release.ns, name="release")
ns.add_collection(Collection.from_module(dlq), name="dlq")
ns.add_collection(Collection("data", db_restore.adopt_restored), name="data")
