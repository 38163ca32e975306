"""The dated price table (``config/prices.yaml``), validated like the rest of the config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, model_validator

from shared.config import REPO_ROOT, ConfigError, Settings, validate_settings

PRICES_FILE = REPO_ROOT / "config" / "prices.yaml"


class Price(Settings):
    usd: float = Field(ge=0)
    source: str = Field(min_length=8, description="The public page the price comes from.")


class Tier(Price):
    up_to_millions: float | None = Field(description="Upper bound of the tier in millions a month; null = no bound.")


class Prices(Settings):
    vpc_interface_endpoint_az_hour: Price
    vpc_endpoint_data_gb: Price
    nat_gateway_hour: Price
    nat_gateway_data_gb: Price
    public_ipv4_hour: Price
    data_transfer_out_gb: Price
    kms_key_month: Price
    kms_requests10k: Price = Field(alias="kmsRequests10k")
    secrets_manager_secret_month: Price
    rds_postgres_hour: dict[str, Price]
    rds_gp3_gb_month: Price
    rds_backup_gb_month: Price
    rds_proxy_vcpu_hour: Price
    rds_performance_insights_vcpu_month: Price
    lambda_requests_million: Price
    lambda_gb_second: dict[str, Price]
    lambda_provisioned_gb_second: dict[str, Price]
    sqs_requests_million: Price
    s3_standard_gb_month: Price
    api_gateway_rest_million: list[Tier]
    api_gateway_cache_hour: dict[str, Price]
    waf_web_acl_month: Price
    waf_rule_month: Price
    waf_requests_million: Price
    logs_ingest_gb: Price
    logs_storage_gb_month: Price
    cloudwatch_dashboard_month: Price
    cloudwatch_alarm_metric_month: Price
    cloudwatch_high_res_alarm_metric_month: Price
    cloudwatch_composite_alarm_month: Price
    cloudwatch_custom_metric_month: Price
    xray_traces_million: Price
    config_item: Price
    config_rule_evaluation: Price
    budget_day: Price
    sns_publishes_million: Price

    @model_validator(mode="after")
    def _tiers(self) -> Prices:
        bounds = [t.up_to_millions for t in self.api_gateway_rest_million]
        if not bounds or bounds[-1] is not None or any(b is None for b in bounds[:-1]):
            raise ValueError("apiGatewayRestMillion: tiers need ascending bounds and a last tier with upToMillions: null")
        finite = [b for b in bounds if b is not None]
        if finite != sorted(finite):
            raise ValueError("apiGatewayRestMillion: tier bounds must ascend")
        return self


class PriceTable(Settings):
    as_of: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="When the prices were compiled.")
    region: str = Field(pattern=r"^us-east-1$")
    hours_per_month: float = Field(gt=0)
    prices: Prices


def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    source = str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)
    raw: Any = yaml.safe_load(path.read_text()) if path.exists() else None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: missing or not a mapping; the cost model needs its price table")
    return validate_settings(PriceTable, raw, source)
