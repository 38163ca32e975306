"""Database access: the one engine factory, writer/replica engines per execution environment, retries.

* :func:`build_engine` is the only place an engine is made (the app, the migrate function, ``invoke serve``
  and the tests all use it; ``tests/app/unit/test_app_engine_factory.py`` fails on any other
  ``create_engine``). With ``DATABASE_IAM_AUTH`` on it refuses a URL without TLS and signs a fresh IAM token
  as the password of every new connection.
* Engines are module-level lazy singletons, rebuilt only when the resolved URL changes (a rolled-back host
  reaches a warm function at the next config refresh).
* Pools are Lambda-sized: ``pool_size`` 1 (``DB_POOL_SIZE``), no overflow, pre-ping, recycle: one execution
  environment serves one request at a time (the connection budget is in docs/data.md).
* Reads (``role="reader"``) go to the replica when the config names one (``reader_host`` differs from the
  writer's), unless the replica is unreachable, lags more than ``replica_max_lag_seconds`` or refuses the
  connection because its cap of direct app connections is full: then the primary serves them
  (:mod:`app.replica` keeps that verdict per environment: seconds when down, a growing backoff when full).
  Each read the primary serves because the replica is full is counted in ``replica_full_fallbacks``, which
  the api emits as its ``ReplicaFullFallbacks`` metric (the observability layer tickets on it).
* :func:`transaction` runs a unit of work in ONE transaction and retries it as a whole on transient errors
  (connection loss, serialization failure, deadlock, pool timeout) with exponential backoff and full
  jitter, never past the invocation's remaining time minus a safety margin. A failed attempt is rolled
  back, so a retry can never leave half of the work behind; when the budget is gone the caller gets
  :class:`DatabaseUnavailableError` (HTTP 503 + Retry-After).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import create_engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential
from tenacity.stop import stop_base

from app import deadline as invocation
from app import iam_auth, replica
from app.config import get_config
from app.errors import DatabaseUnavailableError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 5
CONNECT_TIMEOUT_S = 3  # also the worst case a retry can block before its first statement
# A read on a hot standby can wait on a lock that WAL replay holds until the primary's transaction is
# replayed (PostgreSQL docs, "Hot Standby": "Handling Query Conflicts"); bounded, it fails over to the
# primary like any other replica failure instead of holding the request. Reader engines only: they talk
# to the replica directly, never through RDS Proxy (where a startup option would pin the session).
REPLICA_STATEMENT_TIMEOUT_MS = 2000
BACKOFF_MULTIPLIER_S = 0.05
BACKOFF_MAX_S = 2.0

_lock = threading.Lock()
_engines: dict[str, Engine] = {}  # "writer"/"reader" -> engine
_urls: dict[str, str] = {}
_last_served: ContextVar[str | None] = ContextVar("db_last_served", default=None)
served: Counter[str] = Counter()  # transactions per serving engine, this environment
# Reads (role "reader") the primary served because the replica refused the reader role as full, this
# environment: the api turns the increase over a request into its ReplicaFullFallbacks metric.
replica_full_fallbacks = 0


# RDS accepts IAM tokens only over TLS ("IAM database authentication ... requires SSL", RDS User Guide,
# UsingWithRDS.IAMDBAuth.Connecting); these are the libpq modes that guarantee it.
TLS_SSLMODES = ("require", "verify-ca", "verify-full")


class InsecureEngineError(ValueError):
    """An engine with IAM auth was asked for over a connection that does not require TLS."""


def build_engine(
    url: str,
    *,
    iam: bool | None = None,
    pool_size: int | None = None,
    connect_timeout: int = CONNECT_TIMEOUT_S,
    statement_timeout_ms: int | None = None,
) -> Engine:
    """The one engine factory. ``iam`` defaults to ``DATABASE_IAM_AUTH``; with it the URL must require TLS."""
    iam = iam_auth.enabled() if iam is None else iam
    parsed = make_url(url)
    if iam and parsed.query.get("sslmode") not in TLS_SSLMODES:
        raise InsecureEngineError(
            f"IAM database auth needs TLS: the URL for {parsed.host} has sslmode="
            f"{parsed.query.get('sslmode')!r}, expected one of {', '.join(TLS_SSLMODES)}"
        )
    engine = create_engine(
        url,
        pool_size=pool_size or int(os.environ.get("DB_POOL_SIZE", "1")),
        max_overflow=0,
        pool_pre_ping=True,
        pool_recycle=300,
        pool_timeout=5,
        connect_args={
            "connect_timeout": connect_timeout,
            "application_name": os.environ.get("POWERTOOLS_SERVICE_NAME", "orders"),
            # No server-side prepared statements: RDS Proxy pins a client session that prepares one,
            # which would cost the multiplexing that lets 1,000 functions share a few connections.
            "prepare_threshold": None,
            **({"options": f"-c statement_timeout={statement_timeout_ms}"} if statement_timeout_ms else {}),
        },
    )
    if iam:
        iam_auth.attach(engine)
    return engine


def _engine(role: str) -> Engine:
    config = get_config()
    url = config.writer_url() if role == "writer" else config.reader_url()
    engine = _engines.get(role)
    if engine is not None and _urls.get(role) == url:
        return engine
    with _lock:
        engine = _engines.get(role)
        if engine is None or _urls.get(role) != url:
            if engine is not None:
                logger.info("database URL changed; rebuilding engine", extra={"role": role})
                engine.dispose()
            timeout = REPLICA_STATEMENT_TIMEOUT_MS if role == "reader" and url != config.writer_url() else None
            engine = build_engine(url, statement_timeout_ms=timeout)
            _engines[role], _urls[role] = engine, url
            if role == "reader":
                replica.health.reset()  # a verdict about the old replica says nothing about the new one
    return engine


def writer() -> Engine:
    """The primary (through RDS Proxy) engine."""
    return _engine("writer")


def reader() -> Engine:
    """The replica engine (the writer's URL when no reader is configured)."""
    return _engine("reader")


def reset_degraded() -> None:
    """Forget an earlier outage (tests; a new execution environment starts this way)."""
    global _degraded_until
    _degraded_until = 0.0


def route(role: str) -> tuple[Engine, str]:
    """The engine for a unit of work and the name of what serves it: ``primary`` or ``replica``."""
    if role == "writer":
        return writer(), "primary"
    config = get_config()
    if config.reader_url() == config.writer_url():
        return writer(), "primary"
    engine = reader()
    if replica.health.usable(engine, config.replica_max_lag_seconds()):
        return engine, "replica"
    return writer(), "primary"


def last_served() -> str | None:
    """Which engine served this context's last transaction (``primary``/``replica``): logs and tests."""
    return _last_served.get()


def dispose_engines() -> None:
    reset_degraded()
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _urls.clear()
    replica.health.reset()
    served.clear()
    global replica_full_fallbacks
    replica_full_fallbacks = 0


class CheckoutError(Exception):
    """Getting a usable connection failed (connect, or the pool's pre-ping): never the statement's fault.

    A connection cut mid-statement can come back from the pool still marked ACTIVE, and the pre-ping
    then fails with psycopg's ProgrammingError ("can't change 'autocommit' now"): by its class that is
    not transient, by its cause it is (found by ``invoke drill`` with the database taken away).
    """


def _checkout(role: str) -> tuple[Connection, str]:
    """A connection for ``role`` and the name of what serves it.

    A replica that refuses the connection because its cap is full (app/replica.py) is not a failure: this
    read goes to the primary at once, in the same attempt (no retry, no backoff sleep), and the
    environment leaves the replica alone for its backoff. Any other failure to connect is a
    :class:`CheckoutError` (transient: the retry connects afresh; a replica that failed is marked down).
    """
    engine, name = route(role)
    try:
        return engine.connect(), name
    except sa_exc.DBAPIError as exc:
        if name == "replica" and replica.is_capacity_refusal(exc):
            replica.health.mark_full()
            return _checkout("writer")
        engine.dispose()  # drop what the pool holds: the next attempt connects afresh
        if name == "replica":
            replica.health.mark_down(f"unreachable: {type(exc).__name__} during a read")
        raise CheckoutError(f"{type(exc).__name__}: {exc}"[:300]) from exc


def is_transient(exc: BaseException) -> bool:
    """Errors worth another attempt: the connection, not the statement, was the problem."""
    if isinstance(exc, CheckoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    # OperationalError covers connection failures and psycopg's TransactionRollbackError
    # (serialization failure, deadlock); pool TimeoutError means every connection is busy.
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError))


