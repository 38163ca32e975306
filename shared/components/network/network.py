"""The Network component: an isolated VPC across AZs, VPC endpoints, security groups, flow logs.

No subnet has a route to the internet unless the env opts into ``egressMode: nat``; AWS APIs are
reached through interface endpoints (private DNS) and the S3 gateway endpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.network.addressing import plan_subnets
from shared.components.network.settings import EgressMode, NetworkSettings
from shared.config import REGION, Environment
from shared.env_policy import env_policy
from shared.naming import kms_alias_name, log_group_name, resource_name

# use1-az3 is the us-east-1 zone with constrained capacity and missing newer instance types.
EXCLUDED_ZONE_IDS = ["use1-az3"]
POSTGRES_PORT = 5432
HTTPS_PORT = 443


@dataclass
class NetworkArgs:
    env: Environment
    """The environment; every name and tag derives from it."""
    settings: NetworkSettings
    """Validated ``serverless-infra-network:*`` settings."""
    account_id: pulumi.Input[str]
    """The AWS account id, for key policies and trust conditions."""


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    availability_zones: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    database_subnet_ids: pulumi.Output[list[str]]
    lambda_security_group_id: pulumi.Output[str]
    database_security_group_id: pulumi.Output[str]
    endpoint_security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:network:Network", name, None, opts)
        self._env, self._settings, self._account_id = args.env, args.settings, args.account_id
        self._opts = pulumi.ResourceOptions(parent=self)
        s = self._settings
        nat = s.egress_mode is EgressMode.NAT
        plan = plan_subnets(s.vpc_cidr, s.az_count, public=nat)

        zones = aws.get_availability_zones_output(
            state="available", exclude_zone_ids=EXCLUDED_ZONE_IDS, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.availability_zones = zones.names.apply(lambda names: self._pick_zones(names))

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc", cidr_block=s.vpc_cidr, enable_dns_support=True, enable_dns_hostnames=True,
            tags={"Name": self._named("vpc")}, opts=self._opts,
        )
        # Strip every rule from the VPC's default security group: nothing may use it by accident.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=self.vpc.id, tags={"Name": self._named("sg", "default-closed")},
            opts=self._opts,
        )

        lambda_subnets = self._subnets(name, "lambda", plan.lambda_cidrs)
        database_subnets = self._subnets(name, "database", plan.database_cidrs)
        self.private_subnet_ids = pulumi.Output.all(*[sn.id for sn in lambda_subnets])
        self.database_subnet_ids = pulumi.Output.all(*[sn.id for sn in database_subnets])

        # Database subnets: one route table with only the implicit local route, in every mode.
        database_rt = self._route_table(name, "database")
        for i, subnet in enumerate(database_subnets):
            self._associate(f"{name}-database-rta-{i}", subnet, database_rt)

        lambda_route_tables = self._lambda_routing(name, lambda_subnets, plan.public_cidrs)

        self.s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint", vpc_id=self.vpc.id, service_name=f"com.amazonaws.{REGION}.s3",
            vpc_endpoint_type="Gateway", route_table_ids=[rt.id for rt in lambda_route_tables],
            tags={"Name": self._named("vpce", "s3")}, opts=self._opts,
        )
        self._security_groups(name, nat)
        self._interface_endpoints(name, lambda_subnets[: s.endpoint_az_count])
        self._flow_logs(name)

        self.vpc_id = self.vpc.id
        self.register_outputs({
            "vpc_id": self.vpc_id, "private_subnet_ids": self.private_subnet_ids,
            "database_subnet_ids": self.database_subnet_ids,
        })

    # -- naming ---------------------------------------------------------------------------------
    def _named(self, resource_type: str, qualifier: str | None = None, service: str = "default") -> str:
        return resource_name(self._env, resource_type, qualifier, service=service)

    def _pick_zones(self, names: list[str]) -> list[str]:
        count = self._settings.az_count
        if len(names) < count:
            raise ValueError(f"azCount is {count} but {REGION} offers only {len(names)} usable AZs: {names}")
        return sorted(names)[:count]

    # -- subnets and routing --------------------------------------------------------------------
    def _subnets(self, name: str, tier: str, cidrs: list[str]) -> list[aws.ec2.Subnet]:
        subnets = []
        for i, cidr in enumerate(cidrs):
            subnets.append(aws.ec2.Subnet(
                f"{name}-{tier}-subnet-{i}", vpc_id=self.vpc.id, cidr_block=cidr,
                availability_zone=self.availability_zones.apply(lambda zones, i=i: zones[i]),
                map_public_ip_on_launch=tier == "public",
                tags={"Name": self._named("subnet", f"{tier}-{i}"), "Tier": tier},
                opts=self._opts,
            ))
        return subnets

    def _route_table(self, name: str, qualifier: str) -> aws.ec2.RouteTable:
        return aws.ec2.RouteTable(
            f"{name}-{qualifier}-rt", vpc_id=self.vpc.id, tags={"Name": self._named("rt", qualifier)},
            opts=self._opts,
        )

    def _associate(self, logical: str, subnet: aws.ec2.Subnet, table: aws.ec2.RouteTable) -> None:
        aws.ec2.RouteTableAssociation(logical, subnet_id=subnet.id, route_table_id=table.id, opts=self._opts)

    def _lambda_routing(self, name: str, lambda_subnets: list[aws.ec2.Subnet],
                        public_cidrs: list[str]) -> list[aws.ec2.RouteTable]:
        """Route tables of the Lambda subnets: isolated, or (nat mode) a default route to a NAT gateway."""
        if self._settings.egress_mode is EgressMode.NONE:
            table = self._route_table(name, "lambda")
            for i, subnet in enumerate(lambda_subnets):
                self._associate(f"{name}-lambda-rta-{i}", subnet, table)
            return [table]

        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": self._named("igw")}, opts=self._opts,
        )
        public_rt = self._route_table(name, "public")
        aws.ec2.Route(f"{name}-public-default-route", route_table_id=public_rt.id,
                      destination_cidr_block="0.0.0.0/0", gateway_id=igw.id, opts=self._opts)
        public_subnets = self._subnets(name, "public", public_cidrs)
        for i, subnet in enumerate(public_subnets):
            self._associate(f"{name}-public-rta-{i}", subnet, public_rt)

        nats = []
        for i in range(self._settings.nat_gateway_count):
            eip = aws.ec2.Eip(f"{name}-nat-eip-{i}", domain="vpc", tags={"Name": self._named("eip", f"nat-{i}")},
                              opts=self._opts)
            nats.append(aws.ec2.NatGateway(
                f"{name}-nat-{i}", allocation_id=eip.id, subnet_id=public_subnets[i].id,
                tags={"Name": self._named("nat", str(i))},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            ))
        tables = []
        for i, subnet in enumerate(lambda_subnets):
            table = self._route_table(name, f"lambda-{i}")
            # Each AZ uses the NAT in its own AZ when there is one per AZ, else the single NAT.
            aws.ec2.Route(f"{name}-lambda-{i}-default-route", route_table_id=table.id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=nats[i % len(nats)].id,
                          opts=self._opts)
            self._associate(f"{name}-lambda-rta-{i}", subnet, table)
            tables.append(table)
        return tables

    # -- security groups ------------------------------------------------------------------------
    def _security_group(self, name: str, role: str, description: str) -> aws.ec2.SecurityGroup:
        # No inline rules: the provider then also removes AWS's default allow-all egress rule.
        return aws.ec2.SecurityGroup(
            f"{name}-{role}-sg", name=self._named("sg", role, "security_group"), description=description,
            vpc_id=self.vpc.id, tags={"Name": self._named("sg", role)}, opts=self._opts,
        )

    def _security_groups(self, name: str, nat: bool) -> None:
        lambda_sg = self._security_group(name, "lambda", "Lambda functions: egress to endpoints, S3 and PostgreSQL")
        database_sg = self._security_group(name, "database", "RDS and RDS Proxy: PostgreSQL from Lambda only")
        endpoint_sg = self._security_group(name, "endpoints", "Interface VPC endpoints: HTTPS from Lambda only")
        egress, ingress = self._egress_rule, self._ingress_rule
        egress(name, "lambda-to-endpoints", lambda_sg, HTTPS_PORT, "HTTPS to the interface VPC endpoints",
               peer_sg=endpoint_sg)
        egress(name, "lambda-to-s3", lambda_sg, HTTPS_PORT, "HTTPS to S3 through the gateway endpoint",
               prefix_list=self.s3_endpoint.prefix_list_id)
        egress(name, "lambda-to-database", lambda_sg, POSTGRES_PORT, "PostgreSQL to RDS Proxy / RDS",
               peer_sg=database_sg)
        ingress(name, "database-from-lambda", database_sg, POSTGRES_PORT, "PostgreSQL from the Lambda functions",
                lambda_sg)
        ingress(name, "database-from-self", database_sg, POSTGRES_PORT, "PostgreSQL from RDS Proxy to RDS",
                database_sg)
        egress(name, "database-to-self", database_sg, POSTGRES_PORT, "RDS Proxy to the RDS instances",
               peer_sg=database_sg)
        ingress(name, "endpoints-from-lambda", endpoint_sg, HTTPS_PORT, "HTTPS from the Lambda functions", lambda_sg)
        # RDS Proxy fetches its database credentials from Secrets Manager through the endpoint.
        egress(name, "database-to-endpoints", database_sg, HTTPS_PORT, "RDS Proxy to the Secrets Manager endpoint",
               peer_sg=endpoint_sg)
        ingress(name, "endpoints-from-database", endpoint_sg, HTTPS_PORT, "HTTPS from RDS Proxy (Secrets Manager)",
                database_sg)
        if nat:
            egress(name, "lambda-to-internet", lambda_sg, HTTPS_PORT,
                   "HTTPS to the internet through NAT (egressMode: nat)", cidr="0.0.0.0/0")
        self.lambda_security_group_id = lambda_sg.id
        self.database_security_group_id = database_sg.id
        self.endpoint_security_group_id = endpoint_sg.id

    def _ingress_rule(self, name: str, rule: str, group: aws.ec2.SecurityGroup, port: int, description: str,
                      source: aws.ec2.SecurityGroup) -> None:
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-{rule}", security_group_id=group.id, referenced_security_group_id=source.id,
            ip_protocol="tcp", from_port=port, to_port=port, description=description,
            tags={"Name": self._named("sgr", rule)}, opts=self._opts,
        )

    def _egress_rule(self, name: str, rule: str, group: aws.ec2.SecurityGroup, port: int, description: str, *,
                     peer_sg: aws.ec2.SecurityGroup | None = None, prefix_list: pulumi.Input[str] | None = None,
                     cidr: str | None = None) -> None:
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-{rule}", security_group_id=group.id,
            referenced_security_group_id=peer_sg.id if peer_sg else None, prefix_list_id=prefix_list,
            cidr_ipv4=cidr, ip_protocol="tcp", from_port=port, to_port=port, description=description,
            tags={"Name": self._named("sgr", rule)}, opts=self._opts,
        )

    def _interface_endpoints(self, name: str, subnets: list[aws.ec2.Subnet]) -> None:
        for service in self._settings.interface_endpoints:
            aws.ec2.VpcEndpoint(
                f"{name}-{service}-endpoint", vpc_id=self.vpc.id, service_name=f"com.amazonaws.{REGION}.{service}",
                vpc_endpoint_type="Interface", private_dns_enabled=True,
                subnet_ids=[sn.id for sn in subnets], security_group_ids=[self.endpoint_security_group_id],
                tags={"Name": self._named("vpce", service)}, opts=self._opts,
            )

    # -- flow logs ------------------------------------------------------------------------------
    def _flow_logs(self, name: str) -> None:
        s, account = self._settings, self._account_id
        group_name = log_group_name("/aws/vpc-flow-logs", self._env, "vpc")
        group_arn = f"arn:aws:logs:{REGION}:{{account}}:log-group:{group_name}"
        key = aws.kms.Key(
            f"{name}-flow-logs-key", description=f"Encrypts the VPC flow logs of {self._named('vpc')}",
            enable_key_rotation=True, deletion_window_in_days=env_policy(self._env).kms_deletion_window_days,
            policy=pulumi.Output.from_input(account).apply(lambda acct: json.dumps(iam.document([
                iam.key_admin_statement(acct),
                iam.logs_key_statement(acct, group_arn.format(account=acct)),
            ]))),
            opts=self._opts,
        )
        aws.kms.Alias(f"{name}-flow-logs-key-alias", name=kms_alias_name(self._env, "flow-logs"),
                      target_key_id=key.key_id, opts=self._opts)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", name=group_name, retention_in_days=s.flow_log_retention_days, kms_key_id=key.arn,
            opts=self._opts,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role", name=self._named("role", "flow-logs", "iam"),
            description="Lets VPC Flow Logs write to its one log group",
            assume_role_policy=pulumi.Output.from_input(account).apply(lambda acct: json.dumps(iam.assume_role_policy(
                "vpc-flow-logs.amazonaws.com", acct, f"arn:aws:ec2:{REGION}:{acct}:vpc-flow-log/*"))),
            opts=self._opts,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-flow-logs-policy", role=role.id,
            policy=pulumi.Output.all(group.arn, account).apply(lambda a: json.dumps(iam.document([
                iam.allow("WriteFlowLogs", ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                          [a[0], f"{a[0]}:*"]),
                iam.allow("DescribeLogGroups", ["logs:DescribeLogGroups"],
                          [f"arn:aws:logs:{REGION}:{a[1]}:log-group:*"]),
            ]))),
            opts=self._opts,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log", vpc_id=self.vpc.id, traffic_type=s.flow_log_traffic_type,
            log_destination_type="cloud-watch-logs", log_destination=group.arn, iam_role_arn=role.arn,
            max_aggregation_interval=600, tags={"Name": self._named("flow-log")},
            # The role must be able to write before the flow log exists: IAM is eventually consistent, and a
            # flow log whose role cannot publish yet records deliverLogsErrorMessage "Access error" ("the IAM
            # role associated with the flow log does not have sufficient permissions to publish to CloudWatch
            # Logs", docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FlowLog.html).
            opts=pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(depends_on=[policy])),
        )
