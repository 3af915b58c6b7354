"""What the order planner decides: create, update, cancel, nothing, or park for a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from shopify_odoo.sync.customers import PartnerPlan
from shopify_odoo.sync.order_model import Problem
from shopify_odoo.sync.orders.totals import OrderTotals

LineRole = Literal["product", "discount", "shipping", "gift_card", "tip", "rounding"]


@dataclass(frozen=True, slots=True)
class PlannedLine:
    """One ``sale.order.line`` to have.  ``key`` identifies it across re-plans:

    ``item:<line item gid>``, ``disc:<line item gid>:<discount application index>``,
    ``ship:<shipping line gid>``, ``rounding``.  The engine records the key of every line it
    creates (link table) and hands it back in :class:`ExistingLine.key`.
    ``discount`` is always 0: discounts are separate negative lines (see ``orders.lines``).
    """

    key: str
    role: LineRole
    product_id: int
    name: str
    quantity: Decimal
    price_unit: Decimal
    tax_ids: tuple[int, ...] = ()
    discount: Decimal = Decimal(0)
    is_delivery: bool = False
    #: the warehouse that ships this line when it differs from the order's (multi-location)
    warehouse_id: int | None = None
    #: the Shopify line item this line comes from (product, discount, gift card, tip lines)
    line_item_id: str | None = None


@dataclass(frozen=True, slots=True)
class SaleOrderPlan:
    """Create one sale order (after searching ``client_order_ref`` once more: DESIGN.md §2)."""

    store: str
    order_id: str
    order_name: str
    client_order_ref: str
    partner: PartnerPlan
    currency_code: str
    currency_id: int
    pricelist_id: int
    team_id: int | None
    company_id: int | None
    warehouse_id: int | None
    carrier_id: int | None
    date_order: datetime
    lines: tuple[PlannedLine, ...]
    confirm: bool
    #: Odoo's totals for ``lines`` (computed with Odoo's arithmetic) and Shopify's total
    totals: OrderTotals
    shopify_total: Decimal
    warnings: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class LineWrite:
    """Write every value of ``line`` on ``line_id`` (price, taxes and quantity together: Odoo
    recomputes ``price_unit`` from the pricelist when only the quantity is written)."""

    line_id: int
    line: PlannedLine


@dataclass(frozen=True, slots=True)
class SaleOrderUpdate:
    """Bring an existing sale order to the order's current state (edits before delivery)."""

    sale_order_id: int
    sale_order_name: str
    client_order_ref: str
    add: tuple[PlannedLine, ...] = ()
    write: tuple[LineWrite, ...] = ()
    #: lines to delete (quotations only)
    unlink_line_ids: tuple[int, ...] = ()
    #: lines to set to quantity 0 (confirmed orders: Odoo refuses to delete their lines)
    zero_line_ids: tuple[int, ...] = ()
    confirm: bool = False
    totals: OrderTotals | None = None
    warnings: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.add or self.write or self.unlink_line_ids or self.zero_line_ids or self.confirm
        )


@dataclass(frozen=True, slots=True)
class CancelSaleOrder:
    """Cancel the sale order and its deliveries (nothing shipped yet).  ``unlock_first``: call
    ``action_unlock`` before ``action_cancel`` (Odoo refuses to cancel a locked order, §4.1);
    call ``action_cancel`` with context ``disable_cancel_warning`` to skip the wizard."""

    sale_order_id: int
    sale_order_name: str
    client_order_ref: str
    unlock_first: bool = False

    @property
    def is_empty(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class NoChange:
    """Odoo already reflects the order (or there is nothing to do): apply nothing."""

    client_order_ref: str
    sale_order_id: int | None
    reason: str

    @property
    def is_empty(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Parked:
    """A person must act; the engine parks the key and lists ``problems`` on the dashboard.
    The order still counts as in flight in the stock ledger meanwhile."""

    store: str
    order_id: str
    order_name: str
    client_order_ref: str
    problems: tuple[Problem, ...]

    @property
    def is_empty(self) -> bool:
        return False

    @property
    def message(self) -> str:
        return "\n".join(p.message for p in self.problems)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.problems)


OrderDecision = SaleOrderPlan | SaleOrderUpdate | CancelSaleOrder | NoChange | Parked
