"""Stock quantities in bulk: ``stock_snapshot`` and inventory adjustments.

A snapshot gives, per (product, requested location), what ``product.product`` would answer
with the ``location`` context (§3.4): ``qty_available`` (Σ quant quantity), ``free_qty``
(Σ quantity − reserved) and ``outgoing_qty`` (Σ ``product_qty`` of moves in waiting /
confirmed / partially_available / assigned leaving the location, correction 14), children
included.  It is read with grouped aggregates on ``stock.quant`` and ``stock.move`` (§3.4
recommendation: it avoids the ``warehouse``/``warehouse_id`` context-key differences), a few
calls for any number of products:

* 1 call per requested location: its subtree (``child_of``, §3.2);
* every storable product (no ids given): 1 call for the storable product ids in scope, then
  1 call per requested location for its quants grouped by product and location (the
  subtrees made disjoint, so nested requests never read a quant twice) and 1 call for the
  outgoing moves of all of them grouped by product, source and destination.  Every filter is
  on the location (indexed by Odoo, and by the sandbox), none on a product-id range, which
  would make the server visit every product's rows to answer it;
* given product ids: 2 calls per chunk of ``chunk_size`` ids (``product_id in chunk``):
  quants and moves as above.

No offsets anywhere, so paging cannot skip a row while stock changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shopify_odoo.odoo.client import OdooClient
from shopify_odoo.odoo.errors import OdooUserError

#: move states counted as outgoing (§3.4, correction 14)
OUTGOING_STATES = ("waiting", "confirmed", "partially_available", "assigned")

_ZERO = Decimal(0)


def _dec(value: float) -> Decimal:
    return Decimal(repr(round(value, 6)))


@dataclass(frozen=True, slots=True)
class StockLevel:
    qty_available: Decimal
    free_qty: Decimal
    outgoing_qty: Decimal

    @property
    def sellable(self) -> Decimal:
        """``min(free_qty, qty_available − outgoing_qty)`` (DESIGN.md §2)."""
        return min(self.free_qty, self.qty_available - self.outgoing_qty)


ZERO_LEVEL = StockLevel(_ZERO, _ZERO, _ZERO)


@dataclass(frozen=True, slots=True)
class StockSnapshot:
    """Quantities of the products in scope at the requested locations.

    A product in :attr:`product_ids` without a row has zero everywhere; a product outside the
    scope was not read (``get`` raises ``KeyError`` rather than guessing zero).
    """

    location_ids: tuple[int, ...]
    product_ids: frozenset[int]
    #: (product id, location id) → (qty_available, free_qty, outgoing_qty), non-zero rows only
    rows: Mapping[tuple[int, int], tuple[float, float, float]] = field(repr=False)
    rpc_calls: int = 0

    def get(self, product_id: int, location_id: int) -> StockLevel:
        if product_id not in self.product_ids or location_id not in self.location_ids:
            raise KeyError(
                f"product {product_id} at location {location_id} is not in this snapshot"
            )
        row = self.rows.get((product_id, location_id))
        if row is None:
            return ZERO_LEVEL
        return StockLevel(_dec(row[0]), _dec(row[1]), _dec(row[2]))

    def __len__(self) -> int:
        return len(self.product_ids) * len(self.location_ids)


def _product_domain(ids: list[int]) -> list[Any]:
    """The domain of sorted ``ids``: an id range when they are dense, else an ``in`` list.

    ``read_group`` answers every group with its ``__domain`` (the request's domain plus the
    group's values), so an ``in`` list of thousands of ids is repeated in each of thousands of
    groups: gigabytes of JSON for a reconcile batch.  A range stays a few bytes; ids in the
    range outside ``ids`` are dropped by the scope filter of the callers.
    """
    if len(ids) > 50 and ids[-1] - ids[0] + 1 <= 2 * len(ids):
        return [("product_id", ">=", ids[0]), ("product_id", "<=", ids[-1])]
    return [("product_id", "in", ids)]


def _balanced(ids: Sequence[int], size: int) -> list[list[int]]:
    """Sorted ids in the fewest chunks of at most ``size``, of near-equal length (100,002 ids
    by 25,000 → 4 x 25,001 rather than 4 x 25,000 + 2)."""
    ordered = sorted(set(ids))
    if not ordered:
        return []
    count = -(-len(ordered) // size)
    step = -(-len(ordered) // count)
    return [ordered[i : i + step] for i in range(0, len(ordered), step)]


async def location_subtrees(
    client: OdooClient, location_ids: Iterable[int]
) -> dict[int, frozenset[int]]:
    """Each location with all its descendants, archived ones included (§3.2 ``child_of``)."""
    roots = list(dict.fromkeys(location_ids))
    trees = await asyncio.gather(
        *(
            client.search(
                "stock.location", [("id", "child_of", root)], context={"active_test": False}
            )
            for root in roots
        )
    )
    return {root: frozenset(tree) | {root} for root, tree in zip(roots, trees, strict=True)}


async def storable_product_ids(client: OdooClient) -> list[int]:
    """Ids of every storable product, archived included (§3.1 storable domain per version)."""
    caps = await client.connect()
    return await client.search(
        "product.product", caps.storable_domain(), context={"active_test": False}
    )


async def stock_snapshot(
    client: OdooClient,
    product_ids: Sequence[int] | None,
    location_ids: Sequence[int],
    *,
    chunk_size: int = 50_000,
) -> StockSnapshot:
    """Quantities of ``product_ids`` (None: every storable product) at each location."""
    before = client.rpc_calls
    await client.connect()
    roots = tuple(dict.fromkeys(int(i) for i in location_ids))
    if product_ids is None:
        scope_list, trees = await asyncio.gather(
            storable_product_ids(client), location_subtrees(client, roots)
        )
    else:
        scope_list, trees = list(product_ids), await location_subtrees(client, roots)
    scope = frozenset(int(i) for i in scope_list)
    all_locations = sorted(set().union(*trees.values())) if trees else []
    rows: dict[tuple[int, int], list[float]] = {}
    if scope and all_locations:
        leaf_roots = _roots_of(trees)
        if product_ids is None:
            quant_reads = [
                _read_quants(client, [("location_id", "in", part)])
                for part in _disjoint(roots, trees)
            ]
            quant_groups, moves = await asyncio.gather(
                asyncio.gather(*quant_reads), _read_moves(client, [], all_locations)
            )
            for quants in quant_groups:
                _add_quants(rows, quants, scope, leaf_roots)
            _add_moves(rows, moves, scope, trees, leaf_roots)
        else:
            results = await asyncio.gather(
                *(
                    _read_chunk(client, _product_domain(part), all_locations)
                    for part in _balanced(scope_list, chunk_size)
                )
            )
            for quants, moves in results:
                _add_quants(rows, quants, scope, leaf_roots)
                _add_moves(rows, moves, scope, trees, leaf_roots)
    frozen = {
        key: (value[0], value[1], value[2])
        for key, value in rows.items()
        if value[0] or value[1] or value[2]
    }
    return StockSnapshot(roots, scope, frozen, client.rpc_calls - before)


def _disjoint(roots: Sequence[int], trees: Mapping[int, frozenset[int]]) -> list[list[int]]:
    """The requested subtrees as disjoint location lists: a location inside two requested
    locations (nested requests) goes to the first only, so each quant is read once."""
    seen: set[int] = set()
    parts: list[list[int]] = []
    for root in roots:
        part = sorted(trees[root] - seen)
        seen.update(part)
        if part:
            parts.append(part)
    return parts


async def _read_quants(client: OdooClient, domain: list[Any]) -> list[dict[str, Any]]:
    return await client.read_group(
        "stock.quant",
        domain,
        ["product_id", "location_id"],
        ["quantity:sum", "reserved_quantity:sum"],
    )


async def _read_moves(
    client: OdooClient, product_domain: list[Any], locations: list[int]
) -> list[dict[str, Any]]:
    return await client.read_group(
        "stock.move",
        [
            *product_domain,
            ("state", "in", list(OUTGOING_STATES)),
            ("location_id", "in", locations),
        ],
        ["product_id", "location_id", "location_dest_id"],
        ["product_qty:sum"],
    )


async def _read_chunk(
    client: OdooClient, product_domain: list[Any], locations: list[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    quants, moves = await asyncio.gather(
        _read_quants(client, [*product_domain, ("location_id", "in", locations)]),
        _read_moves(client, product_domain, locations),
    )
    return quants, moves


def _roots_of(trees: Mapping[int, frozenset[int]]) -> dict[int, tuple[int, ...]]:
    """Leaf location → the requested locations containing it (nested requests allowed)."""
    out: dict[int, list[int]] = {}
    for root, tree in trees.items():
        for location in tree:
            out.setdefault(location, []).append(root)
    return {location: tuple(roots) for location, roots in out.items()}


def _add_quants(
    rows: dict[tuple[int, int], list[float]],
    quants: list[dict[str, Any]],
    scope: frozenset[int],
    leaf_roots: Mapping[int, tuple[int, ...]],
) -> None:
    for quant in quants:
        product = quant["product_id"]
        if product not in scope:
            continue
        quantity = float(quant["quantity:sum"] or 0.0)
        reserved = float(quant["reserved_quantity:sum"] or 0.0)
        for root in leaf_roots.get(quant["location_id"], ()):
            row = rows.setdefault((product, root), [0.0, 0.0, 0.0])
            row[0] += quantity
            row[1] += quantity - reserved


def _add_moves(
    rows: dict[tuple[int, int], list[float]],
    moves: list[dict[str, Any]],
    scope: frozenset[int],
    trees: Mapping[int, frozenset[int]],
    leaf_roots: Mapping[int, tuple[int, ...]],
) -> None:
    for move in moves:
        product = move["product_id"]
        if product not in scope:
            continue
        destination = move["location_dest_id"]
        for root in leaf_roots.get(move["location_id"], ()):
            if destination in trees[root]:
                continue  # an internal move inside the location is not outgoing (§3.4)
            row = rows.setdefault((product, root), [0.0, 0.0, 0.0])
            row[2] += float(move["product_qty:sum"] or 0.0)


@dataclass(frozen=True, slots=True)
class InventoryCount:
    """A counted quantity to set at a location (a ``shopify_to_odoo`` location, DESIGN §2)."""

    product_id: int
    location_id: int
    quantity: Decimal


async def apply_inventory_counts(
    client: OdooClient, counts: Sequence[InventoryCount], *, chunk_size: int = 500
) -> list[int]:
    """Set on-hand quantities through Odoo inventory adjustments (§3.3).

    In inventory mode ``create`` finds or creates the quant and records
    ``inventory_quantity``; ``action_apply_inventory`` then books the difference against the
    inventory-loss location.  Two calls per chunk.  Returns the quant ids.  The user needs
    ``stock.group_stock_user`` (``_is_inventory_mode``).
    """
    context = {"inventory_mode": True}
    quant_ids: list[int] = []
    for start in range(0, len(counts), chunk_size):
        chunk = counts[start : start + chunk_size]
        ids = await client.create(
            "stock.quant",
            [
                {
                    "product_id": c.product_id,
                    "location_id": c.location_id,
                    "inventory_quantity": float(c.quantity),
                }
                for c in chunk
            ],
            context=context,
        )
        result = await client.call(
            "stock.quant", "action_apply_inventory", ids=ids, context=context, readonly=False
        )
        if isinstance(result, Mapping) and result.get("type") == "ir.actions.act_window":
            # stock.inventory.conflict (outdated quants) or a lot-tracking confirmation (§3.3)
            error = OdooUserError(
                f"Odoo {client.label}: the inventory adjustment of {len(ids)} quants stopped "
                f"at the wizard {result.get('res_model')!r}",
                cause="odoo_inventory_wizard",
                hint="the quants changed since they were counted, or lots are required: "
                "apply the count in Odoo (Inventory > Physical Inventory), then let the next "
                "sync pass recount",
            )
            error.odoo = client.label
            error.odoo_message = str(result.get("name") or "")
            raise error
        quant_ids.extend(ids)
    return quant_ids
