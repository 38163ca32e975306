"""Run the CrossGuard pack in ``policy/`` offline, on synthesized graphs.

The pack's own validators get each graph resource exactly as the engine hands them over during
``pulumi preview --policy-pack policy``: wire-named inputs, the provider (with its default tags)
and, for stack policies, every resource with its dependencies. So what CI checks is what the CLI
enforces. Exceptions are matched here (not inside the validators) so a run can list each waiver
with its reason and refuse exceptions that no longer match anything.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.config import REPO_ROOT
from shared.synth.graph import GraphResource, LayerGraph

POLICY_PACK_DIR = REPO_ROOT / "policy"
# The pack folder is what the CLI runs (its modules are top-level there); import it the same way.
if str(POLICY_PACK_DIR) not in sys.path:
    sys.path.insert(0, str(POLICY_PACK_DIR))

from pulumi_policy import (  # noqa: E402
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from serverless_infra_policy import exceptions  # noqa: E402
from serverless_infra_policy.pack import RULES, Rule, initial_config  # noqa: E402
from serverless_infra_policy.props import name_of  # noqa: E402


@dataclass(frozen=True)
class Finding:
    policy: str
    level: str  # mandatory | advisory
    layer: str
    urn: str
    message: str
    waived_by: exceptions.PolicyException | None = None

    @property
    def resource(self) -> str:
        return name_of(self.urn)

    def __str__(self) -> str:
        return f"[{self.level}] {self.policy}: {self.resource}: {self.message}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    exceptions: list[exceptions.PolicyException] = field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "mandatory" and f.waived_by is None]

    @property
    def waived(self) -> list[Finding]:
        return [f for f in self.findings if f.waived_by is not None]

    @property
    def advisories(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "advisory" and f.waived_by is None]

    def used_exceptions(self) -> list[exceptions.PolicyException]:
        used = {id(f.waived_by) for f in self.waived}
        return [e for e in self.exceptions if id(e) in used]

    def unused_exceptions(self, env: str) -> list[exceptions.PolicyException]:
        used = {id(f.waived_by) for f in self.waived}
        return [e for e in self.exceptions if env in e.envs and id(e) not in used]


def _options(resource: GraphResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=None, aliases=[],
                                 custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[],
                                 parent=resource.parent)


def _providers(graph: LayerGraph) -> dict[str, PolicyProviderResource]:
    return {r.urn: PolicyProviderResource(r.type, r.inputs, r.urn, r.name)
            for r in graph.resources if r.type.startswith("pulumi:providers:")}


def _checked(graph: LayerGraph) -> list[GraphResource]:
    """The resources the engine would analyze: custom resources, not providers or the stack."""
    return [r for r in graph.resources if r.custom and not r.type.startswith("pulumi:")]


def policy_resources(graph: LayerGraph) -> list[PolicyResource]:
    """The graph as a StackValidationArgs resource list, with parents and dependencies linked."""
    providers = _providers(graph)
    built = {r.urn: PolicyResource(r.type, r.inputs, r.urn, r.name, _options(r), providers.get(r.provider or ""),
                                   None, [], {}) for r in _checked(graph)}
    for r in _checked(graph):
        built[r.urn].parent = built.get(r.parent or "")
        built[r.urn].dependencies = [built[d] for d in r.dependencies if d in built]
    return list(built.values())


def _level(rule: Rule, config: Mapping[str, Any]) -> str:
    level = config.get("enforcementLevel")
    return EnforcementLevel(level).value if level else rule.level.value


def _run_rule(rule: Rule, config: dict[str, Any], graph: LayerGraph, report: Report,
              stack_resources: list[PolicyResource]) -> None:
    """One policy over one graph, its findings appended to ``report`` (waivers matched per finding)."""
    level = _level(rule, config)
    if level == "disabled":
        return
    # The validators get the config without exceptions; waivers are matched here, for the listing.
    rule_config = {k: v for k, v in config.items() if k not in ("exceptions", "enforcementLevel")}
    waivers = [e for e in report.exceptions if e.policy == rule.name]
    providers = _providers(graph)

    def record(message: str, urn: str | None, default_urn: str) -> None:
        target = urn or default_urn
        report.findings.append(Finding(rule.name, level, graph.layer, target, message,
                                       exceptions.waiver(waivers, rule.name, target)))

    if rule.stack:
        stack_urn = f"urn:pulumi:{graph.stack}::{graph.project}::pulumi:pulumi:Stack::{graph.project}-{graph.stack}"
        rule.validate(StackValidationArgs(stack_resources, rule_config),
                      lambda m, u=None: record(m, u, stack_urn))
        return
    for r in _checked(graph):
        args = ResourceValidationArgs(r.type, r.inputs, r.urn, r.name, _options(r),
                                      providers.get(r.provider or ""), rule_config)
        rule.validate(args, lambda m, u=None, urn=r.urn: record(m, u, urn))


def evaluate(graphs: Sequence[LayerGraph], overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Report:
    """Every policy of the pack over every graph, with the pack's config (defaults, exceptions, overrides)."""
    config = {name: dict(value) if isinstance(value, Mapping) else {"enforcementLevel": value.value}
              for name, value in initial_config(overrides).items()}
    report = Report(exceptions=[e for rule in RULES for e in exceptions.from_config(rule.name, config[rule.name])])
    for graph in graphs:
        stack_resources = policy_resources(graph)
        for rule in RULES:
            _run_rule(rule, config[rule.name], graph, report, stack_resources)
    return report

def violations(graph: LayerGraph, policy: str, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """One policy's unwaived findings on one graph, as text (what layer tests assert is empty)."""
    return [str(f) for f in evaluate([graph], overrides).findings if f.policy == policy and f.waived_by is None]
