"""The network layer, per env: isolation, endpoints, security group rules, flow logs, config."""

from __future__ import annotations

import ipaddress

import pytest

from shared.synth.render import layer_config

pytestmark = pytest.mark.synth

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def stack_settings(env: str) -> dict:
    return layer_config("network", env)


def tier_of(subnet) -> str:
    return subnet.inputs["tags"]["Tier"]


def subnet_routes(graph, tier: str) -> list:
    """Every route in the route tables associated with subnets of ``tier``."""
    subnet_ids = {s.id for s in graph.of_type(SUBNET) if tier_of(s) == tier}
    tables = {a.inputs["routeTableId"] for a in graph.of_type(RTA) if a.inputs["subnetId"] in subnet_ids}
    assert tables, f"no route table associated with the {tier} subnets"
    return [r for r in graph.of_type(ROUTE) if r.inputs["routeTableId"] in tables]


def test_subnets_per_az_and_no_public_subnet_by_default(synth, env):
    graph = synth(env)["network"]
    az_count = stack_settings(env)["azCount"]
    tiers = [tier_of(s) for s in graph.of_type(SUBNET)]
    assert tiers.count("lambda") == az_count and tiers.count("database") == az_count
    assert "public" not in tiers
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in graph.of_type(SUBNET))
    zones = {s.inputs["availabilityZone"] for s in graph.of_type(SUBNET) if tier_of(s) == "lambda"}
    assert len(zones) == az_count
    assert graph.exports["availability_zones"] == sorted(zones)


def test_no_internet_route_and_no_gateway_in_default_mode(synth, env):
    graph = synth(env)["network"]
    assert graph.exports["egress_mode"] == "none"
    assert graph.of_type(ROUTE) == []
    assert graph.of_type("aws:ec2/internetGateway:InternetGateway") == []
    assert graph.of_type("aws:ec2/natGateway:NatGateway") == []


def test_subnets_sit_inside_the_vpc_without_overlap(synth, env):
    graph = synth(env)["network"]
    vpc = ipaddress.IPv4Network(graph.exports["vpc_cidr"])
    cidrs = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in graph.of_type(SUBNET)]
    assert all(c.subnet_of(vpc) for c in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:])


