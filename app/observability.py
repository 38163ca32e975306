"""Tracer factory: the real Powertools Tracer when tracing is on, a no-op when it is off.

``Tracer()`` imports the X-Ray SDK, which imports botocore (~0.15 s here) even with
``POWERTOOLS_TRACE_DISABLED=true``. Where tracing is off (locally, tests, or an env that opts out) we skip
that import entirely; where it is on (AWS) the import is paid in the INIT phase, which provisioned
concurrency pre-pays. docs/performance.md gives both figures.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from app.contract import env_flag

# What the X-Ray SDK patches. Powertools' default (``patch_modules=None``) is the SDK's ``patch_all()``,
# which at INIT imports and patches every supported library it finds: SQLAlchemy and its ORM, psycopg,
# sqlite3, http.client... (~150-450 ms here, docs/performance.md). We trace the AWS calls (SSM, SQS:
# the dependencies whose latency we cannot see otherwise) and each route as a subsegment
# (``capture_method``); a database call shows as the time of its route's subsegment.
TRACED_MODULES = ("botocore",)


def tracing_disabled() -> bool:
    return env_flag(os.environ.get("POWERTOOLS_TRACE_DISABLED"), default=False)


class NoopTracer:
    """The subset of Powertools' Tracer the handlers use, doing nothing."""

    def capture_lambda_handler(self, func: Callable | None = None, **_: Any) -> Callable:
        return func if func is not None else (lambda f: f)

    def capture_method(self, func: Callable | None = None, **_: Any) -> Callable:
        return func if func is not None else (lambda f: f)

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        return None


def make_tracer() -> Any:
    if tracing_disabled():
        return NoopTracer()
    from aws_lambda_powertools import Tracer

    return Tracer(patch_modules=TRACED_MODULES)


# The app's modules that log through the standard library (app.config, app.db, app.iam_auth) are
# children of this logger; they propagate to it.
APP_LOGGER = "app"


def route_library_logs(logger: Any) -> None:
    """Send the app's stdlib loggers through the handler's Powertools logger.

    They then share its JSON formatter, level, sampling and appended keys (the correlation id, the
    Lambda context), instead of reaching CloudWatch as bare text that loses their ``extra`` fields.
    Powertools copies its handler to top-level loggers only, so it is copied to ``app`` and the
    modules' loggers (``app.db``...) reach it by propagation.
    """
    import logging

    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    logging.getLogger(APP_LOGGER)  # register it, so the copy finds it before app.db is imported
    copy_config_to_registered_loggers(source_logger=logger, include={APP_LOGGER})
