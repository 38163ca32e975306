"""Hypothesis strategies for what a hostile client sends: JSON documents, strings, numbers, headers.

Biased towards the classes that used to get past validation (docs/app.md, "hostile input"): values
one character past a column, a trailing newline, numbers past ``Decimal`` or ``numeric(14,2)``,
amount strings that are not plain decimals, non-ASCII digits, deep nesting, wrong media types.
Profiles: ``dev`` (default, quick) and ``ci`` (more examples, still bounded); pick one with
``HYPOTHESIS_PROFILE``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "dev",
    max_examples=40,
    deadline=None,  # a real PostgreSQL and an emulator on a loaded 2-core machine: latency is noise
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=False,
)
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # CI is reproducible: the same examples on every run
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

VALID_ID = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@/-]{0,20}", fullmatch=True)
EDGE_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "a" * 128,
        "a" * 129,
        "a" * 128 + "\n",
        "a\n",
        "c-1\n",
        "USD\n",
        "\u0000",
        "\ud800",  # a lone surrogate (valid as a JSON escape)
        "٣",  # an Arabic-Indic digit
        "x" * 5000,
        "../../etc/passwd",
        "'; DROP TABLE orders; --",
    ]
)
HOSTILE_TEXT = st.one_of(EDGE_STRINGS, VALID_ID, st.text(max_size=40))
AMOUNT_STRINGS = st.sampled_from(
    ["-0", "1_000", " 5 ", "5 ", "1e3", "1E30", "NaN", "Infinity", "-1", "0.001", "١٢", "١٢.٥٠", "12.5\n",
     "+1", "0x10", "1,00", "999999999999.99", "1000000000000", "9" * 40, "0.00", "12.50"]
)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, -1, 10_000, 10_001, 1_000_000, 10**12, 10**18, 2**63, 10**300, -(10**300)]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e30, -0.0, 0.005, 1e-7, 1e308, 12.345]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, HOSTILE_TEXT, AMOUNT_STRINGS)
JSON_DOCS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(HOSTILE_TEXT, children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def hostile_items(draw: st.DrawFn) -> Any:
    item = {
        "sku": draw(st.one_of(VALID_ID, HOSTILE_TEXT, SCALARS)),
        "quantity": draw(st.one_of(st.integers(min_value=1, max_value=10_000), NUMBERS, SCALARS)),
        "unit_price": draw(st.one_of(AMOUNT_STRINGS, NUMBERS, SCALARS)),
    }
    if draw(st.booleans()):
        item[draw(HOSTILE_TEXT)] = draw(SCALARS)
    return item


@st.composite
def hostile_orders(draw: st.DrawFn) -> Any:
    """An order-shaped document with one or more hostile fields (or, sometimes, a valid order)."""
    order: dict[str, Any] = {
        "customer_id": draw(st.one_of(VALID_ID, HOSTILE_TEXT, SCALARS)),
        "items": draw(
            st.one_of(
                st.lists(hostile_items(), min_size=1, max_size=3),
                st.just([{"sku": "big", "quantity": 10_000, "unit_price": "1000000"}] * 100),
                JSON_DOCS,
            )
        ),
    }
    for field, values in (
        ("currency", st.one_of(st.just("USD"), HOSTILE_TEXT)),
        ("total", st.one_of(AMOUNT_STRINGS, NUMBERS, SCALARS)),
        ("idempotency_key", st.one_of(VALID_ID, HOSTILE_TEXT, SCALARS)),
    ):
        if draw(st.booleans()):
            order[field] = draw(values)
    return order


def deep_nesting(depth: int) -> str:
    return "[" * depth + "]" * depth


BODIES = st.one_of(
    hostile_orders().map(json.dumps),
    st.builds(lambda orders: json.dumps({"orders": orders}), st.lists(hostile_orders(), min_size=0, max_size=3)),
    JSON_DOCS.map(json.dumps),
    st.sampled_from(
        [
            "",
            "{",
            "null",
            "NaN",
            '{"orders": [1e999]}',
            "1" * 5000,  # past int()'s 4,300-digit limit
            deep_nesting(100_000),
            '{"orders":' + deep_nesting(50_000) + "}",
            '{"customer_id": "c", "items": [{"sku": "s", "quantity": ١, "unit_price": "1"}]}',
        ]
    ),
    st.text(max_size=60),
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/problem+json",
            "application/json; charset=latin-1",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
            "json",
            "",
        ]
    ),
    st.text(max_size=30),
)
HEADER_VALUES = st.one_of(EDGE_STRINGS, VALID_ID, st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=40))


@st.composite
def hostile_headers(draw: st.DrawFn) -> dict[str, str]:
    headers: dict[str, str] = {}
    if draw(st.integers(0, 9)) > 0:  # mostly present
        headers["Content-Type"] = draw(CONTENT_TYPES)
    for name in ("Idempotency-Key", "X-Correlation-Id"):
        if draw(st.booleans()):
            headers[name] = draw(HEADER_VALUES)
    if draw(st.integers(0, 9)) == 0:
        headers[draw(st.sampled_from(["content-type", "idempotency-key"]))] = draw(HEADER_VALUES)
    return headers


# A URL carries bytes: a lone surrogate cannot be percent-encoded, so no client can send one in a query.
URL_TEXT = HOSTILE_TEXT.filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s))
PATH_TEXT = st.text(st.characters(blacklist_characters="?#", blacklist_categories=("Cs",)), max_size=40)
QUERY_VALUES = st.one_of(
    st.sampled_from(["", "0", "1", "200", "201", "-1", "1.5", "²", "١٢", "99999999999999999999", "10\n", " 5"]),
    st.text(max_size=20),
)
