"""Storefront checkout and merchant actions; each emits the webhooks Shopify would.

Checkout (§a.2 lifecycle): "Shopify decrements the available inventory quantity … and increments
the committed inventory quantity" at the location of the order's fulfillment order; fulfilling
decrements committed.  Refused when stock is short unless the variant continues selling
(inventoryPolicy CONTINUE, §a.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shopify_odoo.errors import TerminalError

from .inventory import emit_levels, touch
from .model import (
    Customer,
    DiscountApplication,
    Fulfillment,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Level,
    LineItem,
    Order,
    Refund,
    ShippingLine,
    TaxLine,
    Variant,
)
from .payloads import (
    customer_json,
    fulfillment_json,
    order_json,
    product_json,
    q,
    refund_json,
    totals,
)
from .world import Store, World, cents, new_event_id

Z = Decimal("0.00")


class CheckoutRefused(TerminalError):
    """The cart cannot be ordered (stock short, unknown SKU)."""


@dataclass
class Cart:
    lines: list[tuple[str, int]]  # (sku, quantity)
    email: str = "buyer@example.com"
    first_name: str = "Ada"
    last_name: str = "Buyer"
    discount_code: tuple[str, Decimal] | None = None  # (code, percent)
    automatic_discount: tuple[str, Decimal] | None = None  # (title, percent)
    shipping: tuple[str, Decimal] | None = ("Standard", Decimal("4.90"))
    tax_rate: Decimal = Decimal("0.20")
    taxes_included: bool = True
    presentment_currency: str | None = None
    rate: Decimal = Decimal("1")
    gift_card: Decimal = Z
    tip: Decimal = Z
    paid: bool = True
    address: dict[str, Any] = field(
        default_factory=lambda: {
            "address1": "12 Rue de la Paix",
            "city": "Paris",
            "country": "France",
            "country_code": "FR",
            "zip": "75002",
            "first_name": "Ada",
            "last_name": "Buyer",
        }
    )


def _tax(net: Decimal, rate: Decimal, included: bool, fx: Decimal) -> list[TaxLine]:
    if rate == 0 or net == 0:
        return []
    amount = q(net * rate / (1 + rate)) if included else q(net * rate)
    return [TaxLine("VAT", rate, amount, q(amount * fx))]


def _route(store: Store, v: Variant, qty: int) -> Level:
    """Pick the fulfilling location: the first active one that fulfils online orders and has
    the units (Main Warehouse, then the 3PL); CONTINUE variants fall back to the first."""
    candidates = [
        (loc, v.levels[loc.index])
        for loc in store.locations
        if loc.active and loc.fulfills_online_orders and loc.index < len(v.levels)
    ]
    stocked = [(loc, lvl) for loc, lvl in candidates if lvl is not None and lvl.active]
    for _loc, lvl in stocked:
        if lvl.available >= qty:
            return lvl
    if v.policy_continue and stocked:
        return stocked[0][1]
    have = sum(lvl.available for _l, lvl in stocked)
    raise CheckoutRefused(
        f"SKU {v.sku!r} (store {store.handle}): only {have} available for {qty} ordered: "
        "set stock with the control API or allow overselling (inventoryPolicy CONTINUE)"
    )


def place_order(world: World, store: Store, cart: Cart) -> Order:
    now = world.now()
    fx = cart.rate
    event = new_event_id()
    picked: list[tuple[Variant, int, Level]] = []
    for sku, qty in cart.lines:
        found = store.variants_by_sku(sku)
        if not found:
            raise CheckoutRefused(
                f"SKU {sku!r} is not sold in store {store.handle}: check the catalogue"
            )
        v = found[0]
        picked.append((v, qty, _route(store, v, qty)))
    discounts: list[DiscountApplication] = []
    if cart.discount_code:
        discounts.append(
            DiscountApplication(
                len(discounts), "code", cart.discount_code[0], "percentage", cart.discount_code[1]
            )
        )
    if cart.automatic_discount:
        discounts.append(
            DiscountApplication(
                len(discounts),
                "automatic",
                cart.automatic_discount[0],
                "percentage",
                cart.automatic_discount[1],
            )
        )
    items: list[LineItem] = []
    by_location: dict[int, list[LineItem]] = {}
    touched: list[tuple[Variant, Level]] = []
    for v, qty, level in picked:
        price = cents(v.price_cents)
        gross = price * qty
        allocs = []
        for d in discounts:
            amount = q(gross * d.value / 100)
            allocs.append((d.index, amount, q(amount * fx)))
        net = gross - sum((a[1] for a in allocs), Z)
        p = store.products[v.product_id]
        li = LineItem(
            id=world.new_id(),
            variant_id=v.id,
            product_id=v.product_id,
            sku=v.sku,
            title=p.title,
            variant_title=v.title,
            quantity=qty,
            price=price,
            presentment_price=q(price * fx),
            discount_allocations=allocs,
            tax_lines=_tax(net, cart.tax_rate, cart.taxes_included, fx),
        )
        items.append(li)
        by_location.setdefault(level.location_id, []).append(li)
        level.available -= qty
        level.committed += qty
        touch(world, v, level)
        touched.append((v, level))
    shipping = []
    if cart.shipping:
        title, price = cart.shipping
        shipping.append(
            ShippingLine(
                world.new_id(),
                title,
                title.lower(),
                price,
                q(price * fx),
                _tax(price, cart.tax_rate, cart.taxes_included, fx),
            )
        )
    customer, created = _customer(world, store, cart)
    number = store.next_order_number
    store.next_order_number += 1
    order = Order(
        id=world.new_id(),
        number=number,
        name=f"#{number}",
        customer_id=customer.id,
        email=cart.email,
        created_at=now,
        updated_at=now,
        currency=store.currency,
        presentment_currency=cart.presentment_currency or store.currency,
        rate=fx,
        taxes_included=cart.taxes_included,
        line_items=items,
        shipping_lines=shipping,
        discounts=discounts,
        shipping_address=dict(cart.address),
        billing_address=dict(cart.address),
        financial_status="paid" if cart.paid else "pending",
        gift_card_amount=cart.gift_card,
        tip=cart.tip,
        gateways=("gift_card", "shopify_payments") if cart.gift_card > 0 else ("shopify_payments",),
    )
    for loc_id, lines in by_location.items():
        order.fulfillment_orders.append(
            FulfillmentOrder(
                id=world.new_id(),
                order_id=order.id,
                location_id=loc_id,
                lines=[
                    FulfillmentOrderLine(world.new_id(), li.id, li.quantity, li.quantity)
                    for li in lines
                ],
                created_at=now,
                updated_at=now,
            )
        )
    store.orders[order.id] = order
    customer.orders_count += 1
    if cart.paid:
        customer.amount_spent += totals(order)["total"][0]
    customer.updated_at = now
    body = order_json(store, order)
    world.emit(store, "orders/create", body, event)
    if cart.paid:
        world.emit(store, "orders/paid", body, event)
    world.emit(
        store,
        "customers/create" if created else "customers/update",
        customer_json(customer, store.currency),
        event,
    )
    emit_levels(world, store, touched, event)
    return order


def _customer(world: World, store: Store, cart: Cart) -> tuple[Customer, bool]:
    for c in store.customers.values():
        if c.email.lower() == cart.email.lower():
            return c, False  # a returning customer
    now = world.now()
    c = Customer(
        world.new_id(),
        cart.email,
        cart.first_name,
        cart.last_name,
        now,
        now,
        address=dict(cart.address),
    )
    store.customers[c.id] = c
    return c, True


def _level_of(store: Store, li: LineItem, location_id: int) -> tuple[Variant, Level] | None:
    v = store.variants.get(li.variant_id) if li.variant_id else None
    lvl = store.level(v, location_id) if v else None
    return (v, lvl) if v and lvl else None


def cancel_order(
    world: World, store: Store, order: Order, *, restock: bool = True, reason: str = "customer"
) -> Order:
    """orderCancel / merchant cancel: unfulfilled units leave committed (back to available when
    restocked); a paid order is refunded, an unpaid one voided."""
    if order.cancelled_at is not None:
        raise TerminalError(f"order {order.name} (store {store.handle}) is already cancelled")
    event = new_event_id()
    now = world.now()
    by_id = {li.id: li for li in order.line_items}
    touched: list[tuple[Variant, Level]] = []
    refund_lines: list[tuple[int, int, int, str, int | None]] = []
    for fo in order.fulfillment_orders:
        for fl in fo.lines:
            if fl.remaining <= 0:
                continue
            li = by_id[fl.line_item_id]
            got = _level_of(store, li, fo.location_id)
            if got:
                v, lvl = got
                lvl.committed -= fl.remaining
                if restock:
                    lvl.available += fl.remaining
                touch(world, v, lvl)
                touched.append((v, lvl))
            refund_lines.append(
                (
                    world.new_id(),
                    li.id,
                    fl.remaining,
                    "cancel" if restock else "no_restock",
                    fo.location_id,
                )
            )
            li.removed += fl.remaining
            fl.remaining = 0
        fo.status = "CLOSED"
        fo.updated_at = now
    order.cancelled_at = now
    order.closed_at = now
    order.cancel_reason = reason
    order.updated_at = now
    refund = None
    if order.financial_status in ("paid", "partially_refunded"):
        amount = totals(order)["total"][0] - sum((r.amount for r in order.refunds), Z)
        refund = Refund(
            world.new_id(),
            order.id,
            now,
            refund_lines,
            amount,
            q(amount * order.rate),
            note="Order cancelled",
        )
        order.refunds.append(refund)
        order.financial_status = "refunded"
    else:
        order.financial_status = "voided"
    body = order_json(store, order)
    world.emit(store, "orders/cancelled", body, event)
    world.emit(store, "orders/updated", body, event)
    if refund is not None:
        world.emit(store, "refunds/create", refund_json(order, refund), event)
    emit_levels(world, store, touched, event)
    return order


def fulfil(
    world: World,
    store: Store,
    order: Order,
    requests: list[tuple[FulfillmentOrder, list[tuple[int, int]] | None]],
    *,
    company: str | None = None,
    numbers: list[str] | None = None,
    urls: list[str] | None = None,
) -> Fulfillment:
    """fulfillmentCreate / fulfil in Shopify (3PL): committed falls by the shipped units (§a.2).
    ``requests`` = (fulfillment order, [(FO line id, quantity)] or None for all remaining)."""
    locations = {fo.location_id for fo, _ in requests}
    if len(locations) != 1:
        raise TerminalError(
            "all fulfillment orders of one fulfillment must share one location (§e.2)"
        )
    event = new_event_id()
    now = world.now()
    by_id = {li.id: li for li in order.line_items}
    lines: list[tuple[int, int, int]] = []
    touched: list[tuple[Variant, Level]] = []
    for fo, wanted in requests:
        if fo.status not in ("OPEN", "IN_PROGRESS"):
            raise TerminalError(
                f"fulfillment order {fo.id} of {order.name} is {fo.status}: nothing to fulfil"
            )
        fo_lines = {fl.id: fl for fl in fo.lines}
        pairs = (
            wanted
            if wanted is not None
            else [(fl.id, fl.remaining) for fl in fo.lines if fl.remaining]
        )
        for fl_id, qty in pairs:
            fl = fo_lines.get(fl_id)
            if fl is None or qty <= 0 or qty > fl.remaining:
                raise TerminalError(
                    f"fulfillment order line {fl_id} of {order.name}: cannot fulfil {qty}"
                )
            fl.remaining -= qty
            li = by_id[fl.line_item_id]
            li.fulfilled += qty
            got = _level_of(store, li, fo.location_id)
            if got:
                v, lvl = got
                lvl.committed -= qty
                touch(world, v, lvl)
                touched.append((v, lvl))
            lines.append((world.new_id(), li.id, qty))
        fo.status = "CLOSED" if all(fl.remaining == 0 for fl in fo.lines) else "IN_PROGRESS"
        fo.updated_at = now
    f = Fulfillment(
        id=world.new_id(),
        order_id=order.id,
        location_id=locations.pop(),
        name=f"{order.name}.{len(order.fulfillments) + 1}",
        lines=lines,
        created_at=now,
        updated_at=now,
        tracking_company=company,
        tracking_numbers=list(numbers or []),
        tracking_urls=list(urls or []),
    )
    order.fulfillments.append(f)
    order.updated_at = now
    body = order_json(store, order)
    world.emit(store, "fulfillments/create", fulfillment_json(store, order, f), event)
    status = body["fulfillment_status"]
    world.emit(
        store,
        "orders/fulfilled" if status == "fulfilled" else "orders/partially_fulfilled",
        body,
        event,
    )
    world.emit(store, "orders/updated", body, event)
    emit_levels(world, store, touched, event)
    return f


def update_fulfillment(
    world: World, store: Store, order: Order, f: Fulfillment, shipment_status: str
) -> None:
    f.shipment_status = shipment_status
    f.updated_at = world.now()
    world.emit(store, "fulfillments/update", fulfillment_json(store, order, f), None)


def refund_lines(
    world: World,
    store: Store,
    order: Order,
    lines: list[tuple[int, int]],
    *,
    restock: bool = True,
    note: str | None = None,
) -> Refund:
    """Refund units of unfulfilled lines (restock type ``cancel``, §e.3)."""
    event = new_event_id()
    now = world.now()
    by_id = {li.id: li for li in order.line_items}
    rows: list[tuple[int, int, int, str, int | None]] = []
    amount = Z
    touched: list[tuple[Variant, Level]] = []
    for line_id, qty in lines:
        li = by_id.get(line_id)
        if li is None or qty <= 0 or qty > li.fulfillable:
            raise TerminalError(
                f"line {line_id} of {order.name}: cannot refund {qty} unfulfilled units"
            )
        li.removed += qty
        share = li.price * qty - q(li.total_discount()[0] * qty / li.quantity)
        if not order.taxes_included:
            share += q(sum((t.amount for t in li.tax_lines), Z) * qty / li.quantity)
        amount += share
        loc_id = None
        for fo in order.fulfillment_orders:
            for fl in fo.lines:
                if fl.line_item_id == li.id and fl.remaining >= qty:
                    fl.remaining -= qty
                    loc_id = fo.location_id
                    got = _level_of(store, li, fo.location_id)
                    if got:
                        v, lvl = got
                        lvl.committed -= qty
                        if restock:
                            lvl.available += qty
                        touch(world, v, lvl)
                        touched.append((v, lvl))
                    break
            if loc_id is not None:
                break
        rows.append((world.new_id(), li.id, qty, "cancel" if restock else "no_restock", loc_id))
    refund = Refund(world.new_id(), order.id, now, rows, q(amount), q(amount * order.rate), note)
    order.refunds.append(refund)
    total = totals(order)["total"][0]
    order.financial_status = (
        "refunded" if sum((r.amount for r in order.refunds), Z) >= total else "partially_refunded"
    )
    order.updated_at = now
    world.emit(store, "refunds/create", refund_json(order, refund), event)
    world.emit(store, "orders/updated", order_json(store, order), event)
    emit_levels(world, store, touched, event)
    return refund


def edit_order(world: World, store: Store, order: Order, line_id: int, remove: int) -> None:
    """orderEdit… commit removing units of a line: ``orders/edited`` body as §e.5."""
    event = new_event_id()
    refund_lines(world, store, order, [(line_id, remove)], note="Order edited")
    order.edited = True
    body = {
        "order_edit": {
            "id": world.new_id(),
            "app_id": None,
            "created_at": order_json(store, order)["updated_at"],
            "committed_at": order_json(store, order)["updated_at"],
            "notify_customer": False,
            "order_id": order.id,
            "staff_note": "",
            "user_id": None,
            "line_items": {"additions": [], "removals": [{"id": line_id, "delta": remove}]},
            "discounts": {"line_item": {"additions": [], "removals": []}},
            "shipping_lines": {"additions": [], "removals": []},
        }
    }
    world.emit(store, "orders/edited", body, event)


def delete_product(world: World, store: Store, product_id: int) -> None:
    p = store.products.pop(product_id, None)
    if p is None:
        raise TerminalError(f"product {product_id} does not exist in store {store.handle}")
    for vid in p.variant_ids:
        v = store.variants.pop(vid, None)
        if v is not None:
            store.items.pop(v.item_id, None)
            store.unindex_variant(v)
    world.emit(store, "products/delete", {"id": p.id}, None)


def emit_product(world: World, store: Store, product_id: int, created: bool) -> None:
    p = store.products[product_id]
    world.emit(
        store, "products/create" if created else "products/update", product_json(store, p), None
    )
