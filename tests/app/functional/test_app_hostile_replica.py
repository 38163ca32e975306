"""Hostile reads through the replica route, against the real handler, a real primary and its streaming replica.

The rule of test_app_hostile_input.py (2xx, or a 4xx in the app's JSON error shape; never a 5xx while the
dependencies are up) for ``GET /orders`` (limit, cursor: random text and forged cursors that decode, with
extreme timestamps, offsets and ids; parameters the route does not take, which it ignores) and
``GET /orders/{id}``, in two states of the replica:

* ``replica``: reads go to a caught-up streaming replica, as the reader role (CONNECTION LIMIT 2);
* ``full``: the reader role's two slots are held by other environments, so the replica refuses the app with
  SQLSTATE 53300 on every request (no backoff here) and the primary serves the read.

Each request is also answered with reads on the primary (no replica configured): both answers must be the
same, byte for byte, and the engine that served is the one the state says.
"""

from __future__ import annotations

import base64
import copy
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import hypothesis
import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy.pool import NullPool

from app import config, db, replica
from app.local import FakeContext, api_event
from app.roles import DEFAULT_READER
from tests.app.conftest import as_role
from tests.app.hostile import PATH_TEXT, QUERY_VALUES, URL_TEXT, hostile_headers
from tests.app.streaming_replica import replica_with_reader_cap, wait_for

pytestmark = [pytest.mark.functional, pytest.mark.usefixtures("clean_db")]

CAP = 2
SEEDED = 7  # orders on both servers; three share one created_at, so pages break ties on id
EXAMPLES = 25  # per property and state: two handler calls each, the whole file in a few seconds


@pytest.fixture(scope="module")
def replica_url(pg_url: str) -> Iterator[str]:
    with replica_with_reader_cap(pg_url, CAP) as url:
        yield url


@pytest.fixture
def seeded(stack: dict, replica_url: str) -> list[str]:
    """SEEDED orders on the primary, replayed on the replica; their ids, newest first."""
    primary = sa.create_engine(stack["pg_url"], poolclass=NullPool)
    base = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    with primary.begin() as conn:
        for i in range(SEEDED):
            conn.execute(sa.text(
                "INSERT INTO orders (id, idempotency_key, request_hash, customer_id, items, total, currency, created_at) "
                "VALUES (gen_random_uuid(), :key, 'h', 'c', '[]', :total, 'EUR', :at)"),
                {"key": f"hostile-replica-{i}", "total": i + 1, "at": base + timedelta(seconds=min(i, 4))})
        ids = list(conn.execute(sa.text("SELECT id::text FROM orders ORDER BY created_at DESC, id DESC")).scalars())
    primary.dispose()
    wait_for(replica_url, lambda conn: conn.execute(sa.text("SELECT count(*) FROM orders")).scalar_one() == SEEDED)
    return ids


