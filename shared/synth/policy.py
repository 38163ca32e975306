"""Least-privilege checks over the IAM documents of a synthesized graph.

Used by the layer tests and `invoke policy`: no wildcard action anywhere, and no ``"*"`` resource
except for the actions AWS offers no resource-level permission for (listed, with the reason).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shared.synth.graph import GraphResource, LayerGraph

# Actions that only accept Resource "*" (AWS Service Authorization Reference: no resource types).
RESOURCE_STAR_ONLY = frozenset({
    "xray:PutTraceSegments", "xray:PutTelemetryRecords",
    "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries",
    "cloudwatch:PutMetricData",  # scope it with a cloudwatch:namespace condition instead
    "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses", "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs",
    "kms:ListAliases", "ssm:DescribeParameters",
})

IDENTITY_POLICY_INPUTS = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
}


@dataclass(frozen=True)
class Finding:
    resource: str
    statement: str
    problem: str

    def __str__(self) -> str:
        return f"{self.resource} {self.statement}: {self.problem}"


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value or [])


def identity_documents(graph: LayerGraph) -> Iterator[tuple[GraphResource, dict[str, Any]]]:
    """Every identity policy document in the graph (managed, inline role policies, role inline policies)."""
    for resource in graph.resources:
        field = IDENTITY_POLICY_INPUTS.get(resource.type)
        if field and resource.inputs.get(field):
            yield resource, json.loads(resource.inputs[field])
        if resource.type == "aws:iam/role:Role":
            for inline in resource.inputs.get("inlinePolicies") or []:
                if inline.get("policy"):
                    yield resource, json.loads(inline["policy"])


def wildcard_findings(graph: LayerGraph) -> list[Finding]:
    findings = []
    for resource, doc in identity_documents(graph):
        for i, statement in enumerate(doc.get("Statement", [])):
            where = statement.get("Sid") or f"Statement[{i}]"
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement or "NotResource" in statement:
                findings.append(Finding(resource.name, where, "NotAction/NotResource in an Allow"))
            actions = _as_list(statement.get("Action"))
            for action in actions:
                if "*" in action:
                    findings.append(Finding(resource.name, where, f"wildcard action {action!r}"))
            for res in _as_list(statement.get("Resource")):
                if res == "*" and not set(actions) <= RESOURCE_STAR_ONLY:
                    findings.append(Finding(resource.name, where,
                                            f"Resource '*' for {sorted(set(actions) - RESOURCE_STAR_ONLY)}"))
    return findings
