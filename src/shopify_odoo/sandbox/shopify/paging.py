"""Relay connections with Shopify's pagination arguments (first/last/after/before/reverse)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

from .ids import cursor, read_cursor
from .info import Info

_ = cursor


@dataclass(slots=True)
class Edge:
    cursor: str
    node: Any


class Conn:
    """A page: ``items`` are (sort key, node); cursors are made only when asked for."""

    __slots__ = ("_edges", "has_next", "has_prev", "items")

    def __init__(self, items: list[tuple[Any, Any]], has_next: bool, has_prev: bool) -> None:
        self.items = items
        self.has_next = has_next
        self.has_prev = has_prev
        self._edges: list[Edge] | None = None

    @property
    def nodes(self) -> list[Any]:
        return [n for _, n in self.items]

    @property
    def edges(self) -> list[Edge]:
        if self._edges is None:
            self._edges = [Edge(_key_cursor(k), n) for k, n in self.items]
        return self._edges

    @property
    def page_info(self) -> dict[str, Any]:
        return {
            "hasNextPage": self.has_next,
            "hasPreviousPage": self.has_prev,
            "startCursor": _key_cursor(self.items[0][0]) if self.items else None,
            "endCursor": _key_cursor(self.items[-1][0]) if self.items else None,
        }


def _key_cursor(key: tuple[Any, ...]) -> str:
    return cursor({"last_id": key[-1], "last_value": key[0]})


def _cursor_key(value: str | None, info: Info) -> tuple[Any, ...] | None:
    if value is None:
        return None
    data = read_cursor(value)
    if data is None or "last_id" not in data:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {value!r}")
    return (data.get("last_value"), data["last_id"])


def page_limits(ctx: Any, info: Info, args: dict[str, Any]) -> tuple[int | None, bool]:
    """(page size or None for everything, from_end)."""
    if getattr(ctx, "bulk", False):
        # bulk operations ignore pagination; the top connection is read in chunks (§c)
        if info.path.prev is None:
            return ctx.bulk_size, False
        return None, False
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    if first is not None and last is not None:
        raise GraphQLError("providing both first and last is not supported")
    return (first if first is not None else last), last is not None


def paginate(
    ctx: Any,
    info: Info,
    args: dict[str, Any],
    records: Iterable[Any],
    key: Callable[[Any], tuple[Any, ...]] = lambda r: (r.id, r.id),
    *,
    presorted: bool = False,
) -> Conn:
    """Page over ``records`` ordered by ``key`` (a tuple ending with the id)."""
    size, from_end = page_limits(ctx, info, args)
    after = _cursor_key(args.get("after"), info)
    if getattr(ctx, "bulk", False) and info.path.prev is None and ctx.bulk_after is not None:
        after = ctx.bulk_after
    before = _cursor_key(args.get("before"), info)
    reverse = bool(args.get("reverse"))
    keyed = [(key(r), r) for r in records]
    if not presorted:
        keyed.sort(key=lambda kr: kr[0])
    if reverse:
        keyed.reverse()

    def beyond(k: tuple[Any, ...], ref: tuple[Any, ...]) -> bool:
        a, b = _cmp_key(k), _cmp_key(ref)
        return a < b if reverse else a > b

    if after is not None:
        keyed = [kr for kr in keyed if beyond(kr[0], after)]
    if before is not None:
        keyed = [kr for kr in keyed if beyond(before, kr[0])]
    total = len(keyed)
    if size is None:
        chosen = keyed
    elif from_end:
        chosen = keyed[max(0, total - size) :]
    else:
        chosen = keyed[:size]
    has_next = (not from_end and size is not None and total > size) or (
        from_end and before is not None
    )
    has_prev = (from_end and size is not None and total > size) or (
        not from_end and after is not None
    )
    return Conn(chosen, has_next, has_prev)


def _cmp_key(k: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple("" if v is None else v for v in k)


def paginate_ids(
    ctx: Any,
    info: Info,
    args: dict[str, Any],
    stream: Callable[[int], Iterator[Any]],
) -> Conn:
    """Fast path for id-ordered, unfiltered collections (e.g. 100,000 variants): reads only the
    page from ``stream(after_id)``."""
    if args.get("last") is not None or args.get("before") or args.get("reverse"):
        return paginate(ctx, info, args, stream(0), presorted=True)
    size, _ = page_limits(ctx, info, args)
    after = _cursor_key(args.get("after"), info)
    if getattr(ctx, "bulk", False) and info.path.prev is None and ctx.bulk_after is not None:
        after = ctx.bulk_after
    after_id = int(after[-1]) if after else 0
    items: list[tuple[Any, Any]] = []
    has_next = False
    for r in stream(after_id):
        if size is not None and len(items) >= size:
            has_next = True
            break
        items.append(((r.id, r.id), r))
    return Conn(items, has_next, after is not None)
