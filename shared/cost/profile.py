"""The usage profile of an env (``config/usage/<env>.yaml``): the traffic the bill is priced for.

Everything the graph cannot know (how many requests, how long they run, how much they log) is
stated here, per env, in the repo, and validated: a misspelled key is an error naming the file and
the key. Memory, architecture, retention, batch size and tracing mode come from the graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, model_validator

from shared.config import REPO_ROOT, ConfigError, Environment, Settings, validate_settings

USAGE_DIR = REPO_ROOT / "config" / "usage"


class ApiTraffic(Settings):
    peak_requests_per_minute: float = Field(ge=0, description="Request rate during the daily peak.")
    peak_hours_per_day: float = Field(ge=0, le=24, description="Hours a day at the peak rate.")
    off_peak_requests_per_minute: float = Field(ge=0, description="Base rate for the rest of the day.")
    response_bytes: int = Field(ge=0, description="Average response payload (billed as data transfer out).")
    cache_hit_rate: float = Field(0.0, ge=0, lt=1, description="Share served by the stage cache (if the graph has one).")

    @model_validator(mode="after")
    def _rates(self) -> ApiTraffic:
        if self.off_peak_requests_per_minute > self.peak_requests_per_minute:
            raise ValueError("offPeakRequestsPerMinute exceeds peakRequestsPerMinute")
        return self


class FunctionUsage(Settings):
    avg_duration_ms: float = Field(gt=0, description="Billed duration per invocation.")
    invocations_per_month: float | None = Field(
        None, ge=0, description="For functions driven neither by API requests nor by the queue.")


class BatchTraffic(Settings):
    async_records_per_day: float = Field(ge=0, description="Orders sent through POST /orders/async (one SQS message each).")
    records_per_invocation: float = Field(gt=0, description="Average records per worker invocation (<= batch size).")
    record_bytes: int = Field(ge=0, le=262_144, description="Average SQS message body.")


class LogVolume(Settings):
    app_bytes_per_request: int = Field(ge=0, description="Application log bytes per API request (Powertools JSON lines).")
    app_bytes_per_record: int = Field(ge=0, description="Application log bytes per async record the worker handles.")
    platform_bytes_per_invocation: int = Field(ge=0, description="START/END/REPORT (and INIT) lines per invocation.")
    access_bytes_per_request: int = Field(ge=0, description="API Gateway access log line per request.")
    vpc_flow_log_gib_per_month: float = Field(ge=0)
    database_log_gib_per_month: float = Field(ge=0, description="postgresql + upgrade logs exported per instance.")
    enhanced_monitoring_bytes_per_sample: int = Field(ge=0, description="RDSOSMetrics event size.")


class Tracing(Settings):
    sampled_share: float = Field(ge=0, le=1, description="Share of requests and async invocations X-Ray records.")


class DataGrowth(Settings):
    used_gib: float = Field(ge=0, description="Database size today.")
    growth_gib_per_month: float = Field(ge=0)
    horizon_months: int = Field(ge=0, le=60, description="Price the month this far ahead (storage grows until then).")
    daily_change_share: float = Field(ge=0, le=1, description="Share of the data changed a day (incremental backups).")


class Observability(Settings):
    custom_metrics: int = Field(ge=0, description="EMF metric/dimension combinations the app emits.")
    config_items_per_month: float = Field(ge=0, description="AWS Config configuration items recorded.")
    config_evaluations_per_rule_per_month: float = Field(ge=0)


class UsageProfile(Settings):
    description: str = Field(min_length=1)
    api: ApiTraffic
    functions: dict[str, FunctionUsage]
    batch: BatchTraffic
    logs: LogVolume
    tracing: Tracing
    data: DataGrowth
    observability: Observability
    bucket_gib: float = Field(ge=0, description="Average stored GiB per S3 bucket (artifact versions).")
    nat_gib_per_month: float = Field(0.0, ge=0, description="Data through NAT gateways (nat egress mode only).")


def profile_file(env: Environment) -> Path:
    return USAGE_DIR / f"{env.value}.yaml"


def load_profile(env: Environment | None = None, path: Path | None = None) -> tuple[UsageProfile, str]:
    """The profile and the file name to cite in messages; ``path`` overrides the env's file."""
    if path is None:
        if env is None:
            raise ValueError("load_profile needs an env or a path")
        path = profile_file(env)
    source = str(path.relative_to(REPO_ROOT)) if path.resolve().is_relative_to(REPO_ROOT) else str(path)
    if not path.exists():
        raise ConfigError(f"{source}: missing; state the env's usage profile (see config/usage/prod.yaml)")
    raw: Any = yaml.safe_load(path.read_text())
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping of keys to values")
    return validate_settings(UsageProfile, raw, source), source
