"""Whether the read replica may serve reads right now: reachable, and not lagging past the bound.

One verdict per execution environment, re-checked at most every ``CHECK_INTERVAL_S`` (one extra round trip
to the replica per interval, not per read) while it is usable, and every ``DOWN_RECHECK_S`` once it is not:
a black-holed replica costs a request its connect timeout once per that interval, not every few seconds.
A replica that fails a read is marked down at once, so the retry of that read goes to the primary.
The lag is measured on the replica itself: zero when it has replayed everything it received (an idle
primary sends nothing, which is not lag), else the age of the last replayed transaction.

A replica that refuses the connection because it is full (SQLSTATE 53300: the reader role's CONNECTION
LIMIT, the replica's hard cap of direct app connections, or max_connections itself) is not down: the
environment reads from the primary and asks the replica again after a backoff of its own, jittered and
doubling from ``REPLICA_FULL_BACKOFF_MIN_S`` to ``REPLICA_FULL_BACKOFF_MAX_S`` (app/contract.py), so the
environments past the cap cost the replica a bounded trickle of sign-ins, not one per request. Each read the
primary serves meanwhile is counted (app/db.py), and the api emits the count as ``ReplicaFullFallbacks``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import text

from app.contract import REPLICA_FULL_BACKOFF_MAX_S, REPLICA_FULL_BACKOFF_MIN_S, REPLICA_FULL_JITTER

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

CHECK_INTERVAL_S = 5.0
DOWN_RECHECK_S = 30.0
LAG_SQL = text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


# too_many_connections (PostgreSQL docs, Appendix A "PostgreSQL Error Codes"): what a server answers past a
# role's CONNECTION LIMIT ("too many connections for role"), past max_connections ("sorry, too many
# clients already") or into the superuser-reserved slots ("remaining connection slots are reserved").
TOO_MANY_CONNECTIONS = "53300"
_FULL_MESSAGES = ("too many connections for role", "too many clients already", "remaining connection slots are reserved")


def is_capacity_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) is the server refusing a connection for lack of room."""
    current: BaseException | None = exc
    for _ in range(5):  # SQLAlchemy's DBAPIError -> psycopg's OperationalError, and their causes
        if current is None:
            return False
        if getattr(current, "sqlstate", None) == TOO_MANY_CONNECTIONS:
            return True
        if any(message in str(current) for message in _FULL_MESSAGES):
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


def measure_lag(engine: Engine) -> float:
    """Seconds the replica is behind (0 when caught up); raises when it cannot be reached."""
    with engine.connect() as conn:
        return float(conn.execute(LAG_SQL).scalar_one())


class ReplicaHealth:
    def __init__(
        self,
        interval_s: float = CHECK_INTERVAL_S,
        down_interval_s: float = DOWN_RECHECK_S,
        clock: Callable[[], float] = time.monotonic,
        full_backoff_min_s: float = REPLICA_FULL_BACKOFF_MIN_S,
        full_backoff_max_s: float = REPLICA_FULL_BACKOFF_MAX_S,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.interval_s = interval_s
        self.down_interval_s = down_interval_s
        self.full_backoff_min_s = full_backoff_min_s
        self.full_backoff_max_s = full_backoff_max_s
        self._clock = clock
        self._jitter = jitter
        self._lock = threading.Lock()
        self._usable = False
        self._next_check = float("-inf")
        self._refusals = 0  # consecutive "full" answers: the backoff doubles with each
        self.reason = "not checked"

    def usable(self, engine: Engine, max_lag_s: float, measure: Callable[[Engine], float] = measure_lag) -> bool:
        if self._clock() < self._next_check:
            return self._usable
        with self._lock:
            if self._clock() < self._next_check:
                return self._usable
            try:
                lag = measure(engine)
                usable, reason = lag <= max_lag_s, f"lag {lag:.1f}s (bound {max_lag_s:g}s)"
            except Exception as exc:  # any failure to reach or query it means: do not read from it
                if is_capacity_refusal(exc):
                    self._set_full()
                    return False
                usable, reason = False, f"unreachable: {type(exc).__name__}"
            self._set(usable, reason)
            return usable

    @property
    def full(self) -> bool:
        """Whether the last verdict was "full": the replica refused the reader role for lack of room."""
        return self.reason.startswith("full")

    def mark_down(self, reason: str) -> None:
        with self._lock:
            self._set(False, reason)

    def mark_full(self) -> float:
        """The replica refused a connection for lack of room: back off (returns the wait, seconds)."""
        with self._lock:
            return self._set_full()

    def reset(self) -> None:
        with self._lock:
            self._usable, self._next_check, self.reason = False, float("-inf"), "not checked"
            self._refusals = 0

    def _set_full(self) -> float:
        # The exponent stops growing long after the wait did (2**16 x 30 s is far past any maximum): an
        # environment refused for days must not overflow a float.
        wait = min(self.full_backoff_max_s, self.full_backoff_min_s * 2 ** min(self._refusals, 16))
        wait *= 1 - REPLICA_FULL_JITTER * self._jitter()
        self._refusals += 1
        self._set(False, f"full: refused {self._refusals}x, next try in {wait:.0f}s", wait)
        return wait

    def _set(self, usable: bool, reason: str, wait_s: float | None = None) -> None:
        full, was_full = reason.startswith("full"), self.reason.startswith("full")
        if full and not was_full:  # expected under load (the cap is doing its job): info, not a warning
            logger.info("replica full; reads go to the primary", extra={"replica_reason": reason})
        elif usable != self._usable or reason.startswith("unreachable"):
            log = logger.info if usable else logger.warning
            log("replica %s", "serving reads" if usable else "bypassed; reads go to the primary",
                extra={"replica_reason": reason})
        if usable:
            self._refusals = 0
        self._usable, self.reason = usable, reason
        if wait_s is None:
            wait_s = self.interval_s if usable else self.down_interval_s
        self._next_check = self._clock() + wait_s


health = ReplicaHealth()
