"""The one percentile rule (app/percentile.py): nearest rank, pinned on inputs small enough to check by hand."""

from __future__ import annotations

import math

import pytest

from app.percentile import percentile

pytestmark = pytest.mark.unit


def test_one_value_is_every_percentile():
    assert [percentile([7.0], p) for p in (0, 1, 50, 99, 100)] == [7.0] * 5


def test_p0_is_the_smallest_and_p100_the_largest():
    assert percentile([3.0, 1.0, 2.0], 0) == 1.0
    assert percentile([3.0, 1.0, 2.0], 100) == 3.0


def test_odd_count_rank_is_ceil_of_p_n():
    values = [5.0, 1.0, 3.0, 2.0, 4.0]  # sorted 1..5; rank ceil(p * 5 / 100)
    assert percentile(values, 50) == 3.0  # ceil(2.5) = 3: the median
    assert (percentile(values, 20), percentile(values, 21)) == (1.0, 2.0)  # ceil(1.0) = 1, ceil(1.05) = 2
    assert (percentile(values, 80), percentile(values, 81)) == (4.0, 5.0)


def test_even_count_takes_a_value_never_a_midpoint():
    values = [40.0, 10.0, 30.0, 20.0]
    assert percentile(values, 50) == 20.0  # rank 2 exactly; not 25 (interpolation) nor 30 (round(1.5) = 2, 0-based)
    assert (percentile(values, 25), percentile(values, 26)) == (10.0, 20.0)
    assert (percentile(values, 75), percentile(values, 76)) == (30.0, 40.0)


def test_p99_of_100_is_the_99th_value_not_the_largest():
    values = [float(v) for v in range(100, 0, -1)]
    assert percentile(values, 99) == 99.0
    assert percentile(values, 7) == 7.0  # 7 / 100 * 100 is 7.000000000000001 in floats: still rank 7


def test_p_is_read_as_written_decimal():
    assert percentile(range(1, 1001), 99.9) == 999  # the binary float 99.9 is just above 99.9: rank 1000 if read as is


def test_input_is_left_as_it_was():
    values = [3.0, 1.0, 2.0]
    percentile(values, 50)
    assert values == [3.0, 1.0, 2.0]


def test_no_values_is_nan_and_p_outside_0_100_is_refused():
    assert math.isnan(percentile([], 50))
    for p in (-1, 100.5, math.nan):
        with pytest.raises(ValueError, match="between 0 and 100"):
            percentile([1.0], p)
