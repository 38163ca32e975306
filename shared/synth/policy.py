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


# -- the policy pack: rules over a whole synthesized graph ---------------------------------------

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Violation:
    severity: str
    rule: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"[{self.severity}] {self.rule}: {self.resource}: {self.message}"


def _tag_violations(graph: LayerGraph) -> Iterator[Violation]:
    from shared.tags import REQUIRED_TAG_KEYS

    for r in graph.aws_resources():
        if r.taggable:
            missing = [k for k in REQUIRED_TAG_KEYS if not (r.effective_tags or {}).get(k)]
            if missing:
                yield Violation(ERROR, "required-tags", r.name, f"missing {missing}")


def _encryption_violations(graph: LayerGraph) -> Iterator[Violation]:
    for r in graph.of_type("aws:kms/key:Key"):
        if r.inputs.get("enableKeyRotation") is not True:
            yield Violation(ERROR, "kms-rotation", r.name, "key rotation is off")
    for r in graph.of_type("aws:cloudwatch/logGroup:LogGroup"):
        if not r.inputs.get("kmsKeyId"):
            yield Violation(ERROR, "log-encryption", r.name, "log group not encrypted with a CMK")
        if not r.inputs.get("retentionInDays"):
            yield Violation(ERROR, "log-retention", r.name, "log group keeps logs forever")
    for r in graph.of_type("aws:sqs/queue:Queue"):
        if not r.inputs.get("kmsMasterKeyId"):
            yield Violation(ERROR, "queue-encryption", r.name, "queue not encrypted with a CMK")
    for r in graph.of_type("aws:rds/instance:Instance"):
        if r.inputs.get("publiclyAccessible"):
            yield Violation(ERROR, "rds-public", r.name, "database is publicly accessible")
        if not r.inputs.get("storageEncrypted") and not r.inputs.get("replicateSourceDb"):
            yield Violation(ERROR, "rds-encryption", r.name, "storage not encrypted")


def _network_violations(graph: LayerGraph) -> Iterator[Violation]:
    for r in graph.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        if r.inputs.get("cidrIpv4") == "0.0.0.0/0" or r.inputs.get("cidrIpv6") == "::/0":
            yield Violation(ERROR, "open-ingress", r.name, "ingress from the whole internet")
    for r in graph.of_type("aws:ec2/internetGateway:InternetGateway"):
        yield Violation(WARNING, "internet-egress", r.name,
                        "internet gateway present (egressMode: nat): Lambda subnets can reach the internet")
    for r in graph.of_type("aws:ec2/subnet:Subnet"):
        if r.inputs.get("mapPublicIpOnLaunch"):
            yield Violation(WARNING, "public-subnet", r.name, "public subnet (egressMode: nat)")


def check_graph(graph: LayerGraph) -> list[Violation]:
    """Every policy violation of one layer's graph: errors block, warnings are deliberate opt-ins."""
    violations = [Violation(ERROR, "least-privilege", f.resource, f"{f.statement}: {f.problem}")
                  for f in wildcard_findings(graph)]
    for rule in (_tag_violations, _encryption_violations, _network_violations):
        violations.extend(rule(graph))
    return violations
