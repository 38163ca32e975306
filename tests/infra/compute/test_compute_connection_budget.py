"""The connection budget at synth: compute's reservations against the data layer's published limits."""

from __future__ import annotations

import pytest

from shared.config import Environment
from shared.connection_budget import DatabaseLimits, Demand, check
from shared.synth.graph import LayerGraph
from shared.synth.runner import SynthError, render_in_subprocess, upstream_of

pytestmark = pytest.mark.synth

def test_every_env_fits_and_publishes_its_limits(synth, env):
    layers = synth(env)
    limits = DatabaseLimits.from_output(layers["data"].exports["db_connection_limits"])
    # prod reads from its replica under a cap; staging and dev have no replica.
    assert limits.reader_routing == ("replica" if env == "prod" else "proxy")
    assert limits.proxy_max_connections < limits.primary_max_connections
    from shared.components.compute.compute import connection_demand
    from shared.components.compute.settings import ComputeSettings
    from shared.synth.render import layer_config

    demand = connection_demand(ComputeSettings.model_validate(layer_config("compute", env)))
    figures = check(limits, demand)  # what synth checked; the numbers docs/data.md shows
    assert figures["long_held_backends"] <= figures["proxy_backends"] * 0.9
    if env == "prod":
        assert 0 < figures["replica_cap"] <= figures["replica_room"]
        assert figures["replica_connections"] + figures["replica_spillover"] == demand.reserved["api"]


@pytest.fixture
def chain(synth_results, tmp_path_factory):
    """Render data with ``data_config``, then compute fed by that data (network and security as usual)."""

    def render(env: str, data_config: dict, compute_config: dict | None = None) -> tuple[LayerGraph, LayerGraph]:
        base = [r for r in synth_results(env) if r.graph.layer in ("network", "security")]
        out = tmp_path_factory.mktemp(f"chain-{env}")
        data = render_in_subprocess("data", Environment(env), upstream_of(base), out / "data", data_config)
        compute = render_in_subprocess(
            "compute", Environment(env), upstream_of([*base, data]), out / "compute", compute_config or {}
        )
        return data.graph, compute.graph

    return render


REPLICA_READS = {"serverless-infra-data:replicaCount": 1, "serverless-infra-data:readerRouting": "replica",
                 "serverless-infra-data:readerConnectionLimit": 50}


def test_replica_reads_let_only_the_api_connect_to_the_replica(chain):
    data, compute = chain("dev", REPLICA_READS)
    (replica_id,) = data.exports["db_reader_resource_ids"]
    proxy_id = data.exports["db_proxy_arn"].rsplit(":", 1)[-1]
    docs = {r.name.removeprefix("compute-").removesuffix("-policy"): r.json_input("policy")
            for r in compute.of_type("aws:iam/rolePolicy:RolePolicy")}
    for fn, doc in docs.items():
        connect = next(s for s in doc["Statement"] if s["Sid"] == "ConnectAsOwnRole")["Resource"]
        user = "app_owner" if fn == "migrate" else "app_user"
        arn = "arn:aws:rds-db:us-east-1:123456789012:dbuser:{}/{}"
        # On the replica the api signs in as the capped reader role, never as the app role.
        expected = [arn.format(proxy_id, user)] + ([arn.format(replica_id, "app_reader")] if fn == "api" else [])
        assert connect == expected


def test_a_cap_the_replica_cannot_hold_is_refused_at_synth(chain):
    with pytest.raises(SynthError, match=r"readerConnectionLimit 438 exceeds the replica's usable connections: "
                                         r"it takes 450 \(437 after 13"):
        chain("prod", {"serverless-infra-data:readerConnectionLimit": 438})


def test_worker_that_could_hold_the_whole_proxy_pool_is_refused(render_variant):
    dev_functions = {
        "api": {"memoryMb": 512, "timeoutSeconds": 25, "reservedConcurrency": 20},
        "worker": {"memoryMb": 512, "timeoutSeconds": 120, "reservedConcurrency": 80},
        "dlq-analyzer": {"memoryMb": 256, "timeoutSeconds": 60, "reservedConcurrency": 2},
        "migrate": {"memoryMb": 256, "timeoutSeconds": 300, "reservedConcurrency": 1},
    }
    overrides = {
        "serverless-infra-compute:functions": dev_functions,
        "serverless-infra-compute:queue": {"batchSize": 500, "batchingWindowSeconds": 5, "maxConcurrency": 80},
    }
    with pytest.raises(SynthError, match=r"could hold more than 90% of the proxy's 84 backends"):
        render_variant("compute", "dev", overrides)


def test_rules_one_by_one():
    limits = DatabaseLimits.from_settings("db.t4g.micro", "db.t4g.micro", 75, "proxy")
    assert (limits.primary_max_connections, limits.proxy_max_connections) == (112, 84)
    demand = Demand(pool_size=1, reserved={"api": 20, "worker": 5, "migrate": 1}, readers=("api",),
                    long_holders={"worker": 5, "migrate": 1})
    assert check(limits, demand)["long_held_backends"] == 6
    greedy_proxy = DatabaseLimits.from_settings("db.t4g.micro", "db.t4g.micro", 100, "proxy")
    with pytest.raises(ValueError, match="lower proxyMaxConnectionsPercent"):
        check(greedy_proxy, demand)


def test_replica_rules_bound_the_cap_not_the_reservation():
    """More reader environments than the replica takes is fine: the cap holds, the rest spill to the proxy."""
    def replica(cap: int) -> DatabaseLimits:
        return DatabaseLimits.from_settings("db.t4g.medium", "db.t4g.micro", 75, "replica", cap)

    wide = Demand(1, {"api": 1000, "migrate": 1}, ("api",), {})
    figures = check(replica(99), wide)
    assert (figures["replica_room"], figures["replica_connections"], figures["replica_spillover"]) == (99, 99, 901)
    assert figures["proxy_clients"] == 1001  # every api environment is a proxy client, spilled or not
    assert figures["replica_retries_per_s"] == 60  # 901 environments, first retry after >= 15 s
    with pytest.raises(ValueError, match="readerConnectionLimit 100 exceeds the replica's usable connections"):
        check(replica(100), wide)
    with pytest.raises(ValueError, match="readerConnectionLimit 0 reads nothing"):
        check(replica(0), wide)
    with pytest.raises(ValueError, match="api read from the replica but hold no proxy connection"):
        check(replica(99), Demand(1, {"migrate": 1}, ("api",), {}))
    huge = DatabaseLimits.from_settings("db.t4g.medium", "db.r6g.16xlarge", 75, "replica", 10)
    with pytest.raises(ValueError, match=r"could retry the replica 333 times/s .* over the 200 new IAM"):
        check(huge, Demand(1, {"api": 5010}, ("api",), {}))
    assert DatabaseLimits.from_settings("db.t4g.micro", "db.t4g.micro", 75, "proxy", 40).replica_reader_cap == 0


@pytest.mark.parametrize(
    "instance_class, expected",
    [("db.t4g.micro", 112), ("db.t4g.small", 225), ("db.t4g.medium", 450), ("db.t4g.large", 901),
     ("db.r6g.large", 1802), ("db.r6g.16xlarge", 5000)],
)
def test_max_connections_follows_the_rds_formula(instance_class, expected):
    from shared.connection_budget import max_connections

    assert max_connections(instance_class) == expected


def test_unknown_class_is_refused_not_guessed():
    from shared.connection_budget import ConnectionBudgetError, max_connections

    with pytest.raises(ConnectionBudgetError, match="add it to MEMORY_GIB"):
        max_connections("db.x2iedn.large")
