"""Typed settings of the compute layer (``serverless-infra-compute:*`` in the stack files).

The rules AWS enforces at deploy time, and our own budget rules, are checked here so a bad stack
file fails at synth with the key named, not after minutes of ``pulumi up``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from app.contract import CONFIG_TTL
from shared import aws_limits as limits
from shared.aws_limits import (
    API_FUNCTION_TIMEOUT_HEADROOM_SECONDS,
    API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS,
    SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
    LogRetentionDays,
    check_sqs_batching_window,
)
from shared.components.compute import peak
from shared.config import Settings

# Functions this layer creates, in the order they are built. Names: serverless-infra-{env}-<function>.
FUNCTIONS = ("api", "worker", "dlq-analyzer", "migrate")
# The api function must end before API Gateway's integration timeout (shared/aws_limits.py says why).
API_MAX_TIMEOUT_SECONDS = API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS - API_FUNCTION_TIMEOUT_HEADROOM_SECONDS
VISIBILITY_TIMEOUT_FACTOR = 6  # AWS guidance: queue visibility >= 6 x the consumer's timeout
_CRON = re.compile(r"^cron\([^)]+\)$")

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class FunctionSettings(Settings):
    memory_mb: limits.LambdaMemoryMb = Field(description="Memory (MB); CPU scales with it (1 vCPU at 1,769 MB).")
    timeout_seconds: limits.LambdaTimeoutSeconds = Field(
        description="Timeout (s); api at most 25 (API Gateway's integration timeout minus margin), others up to 900."
    )
    reserved_concurrency: int = Field(ge=1, description="Reserved concurrency: a ceiling and a guarantee.")


class PeakSchedule(Settings):
    """Scheduled scaling for the working day: raise the floor before peak, lower it after."""

    start: str = Field(description="cron(...) in `timezone` when peak starts, e.g. cron(0 8 ? * MON-FRI *)")
    end: str = Field(description="cron(...) when peak ends")
    timezone: str = Field("UTC", description="IANA time zone of the peak crons, e.g. America/New_York.")
    min_capacity: int = Field(ge=1, description="provisioned floor during peak")

    @field_validator("start", "end")
    @classmethod
    def _cron(cls, value: str) -> str:
        if not _CRON.match(value) or len(value[5:-1].split()) != 6:
            raise ValueError("must be cron(minutes hours day-of-month month day-of-week year)")
        peak.parse(value)  # the deploy computes the floor that holds now: only shapes it can evaluate
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. America/New_York)") from None
        return value

    def floor_at(self, now: datetime, off_peak: int) -> int:
        """The floor the schedule holds at ``now``: this one during peak, ``off_peak`` otherwise."""
        return self.min_capacity if peak.in_peak(self.start, self.end, self.timezone, now) else off_peak


class ProvisionedConcurrency(Settings):
    """Provisioned concurrency on the api function's live alias, scaled by Application Auto Scaling."""

    min_capacity: int = Field(ge=1, description="provisioned concurrency floor")
    max_capacity: int = Field(ge=1, description="provisioned concurrency ceiling (<= the api's reserved concurrency)")
    target_utilization: float = Field(
        0.7, gt=0.1, le=0.9, description="LambdaProvisionedConcurrencyUtilization target"
    )
    scale_in_cooldown_seconds: int = Field(300, ge=0, description="Seconds after a scale-in before the next one.")
    scale_out_cooldown_seconds: int = Field(60, ge=0, description="Seconds after a scale-out before the next one.")
    peak: PeakSchedule | None = None

    @model_validator(mode="after")
    def _bounds(self) -> ProvisionedConcurrency:
        if self.min_capacity > self.max_capacity:
            raise ValueError(f"minCapacity ({self.min_capacity}) exceeds maxCapacity ({self.max_capacity})")
        if self.peak and not self.min_capacity <= self.peak.min_capacity <= self.max_capacity:
            raise ValueError(
                f"peak.minCapacity ({self.peak.min_capacity}) must lie in "
                f"[minCapacity {self.min_capacity}, maxCapacity {self.max_capacity}]"
            )
        return self


class QueueSettings(Settings):
    max_receive_count: limits.SqsMaxReceiveCount = Field(5, description="receives before a message moves to the DLQ")
    message_retention_seconds: limits.SqsMessageRetentionSeconds = Field(
        345_600,
        description="Seconds the orders queue keeps an unprocessed message (SQS: 60 s to 14 days)."
    )
    dlq_retention_seconds: limits.SqsMessageRetentionSeconds = Field(
        1_209_600,
        description="Seconds the DLQ and the dead-letter archive keep a letter (SQS maximum: 14 days)."
    )
    dlq_visibility_timeout_seconds: limits.SqsVisibilityTimeoutSeconds = Field(
        360,
        description="How long a dead letter stays hidden while the analyzer files it; one it could not "
        "file (archive unreachable) is retried after this (6 x the analyzer's timeout, AWS's advice "
        "for a queue that feeds a function).",
    )
    kms_data_key_reuse_seconds: limits.SqsKmsDataKeyReuseSeconds = Field(
        300, description="Seconds SQS reuses a KMS data key (fewer KMS calls; 60-86,400)."
    )
    batch_size: limits.LambdaSqsBatchSize = Field(
        500, description="Records per worker invocation (SQS mapping maximum 10,000)."
    )
    batching_window_seconds: limits.LambdaBatchingWindowSeconds = Field(
        5, description="Seconds the mapping gathers records before invoking (>= 1 when batchSize > 10)."
    )
    max_concurrency: limits.LambdaEsmMaxConcurrency = Field(
        description="event source mapping scaling_config.maximum_concurrency"
    )

    @model_validator(mode="after")
    def _window(self) -> QueueSettings:
        check_sqs_batching_window(self.batch_size, self.batching_window_seconds, window_key="batchingWindowSeconds")
        return self


