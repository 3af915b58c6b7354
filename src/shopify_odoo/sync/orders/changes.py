"""Line diff between the sale order Odoo holds and the lines the order needs now.

Lines pair up by our line key (recorded by the engine when it created them); lines without a
key pair with a planned line of the same product and description, in order.  The sale order
belongs to the connector (Shopify is the master of orders, DESIGN.md §1): an Odoo line that
pairs with nothing is removed (deleted on a quotation, set to quantity 0 on a confirmed order,
where Odoo refuses deletion).  A quantity-0 line that pairs with nothing is already removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shopify_odoo.sync.order_model import ExistingLine, ExistingSaleOrder
from shopify_odoo.sync.orders.plan_types import LineWrite, PlannedLine


@dataclass(frozen=True, slots=True)
class LineDiff:
    add: tuple[PlannedLine, ...]
    write: tuple[LineWrite, ...]
    unlink_line_ids: tuple[int, ...]
    zero_line_ids: tuple[int, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.add or self.write or self.unlink_line_ids or self.zero_line_ids)


def same_values(existing: ExistingLine, planned: PlannedLine) -> bool:
    """True when writing ``planned`` on ``existing`` would change nothing we own."""
    return (
        existing.product_id == planned.product_id
        and existing.quantity == planned.quantity
        and existing.price_unit == planned.price_unit
        and existing.discount == planned.discount
        and existing.tax_ids == frozenset(planned.tax_ids)
        and existing.name == planned.name
    )


def pair_lines(
    planned: Sequence[PlannedLine], existing: Sequence[ExistingLine]
) -> tuple[list[tuple[PlannedLine, ExistingLine | None]], list[ExistingLine]]:
    """Pairs (planned, existing or None) in planned order, and the unpaired existing lines."""
    by_key = {line.key: line for line in existing if line.key is not None}
    used: set[int] = set()
    pairs: list[tuple[PlannedLine, ExistingLine | None]] = []
    for line in planned:
        match = by_key.get(line.key)
        if match is not None and match.id not in used:
            used.add(match.id)
            pairs.append((line, match))
        else:
            pairs.append((line, None))
    keyless = sorted((e for e in existing if e.key is None), key=lambda e: e.id)
    for i, (line, match) in enumerate(pairs):
        if match is not None:
            continue
        candidate = next(
            (
                e
                for e in keyless
                if e.id not in used and e.product_id == line.product_id and e.name == line.name
            ),
            None,
        )
        if candidate is not None:
            used.add(candidate.id)
            pairs[i] = (line, candidate)
    leftover = [e for e in existing if e.id not in used]
    return pairs, leftover


def diff_lines(planned: Sequence[PlannedLine], order: ExistingSaleOrder) -> LineDiff:
    confirmed = order.state in ("sale", "done")
    pairs, leftover = pair_lines(planned, order.lines)
    add: list[PlannedLine] = []
    write: list[LineWrite] = []
    for line, match in pairs:
        if match is None:
            add.append(line)
        elif match.product_id != line.product_id:
            # Odoo does not let a confirmed line change product: replace the line.
            add.append(line)
            leftover.append(match)
        elif not same_values(match, line):
            write.append(LineWrite(match.id, line))
    unlink: list[int] = []
    zero: list[int] = []
    for stale in sorted(leftover, key=lambda e: e.id):
        if not confirmed:
            unlink.append(stale.id)
        elif stale.quantity != 0:
            zero.append(stale.id)
    return LineDiff(tuple(add), tuple(write), tuple(unlink), tuple(zero))
