"""Which provisioned-concurrency floor holds *now*, given the peak schedule: what a deploy must write.

The scheduled actions raise the scalable target's minimum at peak-start and lower it at peak-end
("A scheduled action sets the MinCapacity and MaxCapacity to what is specified by the scheduled
action at the date and time specified", Application Auto Scaling, How scheduled scaling works). A
deploy registers the target again with the program's minimum, so a program that always said the
off-peak floor would undo the peak floor until the next action. The program therefore writes the
floor the schedule holds at deploy time. Pure: no Pulumi, no AWS.

Only the cron shape a working-day schedule needs is evaluated (``cron(M H ? * DAYS *)``, one minute
and one hour, any day-of-week set); the settings refuse other shapes rather than guess.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# The offline synth pins "now" here (an ISO 8601 instant) so its graphs are reproducible.
CLOCK_VARIABLE = "SERVERLESS_INFRA_NOW"
_SHAPE = re.compile(r"^cron\((\d{1,2}) (\d{1,2}) (\?|\*) \* (\S+) \*\)$")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # AWS cron: 1 = SUN .. 7 = SAT


class CronShapeError(ValueError):
    """A schedule this module cannot evaluate (the message says which shape it takes)."""


def _day_index(token: str) -> int:
    token = token.upper()
    if token.isdigit() and 1 <= int(token) <= 7:
        return int(token) - 1
    if token in _DAYS:
        return _DAYS.index(token)
    raise CronShapeError(f"day of week {token!r} is not SUN-SAT or 1-7")


def _weekdays(field: str) -> frozenset[int]:
    """Python weekday numbers (Mon=0) the day-of-week field selects."""
    if field in ("*", "?"):
        return frozenset(range(7))
    chosen: set[int] = set()
    for part in field.split(","):
        low, _, high = part.partition("-")
        first, last = _day_index(low), _day_index(high or low)
        span = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
        chosen |= {(d - 1) % 7 for d in span}  # AWS index (SUN=0) -> Python weekday (MON=0)
    return frozenset(chosen)


def parse(expression: str) -> tuple[int, int, frozenset[int]]:
    """(minute, hour, weekdays) of ``cron(M H ? * DAYS *)``, or `CronShapeError`."""
    match = _SHAPE.match(expression)
    if not match or not (0 <= int(match[1]) <= 59 and 0 <= int(match[2]) <= 23):
        raise CronShapeError(f"{expression!r}: expected cron(M H ? * DAYS *), e.g. cron(0 8 ? * MON-FRI *)")
    return int(match[1]), int(match[2]), _weekdays(match[4])


def last_run(expression: str, now: datetime) -> datetime:
    """The latest time at or before ``now`` (aware, in the schedule's zone) the expression fired."""
    minute, hour, weekdays = parse(expression)
    for days_back in range(8):
        day = now - timedelta(days=days_back)
        fired = day.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if day.weekday() in weekdays and fired <= now:
            return fired
    raise CronShapeError(f"{expression!r} selects no day of the week")


def in_peak(start: str, end: str, timezone: str, now: datetime) -> bool:
    """True when peak-start fired more recently than peak-end."""
    local = now.astimezone(ZoneInfo(timezone))
    return last_run(start, local) > last_run(end, local)


def clock() -> datetime:
    """Now, or the instant the offline synth pinned."""
    pinned = os.environ.get(CLOCK_VARIABLE)
    return datetime.fromisoformat(pinned) if pinned else datetime.now(UTC)
