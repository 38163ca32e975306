"""The provisioned-concurrency floor a deploy writes: the peak floor while the schedule holds it."""

from __future__ import annotations

from datetime import datetime

import pytest

from shared.components.compute.peak import CronShapeError, in_peak, parse
from shared.components.compute.scaling import floor_now
from shared.components.compute.settings import ProvisionedConcurrency
from shared.config import ConfigError, validate_settings

pytestmark = pytest.mark.unit
START, END, ZONE = "cron(0 8 ? * MON-FRI *)", "cron(0 18 ? * MON-FRI *)", "America/New_York"
PROD = {"minCapacity": 5, "maxCapacity": 100, "peak": {"start": START, "end": END, "timezone": ZONE,
                                                      "minCapacity": 10}}


@pytest.mark.parametrize("instant, peak", [
    ("2026-01-05T13:00:00+00:00", True),   # Monday 08:00 New York (EST): peak-start has just fired
    ("2026-01-05T12:59:00+00:00", False),  # a minute before
    ("2026-01-05T22:59:00+00:00", True),   # Monday 17:59 New York
    ("2026-01-05T23:00:00+00:00", False),  # 18:00: peak-end fired
    ("2026-01-10T15:00:00+00:00", False),  # Saturday 10:00: no peak at weekends
    ("2026-07-06T12:30:00+00:00", True),   # Monday 08:30 EDT (UTC-4): the zone's DST is honoured
])
def test_in_peak_follows_the_schedule_in_its_time_zone(instant, peak):
    assert in_peak(START, END, ZONE, datetime.fromisoformat(instant)) is peak


def test_a_deploy_during_peak_writes_the_peak_floor(monkeypatch):
    settings = validate_settings(ProvisionedConcurrency, PROD, "prod")
    monkeypatch.setenv("SERVERLESS_INFRA_NOW", "2026-01-06T16:00:00+00:00")  # Tuesday 11:00 New York
    assert floor_now(settings) == 10
    monkeypatch.setenv("SERVERLESS_INFRA_NOW", "2026-01-06T03:00:00+00:00")  # Monday 22:00 New York
    assert floor_now(settings) == 5
    no_peak = validate_settings(ProvisionedConcurrency, {"minCapacity": 1, "maxCapacity": 5}, "staging")
    assert floor_now(no_peak) == 1


def test_schedules_the_deploy_cannot_evaluate_are_refused():
    assert parse("cron(30 7 ? * 2-6 *)") == (30, 7, frozenset(range(5)))
    with pytest.raises(CronShapeError):
        parse("cron(0/15 8 ? * MON-FRI *)")
    for bad, fragment in (({"start": "cron(0 8 1 * ? *)"}, "expected cron"),
                          ({"timezone": "Mars/Olympus"}, "not an IANA time zone")):
        with pytest.raises(ConfigError, match=fragment):
            validate_settings(ProvisionedConcurrency, {**PROD, "peak": {**PROD["peak"], **bad}}, "prod")
