"""Typed settings of the observability layer (``serverless-infra-observability:*`` in the stack files).

Every alarm carries its threshold, period, evaluation periods and missing-data treatment in the
stack file of its env; the values CloudWatch refuses (periods, windows, enums) are refused here,
with the key named, before anything is deployed. docs/observability.md explains each value.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from shared.aws_metrics import TREAT_MISSING_DATA, period_problem
from shared.config import Settings

TreatMissingData = Literal["breaching", "notBreaching", "ignore", "missing"]
assert set(TreatMissingData.__args__) == TREAT_MISSING_DATA  # one list of what CloudWatch accepts

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AlarmSettings(Settings):
    """One alarm: breach when the statistic crosses ``threshold`` in ``datapointsToAlarm`` of the last
    ``evaluationPeriods`` periods of ``periodSeconds``."""

    threshold: float = Field(description="in the alarm's unit (docs/observability.md lists each)")
    period_seconds: int = Field(description="seconds per evaluated datapoint (10, 20, 30 or a multiple of 60)")
    evaluation_periods: int = Field(ge=1, description="how many recent periods are evaluated")
    datapoints_to_alarm: int | None = Field(None, ge=1, description="M of N; unset means all N")
    treat_missing_data: TreatMissingData = Field(
        description="how a period without data counts: notBreaching, breaching, ignore or missing")

    @model_validator(mode="after")
    def _window(self) -> AlarmSettings:
        problem = period_problem(self.period_seconds, self.evaluation_periods)
        if problem:
            raise ValueError(problem)
        if self.datapoints_to_alarm is not None and self.datapoints_to_alarm > self.evaluation_periods:
            raise ValueError(f"datapointsToAlarm ({self.datapoints_to_alarm}) exceeds evaluationPeriods "
                             f"({self.evaluation_periods})")
        return self


class RateAlarmSettings(AlarmSettings):
    """A ratio alarm (percent of requests): quiet below ``minRequests`` per period."""

    min_requests: int = Field(ge=1, description="below this many requests in a period the rate reads 0")


class DurationAlarmSettings(AlarmSettings):
    """Duration p99 near the timeout: ``threshold`` is the fraction of each function's timeout."""

    threshold: float = Field(gt=0, lt=1, description="fraction of each function's timeout")


class AlarmSet(Settings):
    """Every alarm the layer creates, by key: a missing or unknown key in the stack file is an error."""

    api_latency_p99: AlarmSettings = Field(description="ms, API Gateway Latency p99")
    api5xx_rate: RateAlarmSettings = Field(alias="api5xxRate", description="percent of requests answered 5XX")
    api4xx_rate: RateAlarmSettings = Field(alias="api4xxRate", description="percent of requests answered 4XX")
    api_throttled: AlarmSettings = Field(description="429 responses per period (access log metric filter)")
    lambda_errors: AlarmSettings = Field(description="Errors per period, each function")
    lambda_throttles: AlarmSettings = Field(description="Throttles per period, each function")
    lambda_duration_p99: DurationAlarmSettings = Field(description="fraction of the function's timeout")
    provisioned_spillover: AlarmSettings | None = Field(
        None, description="invocations beyond provisioned concurrency on the api alias; null where none is provisioned")
    lambda_init_duration: AlarmSettings = Field(description="ms, longest init (cold start) per period")
    queue_depth: AlarmSettings = Field(description="visible messages in the orders queue")
    queue_oldest_age: AlarmSettings = Field(description="seconds, age of the oldest orders message")
    dlq_depth: AlarmSettings = Field(description="visible dead letters: any is a page")
    rds_cpu: AlarmSettings = Field(description="percent CPU, each instance")
    rds_free_storage: AlarmSettings = Field(description="bytes free, each instance (below = alarm)")
    rds_freeable_memory: AlarmSettings = Field(description="bytes freeable, each instance (below = alarm)")
    rds_connections: AlarmSettings = Field(description="DatabaseConnections, each instance")
    rds_replica_lag: AlarmSettings | None = Field(
        None, description="seconds behind the primary, each replica; null where the data layer has none")
    rds_replica_connections: AlarmSettings | None = Field(
        None, description="DatabaseConnections, busiest replica: above the reader role's cap, below max_connections; "
                          "null where the data layer has no replica")
    replica_full_fallbacks: AlarmSettings | None = Field(
        None, description="reads the primary served because the replica was full (the api's ReplicaFullFallbacks); "
                          "a ticket; null where reads do not go to a replica")
    proxy_client_connections: AlarmSettings = Field(description="RDS Proxy ClientConnections")


class AvailabilitySettings(Settings):
    """The 99.9% SLO, watched by multi-window burn-rate alarms (fast: page now; slow: page today)."""

    slo_percent: float = Field(99.9, gt=90, lt=100, description="availability objective, percent of requests")
    fast_burn_rate: float = Field(14.4, gt=1, description="2% of a 30-day budget in 1 h")
    fast_windows_seconds: tuple[int, int] = Field((3600, 300), description="(long, short) windows")
    slow_burn_rate: float = Field(6, gt=1, description="5% of a 30-day budget in 6 h")
    slow_windows_seconds: tuple[int, int] = Field((21600, 1800), description="(long, short) windows")
    min_requests: int = Field(1, ge=1, description="below this many requests in a window the error ratio reads 0")

    @field_validator("fast_windows_seconds", "slow_windows_seconds")
    @classmethod
    def _windows(cls, value: tuple[int, int]) -> tuple[int, int]:
        long, short = value
        for window in value:
            problem = period_problem(window, 1)
            if problem:
                raise ValueError(problem)
        if short >= long:
            raise ValueError(f"the short window ({short} s) must be shorter than the long one ({long} s)")
        return value

    @property
    def error_budget_percent(self) -> float:
        return round(100 - self.slo_percent, 6)


