"""What the stock planner decides: the types an executor applies.

Executor protocol (the order matters for crash safety):

1. ``adjustments``: Odoo inventory adjustments.  Each carries ``key``, a deterministic reference
   (same world → same key); store it on the adjustment (e.g. the quant's move reference) and
   skip an adjustment whose key is already applied, so a crash before step 2 cannot apply the
   same Shopify-side change twice.  Write ``inventory_quantity = on_hand_after`` only while the
   quant still shows ``on_hand_before`` (otherwise re-queue the key).
2. ``ledger_changes``: drops recorded/resolved and marks (the value read becomes the new
   baseline wherever it was taken into account), in one state-database transaction.  After
   steps 1-2 the state is consistent even if the writes never happen.
3. ``writes``: per store, in ``batches(250)`` with ``batch_idempotency_key``; before sending a
   batch record each write's ``before_send`` mark (the baseline plus the pending value, so a
   write that lands while we crash is recognised as ours), after Shopify accepts it record
   ``after_success``.  A ``CHANGE_FROM_QUANTITY_STALE`` answer re-queues the key; it never
   retries blindly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from shopify_odoo.sync.ledger import LedgerChange, Mark
from shopify_odoo.sync.model import LevelKey

#: Shopify accepts at most 250 quantities per ``inventorySetQuantities`` call.
SHOPIFY_BATCH = 250


@dataclass(frozen=True, slots=True)
class QuantityWrite:
    """Set ``available`` of one inventory item at one location (``inventorySetQuantities``)."""

    store: str
    inventory_item_gid: str
    location_gid: str
    quantity: int
    #: the value read: ``changeFromQuantity``
    change_from: int
    product_id: int
    sku: str
    before_send: Mark
    after_success: Mark

    @property
    def key(self) -> LevelKey:
        return LevelKey(self.store, self.inventory_item_gid, self.location_gid)


def batch_idempotency_key(writes: Sequence[QuantityWrite]) -> str:
    """A key for ``@idempotent(key:)`` of one ``inventorySetQuantities`` call.

    Derived from the batch's content (level, quantity, ``changeFromQuantity``, read time), so a
    retry of the same call replays safely, while a re-plan after ``CHANGE_FROM_QUANTITY_STALE``
    reads a new value and therefore gets a new key, as Shopify requires (a reused key with other
    variables is ``IDEMPOTENCY_KEY_PARAMETER_MISMATCH``).
    """
    parts = sorted(
        f"{w.store}|{w.inventory_item_gid}|{w.location_gid}|{w.quantity}|{w.change_from}|"
        f"{w.after_success.at.isoformat()}"
        for w in writes
    )
    return "so-" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


class AdjustReason(StrEnum):
    #: ``shopify_to_odoo``: Odoo follows Shopify's count
    SHOPIFY_COUNT = "shopify_count"
    #: ``two_way``: a Shopify-side change that is not a sale (manual edit, POS, restock)
    SHOPIFY_EDIT = "shopify_edit"


@dataclass(frozen=True, slots=True)
class OdooAdjustment:
    """Move Odoo's on-hand of ``product_id`` at ``location_id`` by ``delta``."""

    product_id: int
    location_id: int
    delta: Decimal
    on_hand_before: Decimal
    reason: AdjustReason
    sku: str
    key: str
    sources: tuple[LevelKey, ...]

    @property
    def on_hand_after(self) -> Decimal:
        return self.on_hand_before + self.delta


class SkipReason(StrEnum):
    NOT_STORABLE = "not_storable"
    NOT_TRACKED = "not_tracked"
    UNMAPPED_LOCATION = "unmapped_location"
    EXCLUDED_LOCATION = "excluded_location"
    NOT_STOCKED = "not_stocked_at_location"
    UNKNOWN_POOL = "unknown_pool"
    SPLIT_TWICE = "split_pool_twice_in_store"
    COUNTED_TWICE = "pool_counted_twice"
    #: the read is older than our last mark there: the engine re-queues the key to re-read
    STALE_READ = "stale_read"


@dataclass(frozen=True, slots=True)
class Skip:
    """Something the planner left alone, with a sentence a person can act on."""

    reason: SkipReason
    store: str
    sku: str
    product_id: int
    message: str
    inventory_item_gid: str | None = None
    location_gid: str | None = None


@dataclass(frozen=True, slots=True)
class LevelOutcome:
    """One controlled level: what Shopify shows and what it should show."""

    key: LevelKey
    sku: str
    product_id: int
    pool: str
    shown: int
    target: int

    @property
    def diff(self) -> int:
        return self.target - self.shown


@dataclass(frozen=True, slots=True)
class PoolFigures:
    """The formula's terms for one product in one pool, for metrics and the dry-run diff.

    ``capacity`` is what Shopify may show in total (split) or at most per location (shared):
    ``max(0, floor(sellable − in_flight − buffers))``.  ``short`` counts units already sold
    that Odoo cannot ship (in flight beyond sellable).  ``oversold`` counts units Shopify could
    still sell beyond capacity *before* this plan is applied: in split mode the sum of
    ``available`` over the pool's locations minus capacity, in shared mode the largest excess of
    one location over its own target (each shared location may show the full target).
    """

    product_id: int
    sku: str
    pool: str
    sellable: Decimal
    in_flight: int
    buffers: int
    capacity: int
    oversold: int
    short: int


@dataclass(frozen=True, slots=True)
class StockPlan:
    writes: tuple[QuantityWrite, ...] = ()
    adjustments: tuple[OdooAdjustment, ...] = ()
    ledger_changes: tuple[LedgerChange, ...] = ()
    skipped: tuple[Skip, ...] = ()
    outcomes: tuple[LevelOutcome, ...] = field(default=(), repr=False)
    figures: tuple[PoolFigures, ...] = field(default=(), repr=False)

    @property
    def is_empty(self) -> bool:
        """Nothing to do on either side nor in the ledger (skips and figures are reports)."""
        return not (self.writes or self.adjustments or self.ledger_changes)

    def batches(self, size: int = SHOPIFY_BATCH) -> Iterator[tuple[str, tuple[QuantityWrite, ...]]]:
        """``(store, writes)`` chunks of at most ``size``, stores in name order."""
        by_store: dict[str, list[QuantityWrite]] = {}
        for write in self.writes:
            by_store.setdefault(write.store, []).append(write)
        for store in sorted(by_store):
            writes = by_store[store]
            for start in range(0, len(writes), size):
                yield store, tuple(writes[start : start + size])

    @property
    def oversold(self) -> int:
        return sum(f.oversold for f in self.figures)

    @property
    def short(self) -> int:
        return sum(f.short for f in self.figures)

    @property
    def mismatches(self) -> int:
        return sum(1 for o in self.outcomes if o.diff != 0)
