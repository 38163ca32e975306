"""Facts docs/network.md and docs/decisions.md state about subnets, checked on the synthesized graph."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

from shared.synth.render import layer_config

pytestmark = pytest.mark.synth
SUBNET = "aws:ec2/subnet:Subnet"
DOCS = Path(__file__).resolve().parents[3] / "docs"


def prefixes(graph) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for subnet in graph.of_type(SUBNET):
        out.setdefault(subnet.inputs["tags"]["Tier"], set()).add(
            ipaddress.ip_network(subnet.inputs["cidrBlock"]).prefixlen)
    return out


def test_subnet_sizes_are_what_the_docs_say(synth, env):
    graph = synth(env)["network"]
    vpc = ipaddress.ip_network(layer_config("network", env)["vpcCidr"])
    assert vpc.prefixlen == 16
    tiers = {tier: sizes for tier, sizes in prefixes(graph).items()}
    documented = dict(re.findall(r"(Lambda|database) \*\*/(\d+)\*\*", (DOCS / "network.md").read_text()))
    assert tiers == {"lambda": {int(documented["Lambda"])}, "database": {int(documented["database"])}}
    decisions = (DOCS / "decisions.md").read_text()
    assert f"/{documented['Lambda']} Lambda subnets" in decisions and f"/{documented['database']} database" in decisions


def test_raising_az_count_adds_subnets_and_replaces_none(synth, render_variant):
    before = {s.name: s.inputs["cidrBlock"] for s in synth("dev")["network"].of_type(SUBNET)}
    assert layer_config("network", "dev")["azCount"] == 2
    after = {s.name: s.inputs["cidrBlock"] for s in
             render_variant("network", "dev", {"serverless-infra-network:azCount": 3}).of_type(SUBNET)}
    assert {name: after[name] for name in before} == before  # same logical names, same CIDRs: no replacement
    assert len(after) - len(before) == 2  # one Lambda and one database subnet in the third AZ
