"""The invocation's time budget, set by each handler from the Lambda context (stdlib only: cheap import)."""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

SAFETY_MARGIN_S = 0.5  # left for rolling back, answering and flushing metrics
DEFAULT_BUDGET_S = 10.0  # when no Lambda context is known (scripts)

_deadline: ContextVar[float | None] = ContextVar("invocation_deadline", default=None)


def set_from_context(context: Any, margin_s: float = SAFETY_MARGIN_S) -> None:
    """Retries in this invocation stop before ``context.get_remaining_time_in_millis()`` minus a margin."""
    getter = getattr(context, "get_remaining_time_in_millis", None)
    remaining_ms = getter() if callable(getter) else None
    if not isinstance(remaining_ms, (int, float)):
        _deadline.set(None)
        return
    _deadline.set(time.monotonic() + remaining_ms / 1000.0 - margin_s)


def current() -> float:
    deadline = _deadline.get()
    return deadline if deadline is not None else time.monotonic() + DEFAULT_BUDGET_S
