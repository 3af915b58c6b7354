"""Bulk operations: run a query, follow it, stream its JSONL result (fact sheet §c).

The result file can hold millions of lines; it is read line by line from its URL (httpx
streaming) and never held whole.  Nested connection nodes come as separate lines pointing at
their parent with ``__parentId``; ``records`` puts each root back together with its children.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shopify_odoo.errors import TerminalError, TransientError
from shopify_odoo.shopify.errors import UserErrorsError, parse_user_errors
from shopify_odoo.shopify.limiter import Priority
from shopify_odoo.shopify.transport import ShopifyGraphQL, loads

FINISHED = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})


@dataclass(frozen=True)
class BulkOperation:
    id: str
    status: str  # CREATED RUNNING COMPLETED CANCELING CANCELED FAILED EXPIRED
    error_code: str | None  # ACCESS_DENIED INTERNAL_SERVER_ERROR TIMEOUT
    type: str | None
    object_count: int
    root_object_count: int
    file_size: int | None
    url: str | None  # None when the query matched nothing
    partial_data_url: str | None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> BulkOperation:
        def num(key: str) -> int:
            value = raw.get(key)
            return int(value) if value is not None else 0

        size = raw.get("fileSize")
        return cls(
            id=str(raw["id"]),
            status=str(raw.get("status", "")),
            error_code=raw.get("errorCode"),
            type=raw.get("type"),
            object_count=num("objectCount"),
            root_object_count=num("rootObjectCount"),
            file_size=int(size) if size is not None else None,
            url=raw.get("url"),
            partial_data_url=raw.get("partialDataUrl"),
        )


async def run_query(
    client: ShopifyGraphQL,
    query: str,
    *,
    group_objects: bool = True,
    priority: Priority = Priority.SWEEP,
) -> BulkOperation:
    """Start a bulk query.  ``group_objects`` (default True here) puts children right after
    their parent, which ``records`` needs to stream; Shopify's own default is False (§c)."""
    data = await client.execute(
        "bulk_operation_run_query",
        {"query": query, "groupObjects": group_objects},
        priority=priority,
    )
    payload = data.get("bulkOperationRunQuery") or {}
    errors = parse_user_errors(payload.get("userErrors"))
    if errors:
        raise UserErrorsError(client.store, "bulkOperationRunQuery", errors)
    operation = payload.get("bulkOperation")
    if not isinstance(operation, Mapping):
        raise TransientError(
            f"store {client.store}: bulkOperationRunQuery returned no operation",
            cause="bad_response",
        )
    return BulkOperation.parse({"objectCount": 0, "rootObjectCount": 0, **operation})


async def get_operation(
    client: ShopifyGraphQL, operation_id: str, *, priority: Priority = Priority.SWEEP
) -> BulkOperation | None:
    data = await client.execute("bulk_operation", {"id": operation_id}, priority=priority)
    node = data.get("node")
    return BulkOperation.parse(node) if isinstance(node, Mapping) and node.get("id") else None


async def current_operation(
    client: ShopifyGraphQL, *, priority: Priority = Priority.SWEEP
) -> BulkOperation | None:
    """The app's latest bulk query (to pick up one started before a crash)."""
    data = await client.execute("current_bulk_operation", {}, priority=priority)
    node = data.get("currentBulkOperation")
    return BulkOperation.parse(node) if isinstance(node, Mapping) else None


def check_finished(store: str, operation: BulkOperation) -> BulkOperation:
    """The operation when it COMPLETED; a clear error for FAILED / CANCELED / EXPIRED."""
    where = f"store {store}: bulk operation {operation.id}"
    if operation.status == "COMPLETED":
        return operation
    if operation.status == "FAILED":
        if operation.error_code == "ACCESS_DENIED":
            raise TerminalError(
                f"{where} failed: ACCESS_DENIED (the token lacks a scope the query needs)",
                cause="missing_scope",
                hint='grant the scopes of the queried objects, then run "shopify-odoo check"',
            )
        raise TransientError(
            f"{where} failed with {operation.error_code or 'no error code'}",
            cause="bulk_failed",
            hint="it is run again automatically; a TIMEOUT means the query should be narrowed",
        )
    if operation.status == "CANCELED":
        raise TerminalError(
            f"{where} was canceled (by the merchant or another app)",
            cause="bulk_canceled",
            hint="start the sweep again",
        )
    if operation.status == "EXPIRED":
        raise TransientError(
            f"{where} expired (not finished within 10 days, or its results are older than 7 days)",
            cause="bulk_expired",
            hint="it is run again automatically",
        )
    raise TerminalError(f"{where} is still {operation.status}", cause="internal")


