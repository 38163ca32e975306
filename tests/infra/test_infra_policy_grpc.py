"""The pack folder run the way the Pulumi CLI runs it, driven over its gRPC analyzer interface.

`pulumi preview --policy-pack policy` starts `python policy/` (it prints the port it serves on),
asks GetAnalyzerInfo for the policies and their initial config, then calls Analyze per resource
and AnalyzeStack once. This test does the same with resources of a synthesized graph (broken on
purpose in a few places) and checks the pack reports exactly what `invoke policy` reports.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from ops.policy import pack_config
from shared.config import REPO_ROOT, Environment
from shared.synth.crossguard import evaluate
from shared.synth.graph import GraphResource, LayerGraph

pytestmark = pytest.mark.policy

PACK = REPO_ROOT / "policy"


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    process = subprocess.Popen([sys.executable, "-u", str(PACK)], cwd=PACK, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), f"the pack did not start: {port!r} {process.stderr.read() if process.stderr else ''}"
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        # As the engine does: the pack's initial config (defaults + exceptions file), overlaid with the
        # --policy-pack-config file `invoke deploy` writes for prod, goes back via Configure.
        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        file_config = pack_config(Environment.PROD)
        stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
            name: analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY, properties=_struct(
                {**json_format.MessageToDict(config.properties), **file_config.get(name, {})}))
            for name, config in info.initialConfig.items()}))
        yield stub
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=10)


def _struct(value: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    json_format.ParseDict(json.loads(json.dumps(value, default=str)), message)
    return message


def _provider(graph: LayerGraph, resource: GraphResource) -> analyzer_pb2.AnalyzerProviderResource | None:
    found = next((r for r in graph.resources if r.urn == resource.provider), None)
    if found is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(type=found.type, properties=_struct(found.inputs), urn=found.urn,
                                                 name=found.name)


def _checked(graph: LayerGraph) -> list[GraphResource]:
    return [r for r in graph.resources if r.custom and not r.type.startswith("pulumi:")]


def cli_findings(stub: analyzer_pb2_grpc.AnalyzerStub, graph: LayerGraph) -> set[tuple[str, str]]:
    """(policy, resource name) of every diagnostic the pack returns over gRPC for one graph."""
    found = set()
    for r in _checked(graph):
        response = stub.Analyze(analyzer_pb2.AnalyzeRequest(
            type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name, provider=_provider(graph, r)))
        found |= {(d.policyName, r.name) for d in response.diagnostics}
    stack = stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name,
                                      provider=_provider(graph, r), parent=r.parent or "",
                                      dependencies=r.dependencies)
        for r in _checked(graph)]))
    found |= {(d.policyName, d.urn.rsplit("::", 1)[-1]) for d in stack.diagnostics}
    return found


def broken(graph: LayerGraph) -> LayerGraph:
    """A copy of the prod compute graph with one violation per kind of check."""
    graph = copy.deepcopy(graph)
    graph.one("aws:lambda/function:Function", "compute-api-function").inputs.pop("tracingConfig")
    graph.one("aws:cloudwatch/logGroup:LogGroup", "compute-worker-logs").inputs["retentionInDays"] = 30
    graph.one("aws:sqs/queue:Queue", "compute-queues-queue").inputs.pop("redrivePolicy")
    async_config = graph.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "compute-api-async")
    async_config.inputs.pop("destinationConfig")
    return graph


def test_the_pack_announces_every_rule_with_its_level(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    from serverless_infra_policy.pack import RULES

    assert info.name == "serverless-infra"
    levels = {p.name: p.enforcementLevel for p in info.policies}
    assert set(levels) == {r.name for r in RULES}
    assert all(levels[r.name] == analyzer_pb2.MANDATORY for r in RULES if r.level.value == "mandatory")
    assert levels["lambda-cost-and-limits"] == analyzer_pb2.ADVISORY
    # The exceptions file reaches the CLI as initial config.
    config = json_format.MessageToDict(info.initialConfig["lambda-async-failure-destination"].properties)
    assert {r for e in config["exceptions"] for r in e["resources"]} == {
        "compute-dlq-analyzer-function", "compute-migrate-function"}


def test_the_cli_path_reports_what_invoke_policy_reports(analyzer, synth):
    graph = broken(synth("prod")["compute"])
    report = evaluate([graph], pack_config(Environment.PROD))
    offline = {(f.policy, f.resource) for f in report.findings if f.waived_by is None}
    assert offline == {
        ("xray-tracing", "compute-api-function"),
        ("log-retention", "compute-worker-logs"),
        ("sqs-dead-letter-queues", "compute-queues-queue"),
        ("sqs-dead-letter-queues", "compute-queues-dlq"),  # no queue redrives to it any more
        ("lambda-async-failure-destination", "compute-api-function"),
    }
    assert cli_findings(analyzer, graph) == offline


def test_pack_folder_is_complete_for_the_cli():
    project = (PACK / "PulumiPolicy.yaml").read_text()
    assert "name: python" in project
    requirements = (PACK / "requirements.txt").read_text().split()
    constraints = set(Path(REPO_ROOT / "constraints.txt").read_text().replace("_", "-").lower().split())
    for pin in (line for line in requirements if "==" in line):
        assert pin.replace("_", "-").lower() in constraints, f"{pin} differs from constraints.txt"