class stop_at_deadline(stop_base):  # noqa: N801 - tenacity's naming
    """Stop unless the next sleep *and* a whole attempt fit before the deadline (the remaining time).

    An attempt on a dropped connection can block for the connect timeout before it fails, so a retry
    that starts with less than that left could outlive the invocation.
    """

    def __init__(self, deadline: float, clock: Callable[[], float] = time.monotonic,
                 attempt_budget_s: float = CONNECT_TIMEOUT_S) -> None:
        self.deadline = deadline
        self.clock = clock
        self.attempt_budget_s = attempt_budget_s

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.clock() + retry_state.upcoming_sleep + self.attempt_budget_s >= self.deadline


def retrying(
    *,
    deadline: float | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    attempt_budget_s: float = CONNECT_TIMEOUT_S,
) -> Retrying:
    stop = stop_after_attempt(max_attempts) | stop_at_deadline(deadline or invocation.current(), clock, attempt_budget_s)
    budget = invocation.retry_until()
    if budget is not None:  # the caller's retry budget (the API's ~1 s): no new attempt starts past it
        stop = stop | stop_at_deadline(budget, clock, attempt_budget_s=0.0)
    return Retrying(
        retry=retry_if_exception(is_transient),
        wait=wait_random_exponential(multiplier=BACKOFF_MULTIPLIER_S, max=BACKOFF_MAX_S),
        stop=stop,
        sleep=sleep,
        reraise=True,
        before_sleep=_log_retry,
    )


