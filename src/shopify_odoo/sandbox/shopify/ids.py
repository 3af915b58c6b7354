"""Shopify global ids: ``gid://shopify/<Type>/<64-bit id>``."""

from __future__ import annotations

import base64
import json

PREFIX = "gid://shopify/"

#: Ids start above 2**53 so that a client routing ids through floats fails loudly in tests
#: (fact sheet §i.8 and correction 19: parse as exact int64, key on the GID).
ID_BASE = 2**53 + 1


def gid(kind: str, num: int) -> str:
    return f"{PREFIX}{kind}/{num}"


_PARSED: dict[str, tuple[str, int] | None] = {}


def parse_gid(value: object, kind: str | None = None) -> tuple[str, int] | None:
    """``(type, id)`` of a GID, or None when it is not one (of ``kind``)."""
    if not isinstance(value, str):
        return None
    parsed = _PARSED.get(value)
    if parsed is None and value not in _PARSED:
        parsed = _parse(value)
        if len(_PARSED) > 200_000:
            _PARSED.clear()
        _PARSED[value] = parsed
    if parsed is None or (kind is not None and parsed[0] != kind):
        return None
    return parsed


def _parse(value: str) -> tuple[str, int] | None:
    if not value.startswith(PREFIX):
        return None
    rest = value[len(PREFIX) :].split("?", 1)[0]
    typ, _, num = rest.partition("/")
    if not num.isdigit():
        return None
    return typ, int(num)


def gid_id(value: object, kind: str) -> int | None:
    parsed = parse_gid(value, kind)
    return parsed[1] if parsed else None


def cursor(payload: dict[str, object]) -> str:
    """Opaque cursors as Shopify shapes them: base64 of a small JSON object."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.b64encode(raw).decode()


def read_cursor(value: str) -> dict[str, object] | None:
    try:
        data = json.loads(base64.b64decode(value.encode(), validate=True))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None
