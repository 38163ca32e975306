"""The offline synth's fakes cover what the programs create, and nothing else.

A fake for a resource type no program creates is dead code that still looks like a supported path;
a removed resource type should take its fake with it.
"""

from __future__ import annotations

import pytest

from shared.synth import fake_aws

pytestmark = pytest.mark.synth

# Config variants that create types the three envs' defaults do not (NAT egress, a custom API domain).
VARIANTS = [
    ("network", "staging", {"serverless-infra-network:egressMode": "nat", "serverless-infra-network:natGatewayCount": 1}),
    ("api", "prod", {"serverless-infra-api:domain": {"name": "api.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ"}}),
]


def test_every_fake_is_for_a_type_some_program_creates(synth, render_variant):
    created = {r.type for env in ("dev", "staging", "prod") for graph in synth(env).values() for r in graph.resources}
    for layer, env, config in VARIANTS:
        created |= {r.type for r in render_variant(layer, env, config).resources}
    assert set(fake_aws.RESOURCES) - created == set()