def _log_retry(retry_state: RetryCallState) -> None:
    exc = retry_state.outcome.exception() if retry_state.outcome else None
    logger.warning(
        "transient database error; retrying",
        extra={
            "attempt": retry_state.attempt_number,
            "sleep_s": round(retry_state.upcoming_sleep, 3),
            "error": type(exc).__name__ if exc else None,
        },
    )


# After a transaction gave up on the database, this execution environment tries once (no backoff
# retries) until a transaction succeeds or this window passes: during an outage every request answers
# its 503 at once instead of each spending the retry budget (which queued requests behind one another
# under load: `invoke drill`), and the first request after recovery succeeds.
DEGRADED_WINDOW_S = 5.0
_degraded_until = 0.0


def transaction(work: Callable[[Connection], T], *, role: str = "writer", deadline: float | None = None) -> T:
    """Run ``work(conn)`` in one transaction, retried as a whole on transient errors within the deadline.

    ``role="reader"`` reads from the replica when it is usable; a transient failure there marks it down,
    so the retry runs on the primary.
    """
    global _degraded_until, replica_full_fallbacks
    attempts = 1 if time.monotonic() < _degraded_until else MAX_ATTEMPTS
    try:
        for attempt in retrying(deadline=deadline, max_attempts=attempts):
            with attempt:
                connection, name = _checkout(role)
                try:
                    with connection, connection.begin():
                        result = work(connection)
                except Exception as exc:
                    if name == "replica" and is_transient(exc):
                        replica.health.mark_down(f"unreachable: {type(exc).__name__} during a read")
                    raise
                _degraded_until = 0.0
                _last_served.set(name)
                served[name] += 1
                if role == "reader" and name == "primary" and replica.health.full:
                    replica_full_fallbacks += 1
                return result
    except Exception as exc:
        if is_transient(exc):
            _degraded_until = time.monotonic() + DEGRADED_WINDOW_S
            logger.error("database unavailable after retries", extra={"error": f"{type(exc).__name__}"})
            raise DatabaseUnavailableError() from exc
        raise
    raise AssertionError("unreachable")  # pragma: no cover
