"""Shopify global ids (GIDs) and their numeric parts, kept exact (never through floats)."""

from __future__ import annotations

from shopify_odoo.errors import TerminalError

_PREFIX = "gid://shopify/"


def gid(kind: str, number: int | str) -> str:
    """``gid("InventoryItem", 42)`` -> ``"gid://shopify/InventoryItem/42"``."""
    return f"{_PREFIX}{kind}/{number}"


def gid_kind(value: str) -> str:
    """The resource kind of a GID (``"InventoryLevel"``), query string ignored."""
    return _split(value)[0]


def gid_number(value: str) -> int:
    """The numeric id of a GID as an exact int (``?inventory_item_id=...`` suffixes ignored)."""
    number = _split(value)[1]
    if not number.isdigit():
        raise TerminalError(f"Shopify id {value!r} has no numeric part", cause="bad_payload")
    return int(number)


def gid_query(value: str) -> dict[str, str]:
    """The query-string parameters of a GID (webhook InventoryLevel GIDs, correction 17)."""
    _, _, query = value.partition("?")
    out: dict[str, str] = {}
    for part in query.split("&"):
        key, sep, val = part.partition("=")
        if sep:
            out[key] = val
    return out


def _split(value: str) -> tuple[str, str]:
    if not value.startswith(_PREFIX):
        raise TerminalError(
            f"{value!r} is not a Shopify global id (gid://shopify/...)", cause="bad_payload"
        )
    path = value[len(_PREFIX) :].partition("?")[0]
    kind, sep, number = path.partition("/")
    if not sep or not kind:
        raise TerminalError(
            f"{value!r} is not a Shopify global id (gid://shopify/Kind/id)", cause="bad_payload"
        )
    return kind, number
