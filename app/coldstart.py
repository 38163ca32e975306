"""The garbage collector during a cold start: paused from INIT to the end of the first invocation.

A cold start allocates hundreds of thousands of long-lived objects (modules, classes, functions, the
botocore and SQLAlchemy registries) and almost no garbage. CPython's generational collector still runs
every 700 allocations and re-examines what survived: measured with ``gc.callbacks`` in the cold-start
benchmark, 80 ms of the api's and 150 ms of the worker's CPU (13% and 22%) went to collections that
freed next to nothing (docs/performance.md, "The levers, one at a time"). So the handler package pauses
the collector before the first import, and the handler resumes it when its first invocation returns:
``gc.freeze()`` first moves everything the cold start built into the permanent generation, so later
full collections do not walk it again (https://docs.python.org/3/library/gc.html#gc.freeze). The price:
reference cycles that became garbage before the freeze are never collected (a one-time, bounded amount;
reference counting frees everything else as usual). A ``gc.collect()`` before the freeze would reclaim
them at the cost of one full collection in the first caller's latency.

Only inside a Lambda execution environment: Lambda sets ``AWS_LAMBDA_INITIALIZATION_TYPE``
(``on-demand``, ``provisioned-concurrency``, ``snap-start``) in every one
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime);
tests, the local server and tools that import a handler keep the collector as it is.
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable
from typing import Any, TypeVar

INIT_TYPE_VARIABLE = "AWS_LAMBDA_INITIALIZATION_TYPE"

F = TypeVar("F", bound=Callable[..., Any])

_paused = False


def in_execution_environment() -> bool:
    return bool(os.environ.get(INIT_TYPE_VARIABLE))


def pause_gc() -> bool:
    """Pause the collector for the cold start (inside Lambda, when it runs); whether it was paused."""
    global _paused
    if not _paused and in_execution_environment() and gc.isenabled():
        gc.disable()
        _paused = True
    return _paused


def resume_gc() -> None:
    """Freeze what the cold start built and run the collector again (once; later calls do nothing)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def resumes_gc(handler: F) -> F:
    """Decorate a Lambda handler: the collector resumes when its first invocation ends, however it ends."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        finally:
            resume_gc()

    return wrapper  # type: ignore[return-value]
