"""The replica verdict: checked at most once per interval, longer once down, marked down by a failed read."""

from __future__ import annotations

import pytest

from app.replica import ReplicaHealth

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_verdict_is_cached_per_interval_and_follows_the_lag_bound() -> None:
    clock, lags = Clock(), [0.5, 9.0]
    health = ReplicaHealth(interval_s=5, down_interval_s=30, clock=clock)
    measure = lambda engine: lags.pop(0)  # noqa: E731
    assert health.usable(None, 5.0, measure) is True  # type: ignore[arg-type]
    clock.now = 4.9
    assert health.usable(None, 5.0, measure) is True and lags == [9.0]  # type: ignore[arg-type]
    clock.now = 5.0
    assert health.usable(None, 5.0, measure) is False and health.reason.startswith("lag 9.0s")  # type: ignore[arg-type]


def test_unreachable_replica_is_rechecked_less_often() -> None:
    clock, calls = Clock(), []

    def refused(engine: object) -> float:
        calls.append(clock.now)
        raise ConnectionRefusedError()

    health = ReplicaHealth(interval_s=5, down_interval_s=30, clock=clock)
    for t in (0, 5, 10, 29.9, 30):
        clock.now = t
        assert health.usable(None, 5.0, refused) is False  # type: ignore[arg-type]
    assert calls == [0, 30] and health.reason == "unreachable: ConnectionRefusedError"


def test_a_failed_read_marks_it_down_until_the_down_interval_passes() -> None:
    clock = Clock()
    health = ReplicaHealth(interval_s=5, down_interval_s=30, clock=clock)
    assert health.usable(None, 5.0, lambda e: 0.0) is True  # type: ignore[arg-type]
    health.mark_down("unreachable: OperationalError during a read")
    clock.now = 29
    assert health.usable(None, 5.0, lambda e: 0.0) is False  # type: ignore[arg-type]
    clock.now = 30
    assert health.usable(None, 5.0, lambda e: 0.0) is True  # type: ignore[arg-type]
