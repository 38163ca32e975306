"""The invocation's time budget, set by each handler from the Lambda context (stdlib only: cheap import)."""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

SAFETY_MARGIN_S = 0.5  # left for rolling back, answering and flushing metrics
DEFAULT_BUDGET_S = 10.0  # when no Lambda context is known (scripts)

_deadline: ContextVar[float | None] = ContextVar("invocation_deadline", default=None)
_retry_until: ContextVar[float | None] = ContextVar("retry_budget_deadline", default=None)


def set_retry_budget(seconds: float | None) -> None:
    """Stop starting new retries ``seconds`` from now (None: no budget beyond the invocation's time).

    A soft limit for a caller waiting on the other end: an API request with a dependency down should
    get its 503 in about a second, not after every attempt the invocation's 29 s would allow. An attempt
    already started may still finish after it; the invocation deadline stays the hard limit.
    """
    _retry_until.set(None if seconds is None else time.monotonic() + seconds)


def retry_until() -> float | None:
    return _retry_until.get()


def set_from_context(context: Any, margin_s: float = SAFETY_MARGIN_S) -> None:
    """Retries in this invocation stop before ``context.get_remaining_time_in_millis()`` minus a margin."""
    _retry_until.set(None)  # a new invocation: no retry budget until its handler sets one
    getter = getattr(context, "get_remaining_time_in_millis", None)
    remaining_ms = getter() if callable(getter) else None
    if not isinstance(remaining_ms, (int, float)):
        _deadline.set(None)
        return
    _deadline.set(time.monotonic() + remaining_ms / 1000.0 - margin_s)


def current() -> float:
    deadline = _deadline.get()
    return deadline if deadline is not None else time.monotonic() + DEFAULT_BUDGET_S
