"""The architecture as a Mermaid flowchart, drawn from the synthesized graphs (not by hand).

Layers are subgraphs; nodes are the main resources found in the graphs; edges are the request
path, the async path, config reads and the stack references between layers. Mermaid in a
Markdown code fence renders on the common code hosts without extra tools. Output is deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from shared.contracts import LAYER_ORDER
from shared.synth.graph import GraphResource, LayerGraph

FN = "aws:lambda/function:Function"
DB = ("[(", ")]")  # cylinder
QUEUE = ("[[", "]]")  # subroutine box


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _label(text: str) -> str:
    return text.replace('"', "'")


class _Drawing:
    def __init__(self, graphs: Mapping[str, LayerGraph]) -> None:
        self.graphs = graphs
        self.groups: dict[str, list[str]] = {layer: [] for layer in LAYER_ORDER}
        self.edges: list[str] = []

    def of(self, layer: str, token: str) -> list[GraphResource]:
        """Resources of a type, by logical name: renders register them in no fixed order."""
        graph = self.graphs.get(layer)
        return sorted(graph.of_type(token), key=lambda r: r.name) if graph else []

    def node(self, layer: str, node_id: str, label: str, shape: tuple[str, str] = ("[", "]")) -> str:
        self.groups[layer].append(f'{node_id}{shape[0]}"{_label(label)}"{shape[1]}')
        return node_id

    def edge(self, a: str, b: str, label: str = "", style: str = "-->") -> None:
        # Quoted: parentheses or slashes in a bare edge label break the parser (https://mermaid.js.org/syntax/flowchart.html).
        self.edges.append(f'{a} {style}|"{_label(label)}"| {b}' if label else f"{a} {style} {b}")


def _function_role(r: GraphResource, env: str) -> str:
    return str(r.input("name") or r.name).removeprefix(f"serverless-infra-{env}-")


def _network(d: _Drawing) -> None:
    vpcs = d.of("network", "aws:ec2/vpc:Vpc")
    if vpcs:
        zones = len({s.input("availabilityZone") for s in d.of("network", "aws:ec2/subnet:Subnet")})
        d.node("network", "vpc", f"VPC {vpcs[0].input('cidrBlock')}<br/>isolated subnets in {zones} AZs")
    endpoints = sorted(str(e.input("serviceName")).rsplit(".", 1)[-1]
                       for e in d.of("network", "aws:ec2/vpcEndpoint:VpcEndpoint"))
    if endpoints:
        d.node("network", "endpoints", "VPC endpoints<br/>" + ", ".join(endpoints))
    if d.of("network", "aws:ec2/natGateway:NatGateway"):
        d.node("network", "nat", "NAT gateway (opt-in egress)")


def _security(d: _Drawing, env: str) -> None:
    params = [str(p.input("name")) for layer in LAYER_ORDER for p in d.of(layer, "aws:ssm/parameter:Parameter")]
    categories = sorted({p.split("/")[3] for p in params if p.count("/") >= 4})
    if params:
        paths = f"/myapp/{env}/{{{','.join(categories)}}}/"
        d.node("security", "ssm", f"SSM Parameter Store<br/>{paths} ({len(params)} SecureStrings)")
    keys = d.of("security", "aws:kms/key:Key")
    if keys:
        d.node("security", "kms", f"KMS keys x{len(keys)}<br/>one per category, rotation on")
        if params:
            d.edge("ssm", "kms", "decrypt", "-.->")


def _data(d: _Drawing) -> str | None:
    proxy = d.of("data", "aws:rds/proxy:Proxy")
    instances = d.of("data", "aws:rds/instance:Instance")
    primary = next((i for i in instances if not i.input("replicateSourceDb")), None)
    if primary is not None:
        az = "Multi-AZ" if primary.input("multiAz") else "single-AZ"
        d.node("data", "primary", f"RDS PostgreSQL primary<br/>{primary.input('instanceClass')} {az}", DB)
    for n, replica in enumerate(i for i in instances if i.input("replicateSourceDb")):
        rid = d.node("data", f"replica{n + 1}", f"read replica {n + 1}<br/>{replica.input('instanceClass')}", DB)
        d.edge("primary", rid, "replication", "-.->")
    if proxy:
        iam = any(a.get("iamAuth") == "REQUIRED" for a in proxy[0].input("auths") or [] if isinstance(a, dict))
        d.node("data", "proxy", "RDS Proxy<br/>pooled, IAM auth" if iam else "RDS Proxy<br/>pooled")
        if primary is not None:
            d.edge("proxy", "primary", "writes + reads")
        return "proxy"
    return "primary" if primary is not None else None


def _compute(d: _Drawing, env: str, database: str | None) -> dict[str, str]:
    functions = {}
    for f in sorted(d.of("compute", FN), key=lambda r: _function_role(r, env)):
        role = _function_role(f, env)
        arch = (f.input("architectures") or ["x86_64"])[0]
        functions[role] = d.node("compute", _id(f"fn_{role}"), f"λ {role}<br/>{f.input('memorySize'):g} MB {arch}")
        if database and f.inputs.get("vpcConfig"):
            d.edge(functions[role], database, "SQL", "-->")
    queues = {str(q.outputs.get("arn")): q for q in d.of("compute", "aws:sqs/queue:Queue")}
    for _, q in sorted(queues.items()):
        kind = "SQS orders queue" if q.input("redrivePolicy") else "SQS dead-letter queue"
        d.node("compute", _id(f"q_{q.name}"), kind, QUEUE)
        if q.input("redrivePolicy"):
            target = next((o for a, o in queues.items() if a in str(q.input("redrivePolicy"))), None)
            if target is not None:
                d.edge(_id(f"q_{q.name}"), _id(f"q_{target.name}"), "after maxReceiveCount", "-.->")
            if "api" in functions:
                d.edge(functions["api"], _id(f"q_{q.name}"), "POST /orders/async")
    for m in d.of("compute", "aws:lambda/eventSourceMapping:EventSourceMapping"):
        q = queues.get(str(m.input("eventSourceArn")))
        role = str(m.input("functionName")).split(":function:")[-1].split(":")[0].removeprefix(f"serverless-infra-{env}-")
        if q is not None and role in functions:
            d.edge(_id(f"q_{q.name}"), functions[role], f"batches of {m.input('batchSize'):g}")
    _reads_from_replica(d, functions)
    return functions


def _reads_from_replica(d: _Drawing, functions: dict[str, str]) -> None:
    """When the app's reader_host parameter is built from a replica (readerRouting: replica), the
    functions read there directly: the parameter's dependencies in the graph say which."""
    replicas = {r.urn: n + 1 for n, r in enumerate(i for i in d.of("data", "aws:rds/instance:Instance")
                                                   if i.input("replicateSourceDb"))}
    for parameter in d.of("data", "aws:ssm/parameter:Parameter"):
        if str(parameter.input("name")).endswith("/reader_host"):
            for urn in parameter.dependencies:
                if urn in replicas and "api" in functions:
                    d.edge(functions["api"], f"replica{replicas[urn]}", "reads")