def test_interface_endpoints_with_private_dns_and_their_own_group(synth, env):
    graph = synth(env)["network"]
    interface = {e.inputs["serviceName"].rsplit(".", 1)[1]: e for e in graph.of_type(ENDPOINT)
                 if e.inputs["vpcEndpointType"] == "Interface"}
    assert set(interface) == {"ssm", "sqs", "secretsmanager"}
    endpoint_sg = graph.exports["endpoint_security_group_id"]
    for endpoint in interface.values():
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert endpoint.inputs["securityGroupIds"] == [endpoint_sg]
        assert len(endpoint.inputs["subnetIds"]) == stack_settings(env)["endpointAzCount"]
        assert set(endpoint.inputs["subnetIds"]) <= set(graph.exports["private_subnet_ids"])
    gateways = [e for e in graph.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Gateway"]
    assert [g.inputs["serviceName"] for g in gateways] == ["com.amazonaws.us-east-1.s3"]
    assert gateways[0].inputs["routeTableIds"]


def test_database_accepts_postgres_only_from_lambda_and_itself(synth, env):
    graph = synth(env)["network"]
    db_sg, lambda_sg = graph.exports["database_security_group_id"], graph.exports["lambda_security_group_id"]
    ingress = [r for r in graph.of_type(INGRESS) if r.inputs["securityGroupId"] == db_sg]
    assert {r.inputs["referencedSecurityGroupId"] for r in ingress} == {lambda_sg, db_sg}
    for rule in ingress:
        assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (5432, 5432, "tcp")
        assert "cidrIpv4" not in rule.inputs
        assert rule.inputs["description"]


def test_every_rule_is_described_and_scoped(synth, env):
    graph = synth(env)["network"]
    for rule in graph.of_type(INGRESS) + graph.of_type(EGRESS):
        assert rule.inputs["description"], rule.name
        assert rule.inputs["ipProtocol"] != "-1", f"{rule.name} opens every protocol"
        assert rule.inputs.get("cidrIpv4") != "0.0.0.0/0", f"{rule.name} opens the internet in default mode"


def test_default_security_group_is_closed(synth, env):
    default_sg = synth(env)["network"].one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not default_sg.inputs.get("ingress") and not default_sg.inputs.get("egress")


def test_flow_logs_to_an_encrypted_log_group_with_retention(synth, env):
    graph = synth(env)["network"]
    flow = graph.one("aws:ec2/flowLog:FlowLog")
    group = graph.one("aws:cloudwatch/logGroup:LogGroup")
    key = graph.one("aws:kms/key:Key")
    assert flow.inputs["logDestination"] == group.outputs["arn"]
    assert flow.inputs["trafficType"] == stack_settings(env)["flowLogTrafficType"]
    assert group.inputs["retentionInDays"] == stack_settings(env)["flowLogRetentionDays"]
    assert group.inputs["kmsKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in key.json_input("policy")["Statement"]}
    logs = statements["CloudWatchLogsUseKey"]
    patterns = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert any(p.endswith(group.physical_name) for p in ([patterns] if isinstance(patterns, str) else patterns))
    role_policy = graph.one("aws:iam/rolePolicy:RolePolicy").json_input("policy")
    for statement in role_policy["Statement"]:
        assert "*" not in statement["Resource"] and all("*" not in a for a in statement["Action"])


def test_nat_mode_routes_lambda_subnets_through_nat_and_keeps_database_isolated(render_variant):
    graph = render_variant("network", "staging", {"serverless-infra-network:egressMode": "nat",
                                                   "serverless-infra-network:natGatewayCount": 1})
    assert graph.exports["egress_mode"] == "nat"
    nats = graph.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == 1
    public_ids = {s.id for s in graph.of_type(SUBNET) if tier_of(s) == "public"}
    assert nats[0].inputs["subnetId"] in public_ids
    lambda_routes = subnet_routes(graph, "lambda")
    assert {r.inputs["natGatewayId"] for r in lambda_routes} == {nats[0].id}
    assert all("gatewayId" not in r.inputs for r in lambda_routes)
    assert subnet_routes(graph, "public")[0].inputs["gatewayId"].startswith("igw-")
    db_subnets = {s.id for s in graph.of_type(SUBNET) if tier_of(s) == "database"}
    db_tables = {a.inputs["routeTableId"] for a in graph.of_type(RTA) if a.inputs["subnetId"] in db_subnets}
    assert not [r for r in graph.of_type(ROUTE) if r.inputs["routeTableId"] in db_tables]


def test_bad_network_config_names_key_value_and_file(render_variant):
    from shared.synth.runner import SynthError

    with pytest.raises(SynthError) as caught:
        render_variant("network", "dev", {"serverless-infra-network:flowLogRetentionDays": 10})
    message = str(caught.value)
    assert "projects/network/Pulumi.dev.yaml" in message and "'flowLogRetentionDays' = 10" in message
    with pytest.raises(SynthError, match="unknown key"):
        render_variant("network", "dev", {"serverless-infra-network:azCuont": 3})


def test_rds_proxy_reaches_secrets_manager_through_the_endpoint_only(synth, env):
    """RDS Proxy (database group) fetches its credentials from Secrets Manager over HTTPS."""
    graph = synth(env)["network"]
    db_sg, endpoint_sg = graph.exports["database_security_group_id"], graph.exports["endpoint_security_group_id"]
    db_egress = [r for r in graph.of_type(EGRESS) if r.inputs["securityGroupId"] == db_sg]
    https_out = [r for r in db_egress if r.inputs["fromPort"] == 443]
    assert [r.inputs.get("referencedSecurityGroupId") for r in https_out] == [endpoint_sg]
    endpoint_in = {r.inputs["referencedSecurityGroupId"] for r in graph.of_type(INGRESS)
                   if r.inputs["securityGroupId"] == endpoint_sg}
    assert endpoint_in == {graph.exports["lambda_security_group_id"], db_sg}