@pytest.fixture(params=["replica", "full"])
def state(request: pytest.FixtureRequest, replica_url: str, seeded: list[str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The app configured twice (reads on the replica as the reader role; reads on the primary), and the
    replica's state: ``full`` holds both of the reader role's slots for the whole test."""
    monkeypatch.setenv("DB_POOL_SIZE", "1")
    monkeypatch.setattr(replica.health, "full_backoff_min_s", 0.0)  # ask (and be refused) on every request
    monkeypatch.setattr(replica.health, "full_backoff_max_s", 0.0)
    with_replica = {**os.environ, "READER_DATABASE_URL": as_role(replica_url, DEFAULT_READER)}
    without = {k: v for k, v in os.environ.items() if k != "READER_DATABASE_URL"}
    caches = {"replica": config.ConfigCache(config.Pointers.from_env(with_replica)),
              "primary": config.ConfigCache(config.Pointers.from_env(without))}
    holders = []
    if request.param == "full":
        holders = [sa.create_engine(as_role(replica_url, DEFAULT_READER), poolclass=NullPool).connect()
                   for _ in range(CAP)]
    db.dispose_engines()
    try:
        yield {"name": request.param, "caches": caches, "ids": seeded}
    finally:
        for holder in holders:
            holder.close()
        db.dispose_engines()
        config.reset_config()


def answer(cache: config.ConfigCache, event: dict) -> tuple[dict, list[str]]:
    """The handler's response to ``event`` with ``cache``'s config, and the engines that served its reads."""
    from app.handlers import api

    config.reset_config(cache)
    before = db.served.copy()
    response = api.lambda_handler(copy.deepcopy(event), FakeContext(function_name="api"))
    return response, sorted((db.served - before).elements())


def assert_same_and_sound(state: dict[str, Any], event: dict) -> dict:
    """Both routes answer; the answers are the rule's and equal; the replica's state decided who served."""
    on_primary, served_primary = answer(state["caches"]["primary"], event)
    routed, served = answer(state["caches"]["replica"], event)
    status = routed["statusCode"]
    assert 200 <= status < 500, (status, routed.get("body"))
    payload = json.loads(routed["body"])
    if status >= 400:
        assert isinstance(payload, dict) and isinstance(payload.get("message"), str), payload
    assert routed == on_primary, (routed, on_primary)
    hypothesis.event(f"{status} served by {served}")  # --hypothesis-show-statistics: what the examples reached
    assert set(served_primary) <= {"primary"}
    if served:  # the request reached the database (a bad limit or cursor is refused before it)
        if state["name"] == "full":
            assert set(served) == {"primary"}, served
            assert replica.health.reason.startswith("full"), replica.health.reason
        else:
            assert served[0] == "replica" or served == ["primary", "replica"], served
    return payload


def _cursor(version: Any, created_at: Any, order_id: Any) -> str:
    raw = json.dumps([version, created_at, order_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


FORGED_EXAMPLE = _cursor(1, "0001-01-01T00:00:00+14:00", "00000000-0000-0000-0000-000000000000")


OFFSETS = st.one_of(
    st.sampled_from([timedelta(0), timedelta(hours=14), timedelta(hours=-14), timedelta(hours=23, minutes=59),
                     timedelta(hours=-23, minutes=-59), timedelta(hours=5, minutes=30, seconds=45, microseconds=123456)]),
    st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)),
)
TIMESTAMPS = st.builds(lambda when, offset: when.replace(tzinfo=timezone(offset)).isoformat(),
                      st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)), OFFSETS)
STAMPS = st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59.999999-14:00", "2026-11-30T12:00:04+00:00",
                          "2026-11-30T12:00:04Z", "2026-11-30 12:00:04+00", "2026-11-30T12:00:04", "20261130T120004+0000",
                          "2026-W48-1T12:00:00+00:00", "", "now", "infinity"])
# Cursors that decode and pass the shape checks (version 1, an aware timestamp, a UUID): they reach SQL.
WELL_FORMED_CURSORS = st.builds(_cursor, st.just(1), st.one_of(TIMESTAMPS, STAMPS), st.uuids().map(str))
FORGED_CURSORS = st.builds(
    _cursor,
    st.sampled_from([1, 0, 2, "1", None, 1.0, True]),
    st.one_of(TIMESTAMPS, STAMPS, st.integers(), st.none()),
    st.one_of(st.uuids().map(str), st.sampled_from(["00000000-0000-0000-0000-000000000000",
                                                    "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "not-a-uuid", ""])),
)


@settings(max_examples=EXAMPLES)
@given(
    limit=st.one_of(st.none(), st.integers(1, 100).map(str), QUERY_VALUES, st.integers(-2, 105).map(str)),
    cursor=st.one_of(st.none(), WELL_FORMED_CURSORS, FORGED_CURSORS, QUERY_VALUES, URL_TEXT),
    extra=st.dictionaries(st.sampled_from(["status", "customer_id", "order", "limit ", "cursor[]"]), URL_TEXT, max_size=2),
    headers=hostile_headers(),
)
@example(limit="3", cursor=None, extra={}, headers={})
@example(limit="1", cursor=FORGED_EXAMPLE, extra={}, headers={})
def test_list_through_the_replica_answers_as_the_primary(
    state: dict[str, Any], limit: str | None, cursor: str | None, extra: dict[str, str], headers: dict[str, str]
) -> None:
    """And the pages that follow (each next_cursor, both routes) to the last: ties on created_at included."""
    query = {**extra, **{k: v for k, v in (("limit", limit), ("cursor", cursor)) if v is not None}}
    seen: list[str] = []
    for _ in range(SEEDED + 1):
        path = "/orders" + (f"?{urlencode(query)}" if query else "")
        payload = assert_same_and_sound(state, api_event("GET", path, headers))
        if "orders" not in payload:
            return
        seen += [o["id"] for o in payload["orders"]]
        assert set(seen) <= set(state["ids"]) and seen == [i for i in state["ids"] if i in seen]  # newest first, once
        if payload["next_cursor"] is None:
            return
        query["cursor"] = payload["next_cursor"]
    raise AssertionError(f"more pages than orders: {query}")


@st.composite
def order_paths(draw: st.DrawFn) -> str:
    """A seeded order's id (as is, upper-cased, padded, braced), a random UUID, or hostile path text."""
    seeded = draw(st.integers(0, SEEDED - 1))
    return draw(st.one_of(
        st.just(f"@{seeded}"),
        st.sampled_from(["upper", "braces", "space", "urn"]).map(lambda how: f"@{seeded}:{how}"),
        st.uuids().map(str),
        PATH_TEXT.filter(lambda s: "/" not in s and s not in ("", ".", "..")).map(lambda s: quote(s, safe="")),
    ))


def _resolve(path: str, ids: list[str]) -> str:
    if not path.startswith("@"):
        return path
    index, _, how = path[1:].partition(":")
    order_id = ids[int(index)]
    return {"": order_id, "upper": order_id.upper(), "braces": quote("{" + order_id + "}"),
            "space": quote(order_id + " "), "urn": quote("urn:uuid:" + order_id)}[how]


@settings(max_examples=EXAMPLES)
@given(order=order_paths(), headers=hostile_headers())
@example(order="@0", headers={})
def test_get_through_the_replica_answers_as_the_primary(
    state: dict[str, Any], order: str, headers: dict[str, str]
) -> None:
    path = _resolve(order, state["ids"])
    payload = assert_same_and_sound(state, api_event("GET", f"/orders/{path}", headers))
    if order.startswith("@") and ":" not in order:
        assert payload["id"] == path  # a seeded order is found, on either route
