"""invoke front door: `invoke --list`. Each namespace lives in its own module under ops/."""

from invoke import Collection

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

ns = Collection()
ns.add_task(build.build)
ns.add_task(synth.synth)
for name in ("deploy", "preview", "destroy", "outputs"):
    ns.add_task(getattr(deploy, name))
ns.add_task(migrate.migrate)
ns.add_task(policy.policy)
ns.add_task(docs.docs)
ns.add_task(cost.cost)
ns.add_task(cost.diagram)
ns.add_task(quality.test)
ns.add_task(app.serve)
ns.add_task(app.bench)
ns.add_task(drill.drill)
ns.add_task(integration.test_integration)
ns.add_task(integration.loadtest)
ns.add_collection(params.ns, name="params")
ns.add_collection(api.ns, name="api")
release.ns.add_task(config_refresh.refresh_task, name="refresh")
ns.add_collection(release.ns, name="release")
ns.add_collection(Collection.from_module(dlq), name="dlq")
ns.add_collection(Collection("data", db_restore.adopt_restored), name="data")
