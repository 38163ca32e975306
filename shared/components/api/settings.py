"""Typed settings of the api layer (``serverless-infra-api:*`` in ``projects/api/Pulumi.<env>.yaml``).

Values API Gateway, ACM and WAF validate are checked here, so a bad stack file stops the synth with
the file and the key named instead of failing minutes into ``pulumi up``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from shared.aws_limits import (
    APIGW_ACCOUNT_BURST_LIMIT,
    APIGW_ACCOUNT_RATE_LIMIT,
    APIGW_CACHE_CLUSTER_SIZES,
    WAF_EVALUATION_WINDOWS,
    LogRetentionDays,
)
from shared.config import Settings

# Stage names: alphanumerics, hyphens and underscores, at most 128 (CreateStage stageName).
_STAGE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
# "GET /orders/{order_id}": a method and an OpenAPI path of app/openapi.yaml.
_ROUTE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (/[A-Za-z0-9_{}/.-]*)$")
# A DNS name of at least two labels, lowercase (ACM and API Gateway compare names case-insensitively).
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_TIER = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Throttle(Settings):
    """A token bucket: ``rateLimit`` requests per second steady, ``burstLimit`` at once."""

    rate_limit: float = Field(gt=0, le=APIGW_ACCOUNT_RATE_LIMIT, description="steady requests per second")
    burst_limit: int = Field(ge=1, le=APIGW_ACCOUNT_BURST_LIMIT, description="bucket size (concurrent burst)")


class Quota(Settings):
    limit: int = Field(ge=1, description="requests per period")
    period: Literal["DAY", "WEEK", "MONTH"] = Field("MONTH", description="the period the quota limit counts over")


class UsagePlan(Settings):
    """One client tier: a usage plan and the API keys of its clients."""

    throttle: Throttle
    quota: Quota | None = None
    clients: list[str] = Field(
        default_factory=list,
        description="client names; each gets an API key named serverless-infra-{env}-key-{tier}-{client}",
    )

    @field_validator("clients")
    @classmethod
    def _client_names(cls, value: list[str]) -> list[str]:
        for client in value:
            if not _TIER.match(client):
                raise ValueError(f"client {client!r} must be lowercase words joined by '-'")
        if len(set(value)) != len(value):
            raise ValueError("client names must be unique within a tier")
        return value


class Cache(Settings):
    """The stage cache: a cluster billed per hour while it exists (docs/api.md has the prices)."""

    cluster_size: str | None = Field(None, description="GB: 0.5, 1.6, 6.1, ...; null turns the cluster off")
    ttl_seconds: dict[str, int] = Field(
        default_factory=dict,
        description="'GET /path' -> TTL (0-3600 s); GET routes not listed are not cached",
    )

    @field_validator("cluster_size")
    @classmethod
    def _size(cls, value: str | None) -> str | None:
        if value is not None and value not in APIGW_CACHE_CLUSTER_SIZES:
            raise ValueError(f"API Gateway offers only {sorted(APIGW_CACHE_CLUSTER_SIZES, key=float)} GB")
        return value

    @field_validator("ttl_seconds")
    @classmethod
    def _ttls(cls, value: dict[str, int]) -> dict[str, int]:
        for route, ttl in value.items():
            if not route.startswith("GET "):
                raise ValueError(f"{route!r}: only GET routes are cached (a cached POST would lose writes)")
            if not 0 <= ttl <= 3600:
                raise ValueError(f"{route!r}: TTL {ttl} s; API Gateway accepts 0-3600")
        return value


class Domain(Settings):
    """A regional custom domain: an ACM certificate validated by DNS in a Route 53 zone you own."""

    name: str = Field(description="e.g. api.example.com")
    hosted_zone_id: str = Field(description="the Route 53 public hosted zone that holds `name` (Z...)")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _DOMAIN.match(value):
            raise ValueError("must be a lowercase DNS name such as api.example.com")
        return value

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone(cls, value: str) -> str:
        if not _ZONE_ID.match(value):
            raise ValueError("must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ")
        return value


class Waf(Settings):
    enabled: bool = Field(False, description="attach a WAF web ACL with a per-IP rate rule to the stage")
    rate_limit_per_ip: int = Field(
        2000, ge=10, le=2_000_000_000, description="requests per client IP per evaluation window (min 10)"
    )
    evaluation_window_seconds: int = Field(300, description="seconds WAF counts each IP's requests over")

    @field_validator("evaluation_window_seconds")
    @classmethod
    def _window(cls, value: int) -> int:
        if value not in WAF_EVALUATION_WINDOWS:
            raise ValueError(f"WAF accepts only {sorted(WAF_EVALUATION_WINDOWS)} s")
        return value


class ApiSettings(Settings):
    stage_name: str = Field("v1", description="API Gateway stage; the path prefix of the execute-api URL")
    throttle: Throttle = Field(description="stage-wide default for every method")
    method_throttles: dict[str, Throttle] = Field(
        default_factory=dict, description="'POST /orders/batch' -> a tighter bucket for that method"
    )
    cache: Cache = Field(default_factory=lambda: Cache.model_validate({}))
    usage_plans: dict[str, UsagePlan] = Field(default_factory=dict, description="client tier -> plan")
    log_retention_days: LogRetentionDays = Field(30, description="days CloudWatch keeps the access and execution logs")
    execution_log_level: Literal["OFF", "ERROR", "INFO"] = Field(
        "ERROR", description="API Gateway execution logging level of every method"
    )
    data_trace: bool = Field(False, description="full request/response bodies in execution logs")
    manage_account_settings: bool | None = Field(
        None,
        description="whether this stack owns the account-and-region API Gateway CloudWatch role; null (the "
        "default) derives it from the account model: the most production-like env of an account owns it",
    )
    domain: Domain | None = None
    waf: Waf = Field(default_factory=lambda: Waf.model_validate({}))

    @field_validator("stage_name")
    @classmethod
    def _stage(cls, value: str) -> str:
        if not _STAGE.match(value):
            raise ValueError("1-128 letters, digits, '-' or '_' (API Gateway stage names)")
        return value

    @field_validator("method_throttles")
    @classmethod
    def _routes(cls, value: dict[str, Throttle]) -> dict[str, Throttle]:
        for route in value:
            if not _ROUTE.match(route):
                raise ValueError(f"{route!r} is not 'METHOD /path' (e.g. 'POST /orders/batch')")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> ApiSettings:
        for route, bucket in self.method_throttles.items():
            if bucket.rate_limit > self.throttle.rate_limit or bucket.burst_limit > self.throttle.burst_limit:
                raise ValueError(f"methodThrottles[{route!r}] is looser than the stage throttle: it would never bite")
        if self.cache.cluster_size is None and any(self.cache.ttl_seconds.values()):
            raise ValueError("cache.ttlSeconds set while cache.clusterSize is null: set a size or drop the TTLs")
        return self

    @property
    def caching(self) -> bool:
        return self.cache.cluster_size is not None