class SubscriberSettings(Settings):
    """Who one SNS topic notifies: email addresses and an optional HTTPS endpoint."""

    emails: list[str] = Field(default_factory=list, description="each confirms its subscription by email")
    https_endpoint: str | None = Field(
        None, description="an HTTPS webhook: a pager (PagerDuty, Opsgenie ...) for pages, a ticketing system for tickets")

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        bad = [e for e in value if not _EMAIL.match(e)]
        if bad:
            raise ValueError(f"not email addresses: {bad}")
        return value

    @field_validator("https_endpoint")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must start with https:// (SNS sends alarms over TLS only here)")
        return value

    @property
    def anyone(self) -> bool:
        return bool(self.emails or self.https_endpoint)


class NotificationSettings(SubscriberSettings):
    """The paging topic's subscribers (`emails`, `httpsEndpoint`), and the ticket topic's (`tickets`)."""

    tickets: SubscriberSettings | None = Field(
        None, description="who gets ticket-level notifications (the availability burn-rate windows, budget "
                          "forecasts, the replica's alarms); default: the paging emails, without the pager")

    @property
    def ticket_subscribers(self) -> SubscriberSettings:
        return self.tickets if self.tickets is not None else SubscriberSettings(emails=list(self.emails), https_endpoint=None)


class BudgetSettings(Settings):
    """The env's AWS Budget: its notification thresholds, which of them page, and what it counts."""

    actual_percents: list[float] = Field(default_factory=lambda: [80.0, 100.0], min_length=1,
                                         description="notify when actual spend passes these percents of the budget")
    forecast_percent: float = Field(100.0, gt=0, description="notify when forecast spend passes this percent")
    page_at_actual_percent: float = Field(
        100.0, gt=0, description="actual spend at or past this percent pages; lower actual thresholds and the "
                                 "forecast go to the ticket topic")
    filter_by_environment_tag: bool = Field(
        True, description="count only costs tagged Environment=<env> (activate the tag for cost allocation)")


class BillingAlarmSettings(Settings):
    """EstimatedCharges is per account: exactly one env of an account owns this alarm."""

    enabled: bool = Field(description="whether this env owns its account's EstimatedCharges alarm")
    threshold_usd: float | None = Field(None, gt=0, description="default: the env's monthlyBudgetUsd")
    period_seconds: int = Field(  # AWS publishes EstimatedCharges about every 6 hours
        21_600, description="seconds per datapoint of the billing alarm")


class XRaySettings(Settings):
    fixed_rate: float = Field(ge=0, le=1, description="share of requests beyond the reservoir that are traced")
    reservoir_per_second: int = Field(ge=0, le=100, description="traced requests per second before fixed_rate")
    priority: int = Field(1000, ge=1, le=9999, description="sampling rule priority (lower wins)")
    insights: bool = Field(False, description="X-Ray Insights on the group (anomaly notifications)")


RecorderMode = Literal["create", "existing"]


class ConfigSettings(Settings):
    """AWS Config: the recorder is one per account and region."""

    recorder: RecorderMode = Field(
        description="'create' a recorder + delivery channel, or use the account's 'existing' one")
    recording_frequency: Literal["CONTINUOUS", "DAILY"] = Field(
        "CONTINUOUS", description="how often the recorder records configuration changes")
    snapshot_frequency: Literal["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"] = Field(
        "TwentyFour_Hours", description="how often the delivery channel writes a configuration snapshot")
    bucket_retention_days: int = Field(365, ge=30, le=3653, description="days the delivered history is kept")
    exclude_rules: list[str] = Field(default_factory=list, description="managed rules not applied in this env")


class ObservabilitySettings(Settings):
    notifications: NotificationSettings
    alarms: AlarmSet
    availability: AvailabilitySettings = Field(default_factory=lambda: AvailabilitySettings.model_validate({}))
    budget: BudgetSettings = Field(default_factory=lambda: BudgetSettings.model_validate({}))
    billing_alarm: BillingAlarmSettings
    xray: XRaySettings
    aws_config: ConfigSettings
    dashboard_period_seconds: int = Field(300, description="default period of dashboard graphs")

    @field_validator("dashboard_period_seconds")
    @classmethod
    def _period(cls, value: int) -> int:
        if value % 60:
            raise ValueError("dashboards graph periods in multiples of 60 s")
        return value

    @model_validator(mode="after")
    def _someone_is_notified(self) -> ObservabilitySettings:
        n = self.notifications
        if not n.anyone:
            raise ValueError("notifications: no email and no httpsEndpoint: every alarm would page nobody")
        if not n.ticket_subscribers.anyone:
            raise ValueError("notifications.tickets: no email and no httpsEndpoint (and notifications.emails is empty, "
                             "so there is no default): the availability burn-rate alarms and budget forecasts would "
                             "notify nobody")
        return self
