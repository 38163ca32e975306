"""How the VPC's address space is cut into subnets: a pure function, so it is easy to test.

A /p VPC is cut into eighths: eighths 0-2 hold one Lambda subnet per AZ (Lambda ENIs and their
scaling need the room), eighth 3 is cut into four for the database subnets, eighth 4 into four for
the public subnets of the opt-in NAT egress. Eighths 5-7 stay free for what comes later.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class SubnetPlan:
    lambda_cidrs: list[str]
    database_cidrs: list[str]
    public_cidrs: list[str]


def plan_subnets(vpc_cidr: str, az_count: int, public: bool) -> SubnetPlan:
    vpc = ipaddress.ip_network(vpc_cidr, strict=True)
    if not 1 <= az_count <= 3:
        raise ValueError(f"az_count must be 1 to 3, got {az_count}")
    eighths = list(vpc.subnets(prefixlen_diff=3))
    database = list(eighths[3].subnets(prefixlen_diff=2))
    public_blocks = list(eighths[4].subnets(prefixlen_diff=2))
    return SubnetPlan(
        lambda_cidrs=[str(n) for n in eighths[:az_count]],
        database_cidrs=[str(n) for n in database[:az_count]],
        public_cidrs=[str(n) for n in public_blocks[:az_count]] if public else [],
    )
