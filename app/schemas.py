"""Hand-written validation of order bodies (no pydantic: it would cost ~0.1 s of cold start).

The schema is the one in ``app/openapi.yaml`` (``OrderInput``); every error names its field with a JSON
path such as ``items[0].quantity`` so a client can show it next to the input.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.errors import ValidationError

MAX_ITEMS = 100
MAX_QUANTITY = 10_000
MAX_UNIT_PRICE = Decimal("1000000")
# The columns these values go into (app/models.py builds them from these numbers): an id or key longer
# than ID_MAX_LENGTH, or a total past numeric(TOTAL_PRECISION, TOTAL_SCALE), would be refused by
# PostgreSQL *after* validation, i.e. as a 500. 100 items x 10,000 x 1,000,000 can reach 10^12, one
# cent past the column, so the total has its own bound.
ID_MAX_LENGTH = 128
TOTAL_PRECISION, TOTAL_SCALE = 14, 2
MAX_TOTAL = Decimal(10 ** (TOTAL_PRECISION - TOTAL_SCALE)) - Decimal("0.01")
# Patterns are applied with fullmatch: ``re.match`` with ``$`` also accepts a trailing newline, so
# "128 characters + \n" slipped through and reached a varchar(128). Explicit ASCII classes: ``\d``
# would accept any Unicode digit.
_ID_RE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:@/-]{{0,{ID_MAX_LENGTH - 1}}}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
# An amount written as a string: a plain decimal, ASCII digits, at most 2 decimals. Refuses what
# Decimal() would take but a client almost certainly did not mean: "-0", "1_000", " 5 ", "1e3", "NaN",
# "١٢" (Arabic-Indic digits).
_AMOUNT_RE = re.compile(r"(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?")
_MAX_AMOUNT_DIGITS = 15  # integer digits accepted before the bound checks (keeps quantize() in range)
ORDER_FIELDS = frozenset({"customer_id", "items", "currency", "total", "idempotency_key"})
ITEM_FIELDS = frozenset({"sku", "quantity", "unit_price"})


@dataclass(frozen=True, slots=True)
class OrderInput:
    customer_id: str
    items: list[dict[str, Any]]  # [{"sku", "quantity", "unit_price" (str, 2 decimals)}]
    total: Decimal
    currency: str
    idempotency_key: str | None = None


def _money(value: Any) -> Decimal | None:
    """A non-negative amount with at most 2 decimals, or None. Huge or odd values are None, never an
    exception: ``Decimal("1e30").quantize(...)`` raises InvalidOperation, which used to be a 500."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    if isinstance(value, str):
        if not _AMOUNT_RE.fullmatch(value):
            return None
        dec = Decimal(value)
    else:
        if isinstance(value, int) and value.bit_length() > 64:  # str() of a huge int is slow (and capped)
            return None
        try:
            dec = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            return None
        if not dec.is_finite() or dec.adjusted() >= _MAX_AMOUNT_DIGITS or dec < 0:
            return None
    try:
        cents = dec.quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return cents if cents == dec else None


