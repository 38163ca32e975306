"""The least-privilege checker itself: it must flag what it claims to flag."""

from __future__ import annotations

import json

import pytest

from shared.synth.graph import GraphResource, LayerGraph
from shared.synth.policy import wildcard_findings

pytestmark = pytest.mark.unit


def graph_with(statements: list[dict]) -> LayerGraph:
    policy = GraphResource(
        urn="urn:x", type="aws:iam/policy:Policy", name="p", physical_name="p", id="p", custom=True, parent=None,
        dependencies=[], provider=None, inputs={"policy": json.dumps({"Version": "2012-10-17", "Statement": statements})},
        secret_inputs=[], outputs={}, taggable=True, effective_tags={},
    )
    return LayerGraph(layer="t", env="dev", project="p", stack="dev", resources=[policy], exports={}, secret_exports=[])


def test_flags_wildcard_actions_and_star_resources():
    findings = wildcard_findings(graph_with([
        {"Sid": "A", "Effect": "Allow", "Action": ["ssm:*"], "Resource": ["arn:aws:ssm:us-east-1:1:parameter/x"]},
        {"Sid": "B", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
    ]))
    assert [f.statement for f in findings] == ["A", "B"]


def test_allows_star_only_for_actions_without_resource_level_permissions():
    assert wildcard_findings(graph_with([
        {"Sid": "Xray", "Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
         "Resource": "*"},
    ])) == []
    mixed = wildcard_findings(graph_with([
        {"Sid": "Mixed", "Effect": "Allow", "Action": ["xray:PutTraceSegments", "s3:GetObject"], "Resource": "*"},
    ]))
    assert len(mixed) == 1 and "s3:GetObject" in mixed[0].problem
