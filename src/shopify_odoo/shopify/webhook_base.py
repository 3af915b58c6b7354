"""Shared pieces of webhook parsing: the payload error, the delivery headers, field readers.

Ids: the numeric part of ``admin_graphql_api_id`` is preferred to the ``id`` field (it is exact
even where a sample was re-serialised through floats); every id is a Python int, never a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from shopify_odoo.errors import TerminalError
from shopify_odoo.shopify.ids import gid, gid_number
from shopify_odoo.shopify.orders import parse_datetime


class WebhookPayloadError(TerminalError):
    """A validly signed delivery whose body we cannot read: keep it for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            cause="webhook_payload",
            hint="the delivery is kept in the inbox; report it with its webhook id",
        )


@dataclass(frozen=True)
class WebhookMeta:
    """The delivery headers (§d.3, correction 14)."""

    topic: str
    shop_domain: str | None
    webhook_id: str | None  # dedupe key of one delivery
    event_id: str | None  # shared by all deliveries of one merchant action
    triggered_at: datetime | None
    api_version: str | None


# -- helpers -------------------------------------------------------------------------------


def obj(body: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise WebhookPayloadError(f"{what} is not a JSON object")
    return body


def resource_id(body: Mapping[str, Any], kind: str, what: str) -> tuple[int, str]:
    """(exact numeric id, GID) of a resource body."""
    api_id = body.get("admin_graphql_api_id")
    if isinstance(api_id, str) and api_id.startswith("gid://shopify/"):
        return gid_number(api_id), api_id.partition("?")[0]
    raw = body.get("id")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw, gid(kind, raw)
    raise WebhookPayloadError(f"{what} has neither admin_graphql_api_id nor an integer id")


def opt_int(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def opt_str(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) else None


def decimal(body: Mapping[str, Any], key: str) -> Decimal | None:
    value = body.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError as exc:
        raise WebhookPayloadError(f"{key} is not a decimal: {value!r}") from exc


def timestamp(body: Mapping[str, Any], key: str) -> datetime | None:
    value = body.get(key)
    return parse_datetime(value) if isinstance(value, str) and value else None


def objects(body: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = body.get(key)
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
