"""Network layer: isolated VPC across AZs, VPC endpoints, security groups, flow logs.

Reads nothing upstream; publishes the network contract (shared/contracts.py).
"""

import pulumi

from shared.components.network import Network, NetworkArgs, NetworkSettings
from shared.config import current_stack_context
from shared.providers import aws_provider, caller_account_id
from shared.stacks import publish

ctx = current_stack_context("network")
settings = ctx.layer_settings(NetworkSettings)
provider = aws_provider(ctx)
account_id = caller_account_id(provider)

network = Network(
    "network",
    NetworkArgs(env=ctx.env, settings=settings, account_id=account_id),
    opts=pulumi.ResourceOptions(providers=[provider]),
)

publish(ctx, {
    "vpc_id": network.vpc_id,
    "vpc_cidr": settings.vpc_cidr,
    "availability_zones": network.availability_zones,
    "private_subnet_ids": network.private_subnet_ids,
    "database_subnet_ids": network.database_subnet_ids,
    "lambda_security_group_id": network.lambda_security_group_id,
    "database_security_group_id": network.database_security_group_id,
    "endpoint_security_group_id": network.endpoint_security_group_id,
    "egress_mode": settings.egress_mode.value,
})
