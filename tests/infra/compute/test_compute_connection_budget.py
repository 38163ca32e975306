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
    assert limits.reader_routing == "proxy"
    assert limits.proxy_max_connections < limits.primary_max_connections
    from shared.components.compute.compute import connection_demand
    from shared.components.compute.settings import ComputeSettings
    from shared.synth.render import layer_config

    demand = connection_demand(ComputeSettings.model_validate(layer_config("compute", env)))
    figures = check(limits, demand)  # what synth checked; the numbers docs/data.md shows
    assert figures["long_held_backends"] <= figures["proxy_backends"] * 0.9


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


REPLICA_READS = {"serverless-infra-data:replicaCount": 1, "serverless-infra-data:readerRouting": "replica"}


def test_replica_reads_let_only_the_api_connect_to_the_replica(chain):
    data, compute = chain("dev", REPLICA_READS)
    (replica_id,) = data.exports["db_reader_resource_ids"]
    proxy_id = data.exports["db_proxy_arn"].rsplit(":", 1)[-1]
    docs = {r.name.removeprefix("compute-").removesuffix("-policy"): r.json_input("policy")
            for r in compute.of_type("aws:iam/rolePolicy:RolePolicy")}
    for fn, doc in docs.items():
        connect = next(s for s in doc["Statement"] if s["Sid"] == "ConnectAsOwnRole")["Resource"]
        user = "app_owner" if fn == "migrate" else "app_user"
        expected = [proxy_id, replica_id] if fn == "api" else [proxy_id]
        assert connect == [f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{rid}/{user}" for rid in expected]


def test_prod_api_is_too_wide_for_direct_replica_reads(chain):
    with pytest.raises(SynthError, match=r"readerRouting 'replica': api 1000 reserved environments x pool 1 = 1000"):
        chain("prod", REPLICA_READS)


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
    replica = DatabaseLimits.from_settings("db.t4g.medium", "db.t4g.micro", 75, "replica")
    with pytest.raises(ValueError, match="replica takes 112"):
        check(replica, Demand(1, {"api": 100}, ("api",), {}))
    assert check(replica, Demand(1, {"api": 99}, ("api",), {}))["replica_connections"] == 99


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