class _Errors:
    """Field errors of one order, each named by its JSON path under ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.found.append({"field": f"{self.path}{field}", "message": message})


def _check_party(body: dict[str, Any], errors: _Errors) -> tuple[Any, Any, Any]:
    """Unknown fields, ``customer_id``, ``currency`` (default USD) and ``idempotency_key``, as given."""
    for extra in sorted(set(body) - ORDER_FIELDS):
        errors.add(extra, "unknown field")
    customer_id = body.get("customer_id")
    if not isinstance(customer_id, str) or not _ID_RE.fullmatch(customer_id):
        errors.add("customer_id", "required string, 1-128 characters of [A-Za-z0-9._:@/-]")
    currency = body.get("currency", "USD")
    if not isinstance(currency, str) or not _CURRENCY_RE.fullmatch(currency):
        errors.add("currency", "must be an ISO 4217 code such as USD")
    key = body.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not _ID_RE.fullmatch(key)):
        errors.add("idempotency_key", "must be a string, 1-128 characters of [A-Za-z0-9._:@/-]")
    return customer_id, currency, key


def _check_item(item: Any, at: str, errors: _Errors) -> tuple[dict[str, Any], Decimal] | None:
    """One line item as stored (price as a 2-decimal string) and its amount, or None when it is unusable."""
    if not isinstance(item, dict):
        errors.add(at, "must be an object")
        return None
    for extra in sorted(set(item) - ITEM_FIELDS):
        errors.add(f"{at}.{extra}", "unknown field")
    sku = item.get("sku")
    if not isinstance(sku, str) or not _ID_RE.fullmatch(sku):
        errors.add(f"{at}.sku", "required string, 1-128 characters")
    qty = item.get("quantity")
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QUANTITY:
        errors.add(f"{at}.quantity", f"required integer between 1 and {MAX_QUANTITY}")
        qty = None
    price = _money(item.get("unit_price"))
    if price is None or price < 0 or price > MAX_UNIT_PRICE:
        errors.add(f"{at}.unit_price", "required amount >= 0 with at most 2 decimals")
        price = None
    if qty is None or price is None or not isinstance(sku, str):
        return None
    return {"sku": sku, "quantity": qty, "unit_price": str(price)}, price * qty


def _check_items(items: Any, errors: _Errors) -> tuple[list[dict[str, Any]], Decimal]:
    """The line items as stored and the sum of their amounts."""
    if not isinstance(items, list) or not items:
        errors.add("items", f"required non-empty array (at most {MAX_ITEMS} items)")
        return [], Decimal("0.00")
    if len(items) > MAX_ITEMS:
        errors.add("items", f"at most {MAX_ITEMS} items, got {len(items)}")
        return [], Decimal("0.00")
    checked = [_check_item(item, f"items[{i}]", errors) for i, item in enumerate(items)]
    usable = [line for line in checked if line is not None]
    return [stored for stored, _ in usable], sum((amount for _, amount in usable), Decimal("0.00"))


def _check_total(body: dict[str, Any], computed: Decimal, errors: _Errors) -> None:
    """The items' sum fits the column; a ``total`` the client sent is an amount equal to it."""
    if not errors.found and computed > MAX_TOTAL:
        errors.add("total", f"the items sum to {computed}, more than an order can hold ({MAX_TOTAL})")
    if "total" in body:
        given = _money(body["total"])
        if given is None:
            errors.add("total", "must be an amount with at most 2 decimals")
        elif not errors.found and given != computed:
            errors.add("total", f"does not match the sum of the items ({computed})")


def validate_order(body: Any, *, path: str = "") -> OrderInput:
    """Validate one order; raise :class:`ValidationError` listing every field error (not only the first)."""
    if not isinstance(body, dict):
        raise ValidationError([{"field": path.rstrip(".") or "body", "message": "must be a JSON object"}])
    errors = _Errors(path)
    customer_id, currency, key = _check_party(body, errors)
    items, computed = _check_items(body.get("items"), errors)
    _check_total(body, computed, errors)
    if errors.found or not isinstance(customer_id, str) or not isinstance(currency, str):
        raise ValidationError(errors.found)
    return OrderInput(
        customer_id=customer_id, items=items, total=computed, currency=currency, idempotency_key=key
    )


def validate_batch(body: Any, *, max_records: int) -> list[Any]:
    """Check the envelope of a batch (``{"orders": [...]}``); records are validated one by one later."""
    if not isinstance(body, dict) or not isinstance(body.get("orders"), list):
        raise ValidationError([{"field": "orders", "message": "required array of orders"}])
    records = body["orders"]
    if set(body) - {"orders"}:
        raise ValidationError(
            [{"field": f, "message": "unknown field"} for f in sorted(set(body) - {"orders"})]
        )
    if not records:
        raise ValidationError([{"field": "orders", "message": "must contain at least one order"}])
    if len(records) > max_records:
        from app.errors import PayloadTooLargeError

        raise PayloadTooLargeError(f"too many records: {len(records)} > {max_records} per request")
    return records


def parse_limit(raw: str | None, *, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    # ASCII digits only: str.isdigit() is true for "²", which int() then refuses (a 500).
    if not _LIMIT_RE.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise ValidationError([{"field": "limit", "message": f"integer between 1 and {maximum}"}])
    return int(raw)


_LIMIT_RE = re.compile(r"[0-9]{1,9}")
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_uuid(value: str) -> bool:
    return isinstance(value, str) and _UUID_RE.fullmatch(value) is not None


def derived_key(base: str, index: int) -> str:
    """The key of record ``index`` of a request whose key is ``base``: ``base:index`` while it fits the
    column; past it, a digest of ``base`` (``base`` may be up to ID_MAX_LENGTH long itself)."""
    key = f"{base}:{index}"
    if len(key) <= ID_MAX_LENGTH:
        return key
    return f"sha256:{hashlib.sha256(base.encode()).hexdigest()}:{index}"


def validate_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not _ID_RE.fullmatch(value):  # match() would let a trailing newline through ($)
        raise ValidationError(
            [{"field": "Idempotency-Key", "message": "header must be 1-128 characters of [A-Za-z0-9._:@/-]"}]
        )
    return value
