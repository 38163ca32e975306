"""Opaque keyset-pagination cursor: ``(created_at, id)`` of the last row of a page, base64url JSON.

Opaque to clients (they must not build one), checked on the way in: a tampered cursor is a 400, never a
500 or a silently wrong page.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from app.errors import ValidationError
from app.schemas import is_uuid

_VERSION = 1


def encode_cursor(created_at: datetime, order_id: str) -> str:
    raw = json.dumps([_VERSION, created_at.isoformat(), str(order_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    bad = ValidationError(
        [{"field": "cursor", "message": "invalid cursor; use next_cursor from a previous page"}]
    )
    if not cursor or len(cursor) > 256:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, created_at, order_id = json.loads(raw)
        when = datetime.fromisoformat(created_at)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise bad from None
    if version != _VERSION or not isinstance(order_id, str) or not is_uuid(order_id) or when.tzinfo is None:
        raise bad
    return when, order_id
