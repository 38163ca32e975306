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


class Full(Exception):
    """What psycopg raises when the replica refuses a connection for lack of room (SQLSTATE 53300)."""

    sqlstate = "53300"


def test_a_full_replica_is_asked_again_after_a_doubling_jittered_backoff_that_stops_growing() -> None:
    clock, calls, jitter = Clock(), [], [0.0]

    def full(engine: object) -> float:
        calls.append(clock.now)
        raise Full("connection failed: FATAL:  too many connections for role \"app_reader\"")

    health = ReplicaHealth(interval_s=5, down_interval_s=30, clock=clock, full_backoff_min_s=30,
                           full_backoff_max_s=300, jitter=lambda: jitter[0])
    waits = []
    for _ in range(7):
        assert health.usable(None, 5.0, full) is False  # type: ignore[arg-type]
        assert health.reason.startswith(f"full: refused {len(calls)}x")
        waits.append(health._next_check - clock.now)
        clock.now = health._next_check - 0.1
        assert health.usable(None, 5.0, full) is False and len(waits) == len(calls)  # type: ignore[arg-type]
        clock.now += 0.1
    assert waits == [30, 60, 120, 240, 300, 300, 300]
    jitter[0] = 1.0  # the longest draw halves the wait: environments refused together retry apart
    assert health.mark_full() == 150
    for _ in range(2000):  # refused for a week at the longest wait: still the longest wait
        health.mark_full()
    assert health.mark_full() == 150


def test_a_replica_with_room_again_resets_the_backoff() -> None:
    clock, answers = Clock(), [Full(), Full(), 0.0, Full()]

    def measure(engine: object) -> float:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    health = ReplicaHealth(interval_s=5, clock=clock, full_backoff_min_s=30, full_backoff_max_s=300, jitter=lambda: 0.0)
    for expected_wait in (30, 60):
        assert health.usable(None, 5.0, measure) is False  # type: ignore[arg-type]
        assert health._next_check - clock.now == expected_wait
        clock.now = health._next_check
    assert health.usable(None, 5.0, measure) is True  # type: ignore[arg-type]
    clock.now += 5
    assert health.usable(None, 5.0, measure) is False and health._next_check - clock.now == 30  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error, full",
    [
        (Full(), True),
        (RuntimeError('connection failed: FATAL:  too many connections for role "app_reader"'), True),
        (RuntimeError("FATAL:  sorry, too many clients already"), True),
        (RuntimeError("FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute"), True),
        (ConnectionRefusedError("connection refused"), False),
        (RuntimeError('FATAL:  password authentication failed for user "app_reader"'), False),
    ],
)
def test_only_a_refusal_for_room_counts_as_full(error: Exception, full: bool) -> None:
    from sqlalchemy import exc as sa_exc

    from app.replica import is_capacity_refusal

    assert is_capacity_refusal(error) is full
    wrapped = sa_exc.OperationalError("SELECT 1", {}, error)  # as SQLAlchemy hands it to the app
    assert is_capacity_refusal(wrapped) is full
