"""Every interface endpoint has a caller inside the VPC, and every AWS API the app calls has an endpoint.

Crosses three boundaries: the app code (which boto3 clients the Lambda zip creates), the network
graph (which endpoints exist) and the compute/data graphs (who the named callers are, and that their
IAM grants the calls).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from shared.components.network.endpoints import INTERFACE_ENDPOINT_CALLERS, LOCAL_ONLY_CLIENTS

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[3]
# Laptop-only modules that the function zip leaves out (ops/build.py).
NOT_SHIPPED = {"devserver.py", "bench.py", "local.py"}


def _client_service(node: ast.AST) -> str | None:
    """The service of ``boto3.client("<service>", ...)``, ``aws.client("<service>", ...)`` (app/aws.py, the
    app's one session) or ``<session>.create_client("<service>", ...)``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args
            and isinstance(node.args[0], ast.Constant)):
        return None
    factory = node.func.attr == "client" and isinstance(node.func.value, ast.Name) and node.func.value.id in ("boto3", "aws")
    return str(node.args[0].value) if factory or node.func.attr == "create_client" else None


def boto3_clients_in_app() -> dict[str, list[str]]:
    """service -> app modules that make an AWS client for it (boto3's or botocore's)."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "app").rglob("*.py")):
        if path.name in NOT_SHIPPED:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            service = _client_service(node)
            if service:
                found.setdefault(service, []).append(str(path.relative_to(ROOT)))
    return found


def interface_services(graph) -> set[str]:
    return {e.inputs["serviceName"].rsplit(".", 1)[1] for e in graph.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
            if e.inputs["vpcEndpointType"] == "Interface"}


def test_the_scan_sees_the_clients_the_app_makes():
    # The RDS IAM token is signed locally with botocore's signer (app/iam_auth.py): no client, no call.
    clients = boto3_clients_in_app()
    assert {"ssm", "sqs"} <= set(clients), clients


def test_every_service_the_shipped_app_calls_has_an_endpoint(synth, env):
    endpoints = interface_services(synth(env)["network"])
    for service, modules in boto3_clients_in_app().items():
        if service in LOCAL_ONLY_CLIENTS:
            continue
        assert service in endpoints, f"{modules} call {service} from the VPC, which has no {service} endpoint"


def test_every_endpoint_names_callers_that_exist_and_may_call_it(synth, env):
    graphs = synth(env)
    endpoints = interface_services(graphs["network"])
    assert endpoints == set(INTERFACE_ENDPOINT_CALLERS), "an endpoint without a caller costs $7.30/AZ-month for nothing"
    functions = {f.inputs["name"].removeprefix(f"serverless-infra-{env}-"): f
                 for f in graphs["compute"].of_type("aws:lambda/function:Function")}
    policies = " ".join(json.dumps(r.inputs.get("policy")) for g in graphs.values() for r in g.resources
                        if r.type in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"))
    for service, need in INTERFACE_ENDPOINT_CALLERS.items():
        for caller in need.callers:
            kind, _, name = caller.partition(":")
            if kind == "function":
                assert name in functions, f"{service} endpoint: no function {name} in the {env} graph"
            elif kind == "secret-rotation":
                assert graphs["data"].of_type("aws:secretsmanager/secretRotation:SecretRotation"), \
                    f"{service} endpoint: no secret rotation in the graph"
            else:
                raise AssertionError(f"unknown caller kind {caller!r}")
        for call in need.calls:
            assert f'\\"{call}\\"' in policies or f'"{call}"' in policies, f"no IAM policy in the graph grants {call}"
