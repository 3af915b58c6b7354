"""Plain-ASGI helpers the two sandboxes' hot paths share."""

from __future__ import annotations

from typing import Any


async def read_body(receive: Any) -> bytes | None:
    """The whole request body, or None when the client went away first."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)