def _api(d: _Drawing, functions: dict[str, str]) -> None:
    path = ["client"]
    for acl in d.of("api", "aws:wafv2/webAcl:WebAcl"):
        path.append(d.node("api", _id(f"waf_{acl.name}"), f"WAF web ACL<br/>{len(acl.input('rules') or [])} rules"))
    for rest in d.of("api", "aws:apigateway/restApi:RestApi"):
        path.append(d.node("api", _id(f"apigw_{rest.name}"), f"API Gateway REST<br/>{rest.input('name')}"))
    if "api" in functions:
        path.append(functions["api"])
    for a, b in zip(path, path[1:], strict=False):
        direct = a == "client" and b == functions.get("api")  # no WAF or API Gateway in the graph (yet)
        d.edge(a, b, "HTTPS (no API Gateway in the graph yet)" if direct else "HTTPS" if a == "client" else "")


def _observability(d: _Drawing) -> None:
    counts = [(len(d.of("observability", t)), label) for t, label in (
        ("aws:cloudwatch/dashboard:Dashboard", "dashboards"), ("aws:cloudwatch/metricAlarm:MetricAlarm", "alarms"),
        ("aws:sns/topic:Topic", "SNS topics"), ("aws:cfg/rule:Rule", "Config rules"), ("aws:budgets/budget:Budget", "budgets"))]
    shown = [f"{n} {label}" for n, label in counts if n]
    if shown:
        d.node("observability", "monitoring", "CloudWatch + Config<br/>" + ", ".join(shown))


def render_mermaid(graphs: Mapping[str, LayerGraph]) -> str:
    env = next(iter(graphs.values())).env
    d = _Drawing(graphs)
    _network(d)
    _security(d, env)
    database = _data(d)
    functions = _compute(d, env, database)
    if "ssm" in "".join(d.groups["security"]):
        for fn in functions.values():
            d.edge(fn, "ssm", "config", "-.->")
    _api(d, functions)
    _observability(d)
    lines = ["```mermaid", "flowchart LR", '  client(["client"])']
    for layer in LAYER_ORDER:
        body = d.groups[layer] or [f'{layer}_empty["(no resources yet)"]']
        lines.append(f'  subgraph {layer}["{layer} layer"]')
        lines += [f"    {n}" for n in body]
        lines.append("  end")
    lines += [f"  {e}" for e in d.edges]
    for layer in LAYER_ORDER:
        graph = graphs.get(layer)
        for ref in sorted(graph.reads if graph else []):
            producer = ref.split("/")[1].removeprefix("serverless-infra-")
            lines.append(f'  {producer} ==>|"stack ref"| {layer}')
    lines.append("```")
    return "\n".join(lines) + "\n"
