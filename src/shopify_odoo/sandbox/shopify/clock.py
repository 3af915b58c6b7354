"""Injectable clocks: the sandbox never reads time except through one of these."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds for rate limiting (leaky buckets)."""
        ...

    def time(self) -> float:
        """Wall-clock epoch seconds (timestamps, token expiry)."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()


class ManualClock:
    """A clock tests move by hand, so costs, buckets and expiries are deterministic."""

    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self._mono = 1000.0
        self._wall = start

    def monotonic(self) -> float:
        return self._mono

    def time(self) -> float:
        return self._wall

    def advance(self, seconds: float) -> None:
        self._mono += seconds
        self._wall += seconds


def iso(ts: float) -> str:
    """GraphQL DateTime as Shopify writes it: ``2026-04-01T12:00:00Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rest_time(ts: float) -> str:
    """REST / webhook timestamps: ISO 8601 with offset, e.g. ``2021-12-31T19:00:00-05:00``
    (webhook samples); the sandbox shops run in UTC, so the offset is ``+00:00``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def triggered_at(ts: float) -> str:
    """``X-Shopify-Triggered-At``: UTC with 9 fractional digits (fact sheet correction 14)."""
    whole = int(ts)
    nanos = round((ts - whole) * 1e9)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    return datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def parse_time(text: str) -> float:
    """Parse the timestamps clients send in search queries (``2026-01-01T00:00:00Z`` or a date)."""
    text = text.strip().strip("'\"")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
