"""Inventory reads and compare-and-set writes (fact sheet §a.3-§a.6, corrections 7-12).

``set_available`` pushes ``available`` in batches of at most 250 quantities (the input-array cap,
correction 12), each quantity with ``changeFromQuantity`` (mandatory in 2026-04, correction 7) and
each batch under ``@idempotent(key:)`` (mandatory in 2026-04, §a.6) whose key is a hash of the
batch's content: a retried batch (timeout, crash, 5xx) carries the same key and can never apply
twice.  Every change gets an outcome: applied, stale (with the current value, re-read), or error.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from shopify_odoo.errors import ShopifyOdooError, TerminalError
from shopify_odoo.shopify.errors import UserError, parse_user_errors
from shopify_odoo.shopify.limiter import Priority
from shopify_odoo.shopify.models import (
    InventoryItemLevels,
    OutcomeStatus,
    QuantityChange,
    QuantityDelta,
    QuantityOutcome,
    Variant,
)
from shopify_odoo.shopify.transport import ShopifyGraphQL

#: the general input-array cap of the Admin API (correction 12)
MAX_QUANTITIES_PER_CALL = 250
#: inventory items per re-read call (keeps the requested cost well under 1000, §b.1)
ITEMS_PER_READ = 25
#: levels read per inventory item
LEVELS_PER_ITEM = 50
#: Shopify's stale codes: 2026-04 CAS and its predecessor (§a.3)
STALE_CODES = frozenset({"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"})
#: our own code for a change that was not applied only because another change of its batch failed
#: and the remainder, sent again, was refused too
BATCH_REJECTED = "BATCH_REJECTED"
NO_RESULT = "NO_RESULT"
DEFAULT_REASON = "correction"  # an ERP making Shopify equal its own count (§a.5)


def search_query(skus: Iterable[str] = (), barcodes: Iterable[str] = ()) -> str:
    """Shopify search syntax matching any of the SKUs or barcodes, values quoted and escaped."""

    def quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    terms = [f"sku:{quote(s)}" for s in skus] + [f"barcode:{quote(b)}" for b in barcodes]
    return " OR ".join(terms)


async def find_variants(
    client: ShopifyGraphQL,
    *,
    skus: Sequence[str] = (),
    barcodes: Sequence[str] = (),
    chunk: int = 50,
    priority: Priority = Priority.NORMAL,
) -> AsyncIterator[Variant]:
    """Variants whose SKU or barcode is one of those given, with inventory item and levels.

    Shopify's search may match loosely (prefixes, case); callers compare exact values.
    """
    terms: list[tuple[str, str]] = [("sku", s) for s in skus] + [("barcode", b) for b in barcodes]
    for start in range(0, len(terms), chunk):
        part = terms[start : start + chunk]
        query = search_query(
            [v for k, v in part if k == "sku"], [v for k, v in part if k == "barcode"]
        )
        async for node in client.paginate(
            "variants_search",
            {"query": query, "first": 50, "levels": 10},
            ("productVariants",),
            priority=priority,
        ):
            yield Variant.parse(node)


async def item_levels(
    client: ShopifyGraphQL,
    inventory_item_ids: Sequence[str],
    *,
    priority: Priority = Priority.NORMAL,
) -> dict[str, InventoryItemLevels]:
    """Inventory items by id (``nodes``) with their levels; unknown ids are absent."""
    out: dict[str, InventoryItemLevels] = {}
    unique = list(dict.fromkeys(inventory_item_ids))
    for start in range(0, len(unique), ITEMS_PER_READ):
        data = await client.execute(
            "inventory_item_levels",
            {"ids": unique[start : start + ITEMS_PER_READ], "levels": LEVELS_PER_ITEM},
            priority=priority,
        )
        for node in data.get("nodes") or []:
            if isinstance(node, dict) and node.get("id"):
                item = InventoryItemLevels.parse(node)
                out[item.inventory_item_id] = item
    return out


def batch_key(
    changes: Sequence[QuantityChange | QuantityDelta],
    *,
    name: str,
    reason: str,
    reference: str | None,
    salt: str,
) -> str:
    """Deterministic idempotency key of one batch: a UUID made from the hash of its content.

    Same content -> same key, so a retried batch never applies twice.  ``salt`` should identify
    the plan that produced the batch: an identical batch planned later, on purpose, must not be
    mistaken by Shopify for a retry of this one.
    """
    canonical = json.dumps(
        {
            "name": name,
            "reason": reason,
            "reference": reference,
            "salt": salt,
            "q": [_canonical(c) for c in changes],
        },
        separators=(",", ":"),
    )
    return str(uuid.UUID(hex=hashlib.sha256(canonical.encode()).hexdigest()[:32]))


def _index_of(error: UserError) -> int | None:
    """The quantity a userError is about: field ``["input", "quantities", "<i>", ...]``."""
    field = error.field
    for pos, part in enumerate(field[:-1]):
        if part in ("quantities", "changes") and field[pos + 1].isdigit():
            return int(field[pos + 1])
    return None


@dataclass(frozen=True)
class _Mutation:
    """What differs between inventorySetQuantities and inventoryAdjustQuantities."""

    document: str  # graphql file
    field: str  # mutation field of the answer
    rows: str  # input list: "quantities" (set) or "changes" (adjust)


_SET = _Mutation("inventory_set_quantities", "inventorySetQuantities", "quantities")
_ADJUST = _Mutation("inventory_adjust_quantities", "inventoryAdjustQuantities", "changes")

Row = QuantityChange | QuantityDelta


def _row(change: Row) -> dict[str, Any]:
    row: dict[str, Any] = {
        "inventoryItemId": change.inventory_item_id,
        "locationId": change.location_id,
        # always present, null included: omitting it is an error in 2026-04 (correction 7)
        "changeFromQuantity": change.change_from_quantity,
    }
    if isinstance(change, QuantityChange):
        row["quantity"] = change.quantity
    else:
        row["delta"] = change.delta
    return row


def _canonical(change: Row) -> list[object]:
    value = change.quantity if isinstance(change, QuantityChange) else ("delta", change.delta)
    return [change.inventory_item_id, change.location_id, value, change.change_from_quantity]


async def _send_batch(
    client: ShopifyGraphQL,
    mutation: _Mutation,
    batch: Sequence[Row],
    *,
    reason: str,
    reference: str | None,
    salt: str,
    priority: Priority,
) -> tuple[bool, dict[int, UserError], tuple[UserError, ...]]:
    """One mutation call: (adjustment group created, errors by row index, batch-wide errors)."""
    key = batch_key(batch, name="available", reason=reason, reference=reference, salt=salt)
    variables: dict[str, Any] = {
        "key": key,
        "input": {
            "name": "available",
            "reason": reason,
            "referenceDocumentUri": reference or f"gid://shopify-odoo/StockPush/{key}",
            mutation.rows: [_row(c) for c in batch],
        },
    }
    data = await client.execute(mutation.document, variables, priority=priority)
    payload = data.get(mutation.field) or {}
    errors = parse_user_errors(payload.get("userErrors"))
    by_index: dict[int, UserError] = {}
    general: list[UserError] = []
    for error in errors:
        index = _index_of(error)
        if index is not None and 0 <= index < len(batch):
            by_index.setdefault(index, error)
        else:
            general.append(error)
    return payload.get("inventoryAdjustmentGroup") is not None, by_index, tuple(general)


async def _push_batch(
    client: ShopifyGraphQL,
    mutation: _Mutation,
    batch: Sequence[Row],
    *,
    reason: str,
    reference: str | None,
    salt: str,
    priority: Priority,
    resend: bool = True,
) -> list[QuantityOutcome]:
    """Send one batch; one outcome per row, in order."""
    applied, by_index, general = await _send_batch(
        client, mutation, batch, reason=reason, reference=reference, salt=salt, priority=priority
    )
    outcomes: list[QuantityOutcome | None] = [None] * len(batch)
    for index, error in by_index.items():
        outcomes[index] = _failed(batch[index], error)
    rest = [i for i in range(len(batch)) if outcomes[i] is None]
    if applied:
        for i in rest:
            outcomes[i] = QuantityOutcome(batch[i], "applied")
    elif general:
        # a batch-wide refusal (e.g. INVALID_REASON): nothing applied, every row failed
        for i in rest:
            outcomes[i] = _failed(batch[i], general[0])
    elif by_index and rest and resend:
        # Shopify does not document whether one bad row fails the whole call (§a.3); without
        # an adjustment group nothing was applied, so the untouched rows go once more, alone
        # (a different content, hence a different idempotency key)
        again = await _push_batch(
            client,
            mutation,
            [batch[i] for i in rest],
            reason=reason,
            reference=reference,
            salt=salt,
            priority=priority,
            resend=False,
        )
        for i, outcome in zip(rest, again, strict=True):
            outcomes[i] = outcome
    else:
        code, message = (
            (BATCH_REJECTED, "refused together with other changes of its batch")
            if by_index
            else (NO_RESULT, "Shopify returned neither an adjustment group nor an error")
        )
        for i in rest:
            outcomes[i] = QuantityOutcome(batch[i], "error", code=code, message=message)
    return [o for o in outcomes if o is not None]


def _failed(change: Row, error: UserError) -> QuantityOutcome:
    status: OutcomeStatus = "stale" if error.code in STALE_CODES else "error"
    return QuantityOutcome(change, status, code=error.code, message=error.describe())


async def _fill_current(
    client: ShopifyGraphQL, outcomes: list[QuantityOutcome], priority: Priority
) -> list[QuantityOutcome]:
    """Re-read ``available`` for every stale outcome (Shopify's error does not carry it)."""
    stale = [o for o in outcomes if o.status == "stale"]
    if not stale:
        return outcomes
    levels = await item_levels(
        client, [o.change.inventory_item_id for o in stale], priority=priority
    )
    out: list[QuantityOutcome] = []
    for o in outcomes:
        if o.status == "stale":
            item = levels.get(o.change.inventory_item_id)
            level = item.at(o.change.location_id) if item else None
            o = replace(o, current=level.available if level else None)
        out.append(o)
    return out


async def _push(
    client: ShopifyGraphQL,
    mutation: _Mutation,
    changes: Sequence[Row],
    *,
    reason: str,
    reference: str | None,
    salt: str,
    concurrency: int,
    priority: Priority,
) -> list[QuantityOutcome]:
    seen: set[tuple[str, str]] = set()
    for c in changes:
        pair = (c.inventory_item_id, c.location_id)
        if pair in seen:
            raise ValueError(
                f"inventory item {c.inventory_item_id} at location {c.location_id} appears twice"
            )
        seen.add(pair)
    batches = [
        list(changes[i : i + MAX_QUANTITIES_PER_CALL])
        for i in range(0, len(changes), MAX_QUANTITIES_PER_CALL)
    ]
    gate = asyncio.Semaphore(max(1, concurrency))

    async def run(batch: list[Row]) -> list[QuantityOutcome]:
        async with gate:
            outcomes = await _push_batch(
                client,
                mutation,
                batch,
                reason=reason,
                reference=reference,
                salt=salt,
                priority=priority,
            )
            return await _fill_current(client, outcomes, priority)

    # every batch runs to its end even when another fails: batches are independent, and a retry
    # of the whole call finds the applied ones by their idempotency keys
    results = await asyncio.gather(*(run(b) for b in batches), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise _worst(errors, len(batches))
    return [o for r in results if not isinstance(r, BaseException) for o in r]


def _worst(errors: list[BaseException], batches: int) -> BaseException:
    """One error for the caller: a non-Shopify one as is, else terminal before transient."""
    for error in errors:
        if not isinstance(error, ShopifyOdooError):
            return error
    terminal = [e for e in errors if isinstance(e, TerminalError)]
    first = terminal[0] if terminal else errors[0]
    if len(errors) > 1 and isinstance(first, ShopifyOdooError):
        first.message = f"{first.message} ({len(errors)} of {batches} batches failed)"
        first.args = (first.message,)
    return first


async def set_available(
    client: ShopifyGraphQL,
    changes: Sequence[QuantityChange],
    *,
    reason: str = DEFAULT_REASON,
    reference: str | None = None,
    salt: str = "",
    concurrency: int = 4,
    priority: Priority = Priority.NORMAL,
) -> list[QuantityOutcome]:
    """Set ``available`` for every change (``inventorySetQuantities``); outcomes in input order.

    Raises ValueError when one (item, location) appears twice (Shopify refuses such a call with
    NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR; which value wins is the caller's decision).
    Transport failures raise one TransientError / TerminalError for the call (terminal first when
    several batches failed): batches already applied stay applied, and a retry of the same plan
    sends the same idempotency keys, so Shopify applies each batch once.
    """
    return await _push(
        client,
        _SET,
        changes,
        reason=reason,
        reference=reference,
        salt=salt,
        concurrency=concurrency,
        priority=priority,
    )


async def adjust_available(
    client: ShopifyGraphQL,
    changes: Sequence[QuantityDelta],
    *,
    reason: str = DEFAULT_REASON,
    reference: str | None = None,
    salt: str = "",
    concurrency: int = 4,
    priority: Priority = Priority.NORMAL,
) -> list[QuantityOutcome]:
    """Add ``delta`` to ``available`` (``inventoryAdjustQuantities``); same contract as above.

    ``change_from_quantity`` is the quantity *before* the delta (correction 7).
    """
    return await _push(
        client,
        _ADJUST,
        changes,
        reason=reason,
        reference=reference,
        salt=salt,
        concurrency=concurrency,
        priority=priority,
    )