async def wait(
    client: ShopifyGraphQL,
    operation_id: str,
    *,
    finished: asyncio.Event | None = None,
    poll_interval: float = 10.0,
    give_up_after: float | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> BulkOperation:
    """Follow a bulk operation until it finishes; returns it when COMPLETED, raises otherwise.

    ``finished`` is set by whoever receives the ``bulk_operations/finish`` webhook (§c); then the
    state is read at once, else every ``poll_interval`` seconds.
    """
    waited = 0.0
    while True:
        operation = await get_operation(client, operation_id)
        if operation is None:
            raise TerminalError(
                f"store {client.store}: bulk operation {operation_id} does not exist",
                cause="bulk_missing",
                hint="start the sweep again",
            )
        if operation.status in FINISHED:
            return check_finished(client.store, operation)
        if give_up_after is not None and waited >= give_up_after:
            raise TransientError(
                f"store {client.store}: bulk operation {operation_id} still {operation.status} "
                f"after {waited:.0f}s",
                cause="bulk_slow",
                hint="it keeps running at Shopify; follow it again later",
            )
        if finished is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), poll_interval)
            finished.clear()
        else:
            await sleep(poll_interval)
        waited += poll_interval


async def lines(client: ShopifyGraphQL, url: str) -> AsyncIterator[dict[str, Any]]:
    """Every JSON object of the result file, streamed (flat: ``__parentId`` kept as is)."""
    number = 0
    async for raw in client.stream_lines(url):
        number += 1
        try:
            value = loads(raw)
        except ValueError as exc:
            raise TransientError(
                f"store {client.store}: bulk result line {number} is not JSON (truncated?)",
                cause="bad_response",
            ) from exc
        if isinstance(value, dict):
            yield value


@dataclass(frozen=True)
class BulkRecord:
    """One node of the result with its nested nodes (children may have children)."""

    node: Mapping[str, Any]
    children: tuple[BulkRecord, ...]

    def children_of(self, kind: str) -> tuple[BulkRecord, ...]:
        """Children whose GID kind is ``kind`` (e.g. ``"InventoryLevel"``; select their ``id``)."""
        return tuple(c for c in self.children if f"/{kind}/" in str(c.node.get("id", "")))


@dataclass
class _Building:
    node: dict[str, Any]
    children: list[_Building] = field(default_factory=list)

    def freeze(self) -> BulkRecord:
        return BulkRecord(self.node, tuple(c.freeze() for c in self.children))


async def records(client: ShopifyGraphQL, url: str) -> AsyncIterator[BulkRecord]:
    """Roots with their children, one at a time; memory holds one root's subtree.

    Needs a file written with ``groupObjects: true`` (children right after their root).  A child
    whose parent is not in the current subtree means the file is not grouped: a TerminalError
    says so (use ``lines`` for such files).
    """
    current: _Building | None = None
    index: dict[str, _Building] = {}
    number = 0
    async for value in lines(client, url):
        number += 1
        parent_id = value.pop("__parentId", None)
        building = _Building(value)
        if parent_id is None:
            if current is not None:
                yield current.freeze()
            current = building
            index = {}
        else:
            parent = index.get(str(parent_id))
            if parent is None:
                raise TerminalError(
                    f"store {client.store}: bulk result line {number} points at parent "
                    f"{parent_id}, "
                    "which is not the root being read: the file is not grouped",
                    cause="bulk_not_grouped",
                    hint="run the bulk query with group_objects=True, or read it with lines()",
                )
            parent.children.append(building)
        node_id = value.get("id")
        if isinstance(node_id, str):
            index[node_id] = building
    if current is not None:
        yield current.freeze()