class AsyncInvokeSettings(Settings):
    maximum_retry_attempts: limits.LambdaAsyncRetryAttempts = Field(
        2, description="Retries of a failed asynchronous invocation (0-2)."
    )
    maximum_event_age_seconds: limits.LambdaAsyncMaxEventAgeSeconds = Field(
        3600,
        description="Seconds an asynchronous event may wait before it is dropped to the failure destination."
    )


class ComputeSettings(Settings):
    """The account's concurrency quota is not here: it lives once, in config/<env>.yaml ``account``, and
    ``shared.accounts`` checks every env sharing an account against it."""

    functions: dict[str, FunctionSettings]
    provisioned_concurrency: ProvisionedConcurrency | None = None
    queue: QueueSettings
    async_invoke: AsyncInvokeSettings = Field(default_factory=lambda: AsyncInvokeSettings.model_validate({}))
    log_retention_days: LogRetentionDays = Field(
        30, description="Days CloudWatch keeps the functions' logs (a value CloudWatch accepts)."
    )
    log_level: LogLevel = Field("INFO", description="POWERTOOLS_LOG_LEVEL of every function.")
    logger_sample_rate: float = Field(0.0, ge=0, le=1, description="share of invocations logged at DEBUG")
    config_ttl_seconds: int = Field(
        CONFIG_TTL.default, ge=CONFIG_TTL.minimum, le=CONFIG_TTL.maximum,
        description="CONFIG_TTL_SECONDS: the app's config cache TTL when SSM has no cache/config_ttl_seconds."
    )
    db_pool_size: int = Field(
        1,
        ge=1,
        le=5,
        description="SQLAlchemy pool per execution environment and engine (one request at a time: 1); "
        "checked against the database's limits at synth (shared/connection_budget.py).",
    )
    artifact_noncurrent_days: int = Field(30, ge=1, description="days S3 keeps replaced artifact versions")

    @field_validator("functions")
    @classmethod
    def _function_set(cls, value: dict[str, FunctionSettings]) -> dict[str, FunctionSettings]:
        if set(value) != set(FUNCTIONS):
            raise ValueError(f"needs exactly the functions {list(FUNCTIONS)}, got {sorted(value)}")
        if value["api"].timeout_seconds > API_MAX_TIMEOUT_SECONDS:
            raise ValueError(
                f"api.timeoutSeconds = {value['api'].timeout_seconds} must be <= {API_MAX_TIMEOUT_SECONDS}: "
                f"API Gateway's integration timeout ({API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS} s) minus "
                f"{API_FUNCTION_TIMEOUT_HEADROOM_SECONDS} s headroom, so the function ends before API Gateway "
                "answers 504"
            )
        visibility = value["worker"].timeout_seconds * VISIBILITY_TIMEOUT_FACTOR
        if visibility > SQS_MAX_VISIBILITY_TIMEOUT_SECONDS:
            raise ValueError(
                f"worker.timeoutSeconds x {VISIBILITY_TIMEOUT_FACTOR} = {visibility} s exceeds SQS's "
                f"maximum visibility timeout {SQS_MAX_VISIBILITY_TIMEOUT_SECONDS} s"
            )
        return value

    @model_validator(mode="after")
    def _concurrency(self) -> ComputeSettings:
        pc = self.provisioned_concurrency
        if pc and pc.max_capacity > self.functions["api"].reserved_concurrency:
            raise ValueError(
                f"provisionedConcurrency.maxCapacity ({pc.max_capacity}) exceeds the api function's "
                f"reserved concurrency ({self.functions['api'].reserved_concurrency})"
            )
        analyzer_timeout = self.functions["dlq-analyzer"].timeout_seconds
        if self.queue.dlq_visibility_timeout_seconds < analyzer_timeout:
            raise ValueError(
                f"queue.dlqVisibilityTimeoutSeconds must be >= the dlq-analyzer timeout "
                f"({analyzer_timeout} s): Lambda refuses the mapping otherwise"
            )
        if self.queue.max_concurrency > self.functions["worker"].reserved_concurrency:
            raise ValueError(
                f"queue.maxConcurrency ({self.queue.max_concurrency}) exceeds the worker's reserved "
                f"concurrency ({self.functions['worker'].reserved_concurrency}): it would throttle"
            )
        return self

    @property
    def visibility_timeout_seconds(self) -> int:
        return self.functions["worker"].timeout_seconds * VISIBILITY_TIMEOUT_FACTOR
