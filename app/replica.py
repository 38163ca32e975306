"""Whether the read replica may serve reads right now: reachable, and not lagging past the bound.

One verdict per execution environment, re-checked at most every ``CHECK_INTERVAL_S`` (one extra round trip
to the replica per interval, not per read) while it is usable, and every ``DOWN_RECHECK_S`` once it is not:
a black-holed replica costs a request its connect timeout once per that interval, not every few seconds.
A replica that fails a read is marked down at once, so the retry of that read goes to the primary.
The lag is measured on the replica itself: zero when it has replayed everything it received (an idle
primary sends nothing, which is not lag), else the age of the last replayed transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import text

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
    ) -> None:
        self.interval_s = interval_s
        self.down_interval_s = down_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._usable = False
        self._next_check = float("-inf")
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
                usable, reason = False, f"unreachable: {type(exc).__name__}"
            self._set(usable, reason)
            return usable

    def mark_down(self, reason: str) -> None:
        with self._lock:
            self._set(False, reason)

    def reset(self) -> None:
        with self._lock:
            self._usable, self._next_check, self.reason = False, float("-inf"), "not checked"

    def _set(self, usable: bool, reason: str) -> None:
        if usable != self._usable or reason.startswith("unreachable"):
            log = logger.info if usable else logger.warning
            log("replica %s", "serving reads" if usable else "bypassed; reads go to the primary",
                extra={"replica_reason": reason})
        self._usable, self.reason = usable, reason
        self._next_check = self._clock() + (self.interval_s if usable else self.down_interval_s)


health = ReplicaHealth()
