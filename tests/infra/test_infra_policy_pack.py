"""The CrossGuard pack over every layer of every env, as `invoke policy` runs it."""

from __future__ import annotations

import json

import pytest
from serverless_infra_policy.taggable import TAGGABLE_TYPES

from ops.policy import pack_config, write_pack_config
from shared.config import Environment
from shared.synth.crossguard import evaluate
from shared.synth.render import _is_taggable

pytestmark = pytest.mark.policy

MAX_PROD_EXCEPTIONS = 8  # the bound: more would mean the rules no longer describe the stack


def test_every_env_passes_the_pack_with_few_reasoned_exceptions(synth, env):
    report = evaluate(list(synth(env).values()), pack_config(Environment(env)))
    assert report.blocking == [], "\n".join(map(str, report.blocking))
    assert report.unused_exceptions(env) == []
    used = report.used_exceptions()
    assert len(used) <= MAX_PROD_EXCEPTIONS
    assert all(len(e.reason) >= 40 for e in used)
    if env == "prod":
        assert {e.policy for e in used} == {"s3-cross-region-replication", "lambda-async-failure-destination",
                                            "prod-data-protection"}


def test_nat_egress_is_refused_unless_the_env_config_allows_it(render_variant):
    graph = render_variant("network", "dev", {"serverless-infra-network:egressMode": "nat"})
    refused = {f.resource for f in evaluate([graph]).blocking if f.policy == "network-no-internet-path"}
    assert any(name.endswith("-igw") for name in refused) and any("-nat-" in name for name in refused)
    assert any("public-subnet" in name for name in refused)
    allowed = evaluate([graph], {"network-no-internet-path": {"allowInternetEgress": True}})
    assert [f for f in allowed.blocking if f.policy == "network-no-internet-path"] == []


def test_the_pack_knows_which_types_aws_tags(synth, env):
    for graph in synth(env).values():
        for resource in graph.aws_resources():
            assert (resource.type in TAGGABLE_TYPES) == _is_taggable(resource.type), resource.type


def test_listed_taggable_types_are_taggable_in_pulumi_aws():
    wrong = sorted(t for t in TAGGABLE_TYPES if not _is_taggable(t))
    assert wrong == []


def test_pack_config_for_the_cli_comes_from_the_stack_files(tmp_path):
    path = write_pack_config(Environment.PROD, tmp_path)
    config = json.loads(path.read_text())
    assert config["network-no-internet-path"] == {"allowInternetEgress": False}
    # prod's account quota from config/prod.yaml; no other env shares prod's account.
    assert config["reserved-concurrency-quota"] == {"accountConcurrencyLimit": 1500, "reservedElsewhere": 0}
