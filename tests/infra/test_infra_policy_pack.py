"""The policy pack over every layer of every env, and that nat mode is flagged, not hidden."""

from __future__ import annotations

import pytest

from shared.synth.policy import ERROR, WARNING, check_graph

pytestmark = pytest.mark.policy


def test_no_policy_violation_in_any_layer(synth, env):
    for layer, graph in synth(env).items():
        violations = check_graph(graph)
        assert violations == [], f"{layer}: " + "; ".join(map(str, violations))


def test_nat_egress_is_flagged_as_a_warning(render_variant):
    graph = render_variant("network", "dev", {"serverless-infra-network:egressMode": "nat"})
    violations = check_graph(graph)
    assert {v.rule for v in violations} == {"internet-egress", "public-subnet"}
    assert all(v.severity == WARNING for v in violations)


def test_policy_pack_reports_errors_it_claims_to_check(synth):
    import copy

    graph = copy.deepcopy(synth("dev")["network"])
    graph.one("aws:kms/key:Key").inputs["enableKeyRotation"] = False
    graph.one("aws:cloudwatch/logGroup:LogGroup").inputs.pop("retentionInDays")
    vpc = graph.one("aws:ec2/vpc:Vpc")
    vpc.effective_tags = {k: v for k, v in (vpc.effective_tags or {}).items() if k != "Owner"}
    rules = {v.rule for v in check_graph(graph) if v.severity == ERROR}
    assert rules == {"kms-rotation", "log-retention", "required-tags"}
