"""One percentile rule for every latency figure the repo prints: ``invoke bench`` (app/bench.py), the load
test's per-route breakdown (ops/load/report.py) and the outage drill (ops/drill.py).

Standard library only, and not in the function zip (ops/build.py ``APP_EXCLUDES``): the Lambda code never
computes a percentile; tools on both sides of the app/ops line import it from here (ops may import app, not
the reverse).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction


def percentile(values: Iterable[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile: the smallest value with at least ``p``% of ``values`` at or below it.

    Of ``n`` values sorted ascending, the one at 1-based rank ``ceil(p / 100 * n)``; ``p = 0`` is the smallest
    value (rank 1), ``p = 100`` the largest. Always one of the values, never an interpolation, so a p99 never
    reads below what 1% of the requests really took. This is the "nearest-rank method"
    (https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method), Hyndman and Fan's definition 1, the
    inverse of the empirical distribution function ("Sample quantiles in statistical packages", The American
    Statistician 50(4), 1996; numpy's ``method="inverted_cdf"``).

    ``p`` is taken as the decimal it is written as (99.9 of 1,000 values is rank 999, not 1,000 from the
    binary float just above 99.9). Locust's own percentiles (its CSV's "99%") take 0-based index
    ``floor(p / 100 * n)`` of its rounded response-time buckets: one rank above this one when ``p / 100 * n``
    is whole, the same otherwise.

    No values give NaN (a report prints "nan" for a route nobody called); ``p`` outside 0..100 is an error.
    """
    if not 0 <= p <= 100:
        raise ValueError(f"percentile p={p!r}: must be between 0 and 100")
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = math.ceil(Fraction(str(p)) * len(ordered) / 100)
    return ordered[max(rank, 1) - 1]
