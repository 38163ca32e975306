"""Retries: transient errors only, exponential backoff with full jitter, bounded by the remaining time."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import exc as sa_exc

from app import deadline
from app.db import BACKOFF_MAX_S, CONNECT_TIMEOUT_S, MAX_ATTEMPTS, is_transient, retrying

pytestmark = pytest.mark.unit


def operational() -> sa_exc.OperationalError:
    return sa_exc.OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


class FakeTime:
    def __init__(self) -> None:
        self.now, self.sleeps = 0.0, []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


def run(fake: FakeTime, deadline_at: float, fn) -> int:
    attempts = 0

    def counted() -> None:
        nonlocal attempts
        attempts += 1
        fake.now += 0.01  # each attempt costs 10 ms
        fn(attempts)

    for attempt in retrying(deadline=deadline_at, sleep=fake.sleep, clock=fake.clock):
        with attempt:
            counted()
    return attempts


def test_classification() -> None:
    assert is_transient(operational())
    assert is_transient(sa_exc.TimeoutError())
    assert not is_transient(sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_transient(ValueError())


def test_transient_error_is_retried_until_success() -> None:
    fake = FakeTime()

    def fail_twice(n: int) -> None:
        if n <= 2:
            raise operational()

    assert run(fake, 100.0, fail_twice) == 3
    assert len(fake.sleeps) == 2 and all(0 <= s <= BACKOFF_MAX_S for s in fake.sleeps)


def test_non_transient_error_is_not_retried() -> None:
    fake = FakeTime()

    def boom(n: int) -> None:
        raise sa_exc.IntegrityError("INSERT", {}, Exception("duplicate"))

    with pytest.raises(sa_exc.IntegrityError):
        run(fake, 100.0, boom)
    assert fake.sleeps == []


def test_attempts_are_capped_when_time_is_plenty() -> None:
    fake = FakeTime()
    with pytest.raises(sa_exc.OperationalError):
        run(fake, 1000.0, lambda n: (_ for _ in ()).throw(operational()))
    assert len(fake.sleeps) == MAX_ATTEMPTS - 1


def test_a_retry_starts_only_if_a_whole_attempt_still_fits() -> None:
    """With 2 s left a retry could block 3 s on connect: fail now; with 10 s left, retry."""
    fake = FakeTime()
    with pytest.raises(sa_exc.OperationalError):
        run(fake, 2.0, lambda n: (_ for _ in ()).throw(operational()))
    assert fake.sleeps == []
    fake = FakeTime()
    with pytest.raises(sa_exc.OperationalError):
        run(fake, 10.0, lambda n: (_ for _ in ()).throw(operational()))
    assert len(fake.sleeps) == MAX_ATTEMPTS - 1
    assert fake.now + CONNECT_TIMEOUT_S <= 10.0


def test_retries_never_sleep_past_the_deadline() -> None:
    for seed in range(20):
        import random

        random.seed(seed)
        fake = FakeTime()
        with pytest.raises(sa_exc.OperationalError):
            run(fake, 0.12, lambda n: (_ for _ in ()).throw(operational()))
        assert fake.now <= 0.12 + 0.01  # the last attempt may start just before the deadline


def test_full_jitter_spreads_sleeps() -> None:
    fake = FakeTime()
    sleeps = []
    for _ in range(30):
        fake.sleeps = []
        with pytest.raises(sa_exc.OperationalError):
            run(fake, fake.now + 1000, lambda n: (_ for _ in ()).throw(operational()))
        sleeps.append(fake.sleeps[-1])
    assert len(set(sleeps)) > 20  # random, not a fixed schedule
    assert max(sleeps) <= 0.05 * 2**MAX_ATTEMPTS


def test_deadline_comes_from_the_lambda_context() -> None:
    class Ctx:
        def get_remaining_time_in_millis(self) -> int:
            return 3000

    with deadline.invocation(Ctx(), margin_s=0.5):
        assert 2.4 < deadline.current() - time.monotonic() <= 2.5
    with deadline.invocation(object()):
        assert deadline.current() - time.monotonic() > 9


def _attempts_until_given_up() -> int:
    from sqlalchemy.exc import OperationalError

    attempts = []
    with pytest.raises(OperationalError):
        for attempt in retrying(sleep=lambda _s: None):
            with attempt:
                attempts.append(time.monotonic())
                raise OperationalError("x", {}, RuntimeError("down"))
    return len(attempts)


def test_the_api_retry_budget_stops_new_attempts_and_a_new_invocation_has_none() -> None:
    """With the database down an API request answers in about RETRY_BUDGET_S, not after every attempt."""
    from app.local import FakeContext

    with deadline.invocation(FakeContext(), retry_budget_s=0.0):  # spent: the first failure is final
        assert _attempts_until_given_up() == 1
    with deadline.invocation(FakeContext()):  # the next invocation (e.g. the worker) has no budget
        assert deadline.retry_until() is None
        assert _attempts_until_given_up() == MAX_ATTEMPTS


def test_nothing_of_an_invocation_outlives_it() -> None:
    """A spent budget or a near deadline of one invocation must not cut the retries of what runs next in
    the thread (it once made the next test's transactions give up after one attempt)."""

    class Ending:
        def get_remaining_time_in_millis(self) -> int:
            return 600  # 0.1 s after the margin

    with deadline.invocation(Ending(), retry_budget_s=0.0):
        assert deadline.current() - time.monotonic() < 0.2
    assert deadline.retry_until() is None
    assert deadline.current() - time.monotonic() > 9
    assert _attempts_until_given_up() == MAX_ATTEMPTS
    with pytest.raises(RuntimeError), deadline.invocation(Ending(), retry_budget_s=0.0):
        raise RuntimeError("a handler that fails")
    assert deadline.retry_until() is None
