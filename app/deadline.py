"""The invocation's time budget, set by each handler from the Lambda context (stdlib only: cheap import)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

SAFETY_MARGIN_S = 0.5  # left for rolling back, answering and flushing metrics
DEFAULT_BUDGET_S = 10.0  # when no Lambda context is known (scripts)

_deadline: ContextVar[float | None] = ContextVar("invocation_deadline", default=None)
_retry_until: ContextVar[float | None] = ContextVar("retry_budget_deadline", default=None)


def retry_until() -> float | None:
    return _retry_until.get()


def _deadline_of(context: Any, margin_s: float) -> float | None:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    remaining_ms = getter() if callable(getter) else None
    if not isinstance(remaining_ms, (int, float)):
        return None
    return time.monotonic() + remaining_ms / 1000.0 - margin_s


@contextmanager
def invocation(context: Any, *, retry_budget_s: float | None = None,
               margin_s: float = SAFETY_MARGIN_S) -> Iterator[None]:
    """The deadline (and retry budget) of one invocation, for the ``with`` block only.

    Retries stop before ``context.get_remaining_time_in_millis()`` minus ``margin_s``. ``retry_budget_s``
    also stops *starting* new retries that many seconds from now: a soft limit for a caller waiting on
    the other end (an API request with a dependency down should get its 503 in about a second, not after
    every attempt the invocation's 29 s would allow). An attempt already started may still finish after
    it; the invocation deadline stays the hard limit.

    Handlers run inside it, so nothing outlives the invocation: whatever runs next in this thread
    (the next invocation's handler before it sets its own, a script, a test) starts without a spent
    budget or a past deadline.
    """
    deadline_token = _deadline.set(_deadline_of(context, margin_s))
    budget_token = _retry_until.set(None if retry_budget_s is None else time.monotonic() + retry_budget_s)
    try:
        yield
    finally:
        _retry_until.reset(budget_token)
        _deadline.reset(deadline_token)


def current() -> float:
    deadline = _deadline.get()
    return deadline if deadline is not None else time.monotonic() + DEFAULT_BUDGET_S
