"""Typed settings of the network layer (``serverless-infra-network:*`` in the stack files)."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator, model_validator

from shared.aws_limits import LogRetentionDays
from shared.components.network.endpoints import REQUIRED_INTERFACE_ENDPOINTS
from shared.config import Settings

# The interface endpoints the stack needs when there is no internet route, each with the caller inside
# the VPC that uses it (endpoints.py says who calls what, and why kms/logs/monitoring/xray are not needed).
DEFAULT_INTERFACE_ENDPOINTS = REQUIRED_INTERFACE_ENDPOINTS


class EgressMode(StrEnum):
    NONE = "none"  # no internet route at all: AWS APIs only through VPC endpoints (the default)
    NAT = "nat"  # opt-in: public subnets, internet gateway and NAT gateway(s) for Lambda egress


class NetworkSettings(Settings):
    vpc_cidr: str = Field(description="VPC IPv4 CIDR, /16 to /20; distinct per env so envs can be peered.")
    az_count: int = Field(ge=2, le=3, description="AZs for Lambda and database subnets (RDS needs 2+).")
    endpoint_az_count: int = Field(ge=1, le=3, description="AZs with an interface-endpoint ENI ($7.30/AZ-month each).")
    interface_endpoints: list[str] = Field(
        default_factory=lambda: list(DEFAULT_INTERFACE_ENDPOINTS),
        description="AWS services reached through interface endpoints (no internet route); the S3 gateway endpoint "
        "is always there."
    )
    egress_mode: EgressMode = Field(
        EgressMode.NONE,
        description="none (default: no route out) or nat (opt-in NAT gateways for internet egress; flagged by the "
        "policy pack)."
    )
    nat_gateway_count: int = Field(1, ge=1, le=3, description="NAT gateways in nat mode: 1 (cheap) or one per AZ (HA).")
    flow_log_retention_days: LogRetentionDays = Field(
        30, description="Days CloudWatch keeps the VPC flow logs (a value CloudWatch accepts)."
    )
    flow_log_traffic_type: Literal["ALL", "REJECT", "ACCEPT"] = Field(
        "ALL", description="Traffic the flow logs record: ALL, REJECT or ACCEPT."
    )

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        network = ipaddress.ip_network(value, strict=True)
        if not network.is_private or not 16 <= network.prefixlen <= 20:
            raise ValueError("must be a private IPv4 range between /16 and /20")
        return value

    @field_validator("interface_endpoints")
    @classmethod
    def _endpoints(cls, value: list[str]) -> list[str]:
        missing = set(DEFAULT_INTERFACE_ENDPOINTS) - set(value)
        if missing:
            raise ValueError(f"the functions and RDS Proxy cannot work without endpoints for {sorted(missing)}")
        if len(set(value)) != len(value):
            raise ValueError("lists an endpoint twice")
        return value

    @model_validator(mode="after")
    def _counts(self) -> NetworkSettings:
        if self.endpoint_az_count > self.az_count:
            raise ValueError(f"endpointAzCount ({self.endpoint_az_count}) exceeds azCount ({self.az_count})")
        if self.egress_mode is EgressMode.NAT and self.nat_gateway_count > self.az_count:
            raise ValueError(f"natGatewayCount ({self.nat_gateway_count}) exceeds azCount ({self.az_count})")
        return self
