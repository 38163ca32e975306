"""The opaque keyset cursor."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from app.cursor import decode_cursor, encode_cursor
from app.errors import ValidationError

pytestmark = pytest.mark.unit

WHEN = datetime(2026, 11, 27, 4, 30, 1, 123456, tzinfo=UTC)
ID = "0b9e6f8e-1f7a-4b53-9a43-2f0d7d1f5a11"


def test_round_trip_keeps_microseconds() -> None:
    cursor = encode_cursor(WHEN, ID)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor
    assert decode_cursor(cursor) == (WHEN, ID)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "!!!",
        "a" * 300,
        base64.urlsafe_b64encode(b'[1,"2026-01-01T00:00:00+00:00","not-a-uuid"]').decode(),
        base64.urlsafe_b64encode(
            b'[2,"2026-01-01T00:00:00+00:00","0b9e6f8e-1f7a-4b53-9a43-2f0d7d1f5a11"]'
        ).decode(),
        base64.urlsafe_b64encode(
            b'[1,"2026-01-01T00:00:00","0b9e6f8e-1f7a-4b53-9a43-2f0d7d1f5a11"]'
        ).decode(),
        base64.urlsafe_b64encode(b'{"a":1}').decode(),
    ],
)
def test_tampered_cursor_is_a_validation_error(bad: str) -> None:
    with pytest.raises(ValidationError) as exc:
        decode_cursor(bad)
    assert exc.value.errors[0]["field"] == "cursor"
