"""REST-shaped JSON bodies for webhooks, modelled on ../shared/shopify/webhook-samples: money as
decimal strings, every ``*_set`` as shop/presentment money, 64-bit integer ids, consistent
totals (correction 18)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .clock import rest_time
from .ids import gid
from .model import Customer, Fulfillment, LineItem, Order, Product, Refund, ShippingLine, TaxLine
from .world import Store, cents

Z = Decimal("0.00")


def q(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"))


def mset(order: Order, shop: Decimal, pres: Decimal | None = None) -> dict[str, Any]:
    pres = q(shop * order.rate) if pres is None else pres
    return {
        "presentment_money": {"amount": str(q(pres)), "currency_code": order.presentment_currency},
        "shop_money": {"amount": str(q(shop)), "currency_code": order.currency},
    }


def _tax(order: Order, t: TaxLine) -> dict[str, Any]:
    return {
        "channel_liable": False,
        "price": str(q(t.amount)),
        "price_set": mset(order, t.amount, t.presentment),
        "rate": float(t.rate),
        "title": t.title,
    }


def _alloc(order: Order, allocs: list[tuple[int, Decimal, Decimal]]) -> list[dict[str, Any]]:
    return [
        {"amount": str(q(s)), "amount_set": mset(order, s, p), "discount_application_index": i}
        for i, s, p in allocs
    ]


def line_json(order: Order, li: LineItem) -> dict[str, Any]:
    disc, disc_p = li.total_discount()
    return {
        "admin_graphql_api_id": gid("LineItem", li.id),
        "current_quantity": li.current_quantity,
        "discount_allocations": _alloc(order, li.discount_allocations),
        "duties": [],
        "fulfillable_quantity": li.fulfillable,
        "fulfillment_service": "manual",
        "fulfillment_status": (
            "fulfilled"
            if li.fulfilled and li.fulfilled >= li.current_quantity
            else ("partial" if li.fulfilled else None)
        ),
        "gift_card": li.gift_card,
        "grams": 200,
        "id": li.id,
        "name": li.title if not li.variant_title else f"{li.title} - {li.variant_title}",
        "price": str(q(li.price)),
        "price_set": mset(order, li.price, li.presentment_price),
        "product_exists": li.product_id is not None,
        "product_id": li.product_id,
        "properties": [],
        "quantity": li.quantity,
        "requires_shipping": li.requires_shipping,
        "sku": li.sku,
        "tax_lines": [_tax(order, t) for t in li.tax_lines],
        "taxable": li.taxable,
        "title": li.title,
        "total_discount": str(q(disc)),
        "total_discount_set": mset(order, disc, disc_p),
        "variant_id": li.variant_id,
        "variant_inventory_management": "shopify" if li.variant_id else None,
        "variant_title": li.variant_title,
        "vendor": "Sandbox Apparel",
    }


def _shipping_json(order: Order, s: ShippingLine) -> dict[str, Any]:
    disc = sum((a[1] for a in s.discount_allocations), Z)
    disc_p = sum((a[2] for a in s.discount_allocations), Z)
    return {
        "carrier_identifier": None,
        "code": s.code,
        "current_discounted_price_set": mset(order, s.price - disc, s.presentment_price - disc_p),
        "discount_allocations": _alloc(order, s.discount_allocations),
        "discounted_price": str(q(s.price - disc)),
        "discounted_price_set": mset(order, s.price - disc, s.presentment_price - disc_p),
        "id": s.id,
        "is_removed": False,
        "phone": None,
        "price": str(q(s.price)),
        "price_set": mset(order, s.price, s.presentment_price),
        "requested_fulfillment_service_id": None,
        "source": "shopify",
        "tax_lines": [_tax(order, t) for t in s.tax_lines],
        "title": s.title,
    }


def totals(order: Order, current: bool = False) -> dict[str, tuple[Decimal, Decimal]]:
    """Order totals in (shop, presentment) money; ``current`` excludes removed units."""

    def qty(li: LineItem) -> int:
        return li.current_quantity if current else li.quantity

    def scaled(li: LineItem, amount: Decimal) -> Decimal:
        return amount if li.quantity == 0 else q(amount * qty(li) / li.quantity)

    line_total = sum((li.price * qty(li) for li in order.line_items), Z)
    line_total_p = sum((li.presentment_price * qty(li) for li in order.line_items), Z)
    disc = sum((scaled(li, li.total_discount()[0]) for li in order.line_items), Z)
    disc_p = sum((scaled(li, li.total_discount()[1]) for li in order.line_items), Z)
    ship = sum(
        (s.price - sum((a[1] for a in s.discount_allocations), Z) for s in order.shipping_lines), Z
    )
    ship_p = sum(
        (
            s.presentment_price - sum((a[2] for a in s.discount_allocations), Z)
            for s in order.shipping_lines
        ),
        Z,
    )
    ship_disc = sum((a[1] for s in order.shipping_lines for a in s.discount_allocations), Z)
    ship_disc_p = sum((a[2] for s in order.shipping_lines for a in s.discount_allocations), Z)
    tax = sum((scaled(li, t.amount) for li in order.line_items for t in li.tax_lines), Z)
    tax += sum((t.amount for s in order.shipping_lines for t in s.tax_lines), Z)
    tax_p = sum((scaled(li, t.presentment) for li in order.line_items for t in li.tax_lines), Z)
    tax_p += sum((t.presentment for s in order.shipping_lines for t in s.tax_lines), Z)
    subtotal, subtotal_p = line_total - disc, line_total_p - disc_p
    total = subtotal + ship + (Z if order.taxes_included else tax)
    total_p = subtotal_p + ship_p + (Z if order.taxes_included else tax_p)
    total, total_p = total + order.tip, total_p + q(order.tip * order.rate)  # tips are in the total
    return {
        "line_items": (q(line_total), q(line_total_p)),
        "discounts": (q(disc + ship_disc), q(disc_p + ship_disc_p)),
        "subtotal": (q(subtotal), q(subtotal_p)),
        "shipping": (q(ship), q(ship_p)),
        "tax": (q(tax), q(tax_p)),
        "total": (q(total), q(total_p)),
    }


def refunded(order: Order) -> tuple[Decimal, Decimal]:
    return (
        sum((r.amount for r in order.refunds), Z),
        sum((r.presentment_amount for r in order.refunds), Z),
    )


def fulfillment_status(order: Order) -> str | None:
    """REST fulfillment_status: null, "partial" or "fulfilled" (correction 18)."""
    wanted = sum(li.current_quantity for li in order.line_items if li.requires_shipping)
    done = sum(
        min(li.fulfilled, li.current_quantity) for li in order.line_items if li.requires_shipping
    )
    if done == 0:
        return None
    return "fulfilled" if done >= wanted else "partial"


def address_json(a: dict[str, Any]) -> dict[str, Any] | None:
    if not a:
        return None
    return {
        "address1": a.get("address1"),
        "address2": None,
        "city": a.get("city"),
        "company": None,
        "country": a.get("country"),
        "country_code": a.get("country_code"),
        "first_name": a.get("first_name"),
        "last_name": a.get("last_name"),
        "latitude": None,
        "longitude": None,
        "name": f"{a.get('first_name', '')} {a.get('last_name', '')}".strip(),
        "phone": a.get("phone"),
        "province": None,
        "province_code": None,
        "zip": a.get("zip"),
    }


def customer_json(c: Customer, currency: str) -> dict[str, Any]:
    return {
        "admin_graphql_api_id": gid("Customer", c.id),
        "created_at": rest_time(c.created_at),
        "currency": currency,
        "default_address": address_json(c.address),
        "email": c.email,
        "first_name": c.first_name,
        "id": c.id,
        "last_name": c.last_name,
        "multipass_identifier": None,
        "note": None,
        "orders_count": c.orders_count,
        "phone": c.phone,
        "state": c.state.lower(),
        "tags": ", ".join(c.tags),
        "tax_exempt": False,
        "tax_exemptions": [],
        "total_spent": str(q(c.amount_spent)),
        "updated_at": rest_time(c.updated_at),
        "verified_email": True,
    }


def order_json(store: Store, order: Order) -> dict[str, Any]:
    t = totals(order)
    cur = totals(order, current=True)
    ref, ref_p = refunded(order)
    customer = store.customers.get(order.customer_id) if order.customer_id else None
    paid = order.financial_status in ("paid", "partially_refunded", "refunded", "partially_paid")
    outstanding = Z if paid else t["total"][0]
    body: dict[str, Any] = {
        "admin_graphql_api_id": gid("Order", order.id),
        "app_id": None,
        "billing_address": address_json(order.billing_address),
        "browser_ip": None,
        "buyer_accepts_marketing": False,
        "cancel_reason": order.cancel_reason,
        "cancelled_at": rest_time(order.cancelled_at) if order.cancelled_at else None,
        "closed_at": rest_time(order.closed_at) if order.closed_at else None,
        "confirmation_number": f"SBX{order.number}",
        "confirmed": True,
        "contact_email": order.email,
        "created_at": rest_time(order.created_at),
        "currency": order.currency,
        "current_shipping_price_set": mset(order, *cur["shipping"]),
        "current_subtotal_price": str(cur["subtotal"][0]),
        "current_subtotal_price_set": mset(order, *cur["subtotal"]),
        "current_total_discounts": str(cur["discounts"][0]),
        "current_total_discounts_set": mset(order, *cur["discounts"]),
        "current_total_price": str(cur["total"][0]),
        "current_total_price_set": mset(order, *cur["total"]),
        "current_total_tax": str(cur["tax"][0]),
        "current_total_tax_set": mset(order, *cur["tax"]),
        "customer": customer_json(customer, order.currency) if customer else None,
        "customer_locale": "en",
        "discount_applications": [
            {
                "allocation_method": d.allocation,
                "code": d.title if d.kind == "code" else None,
                "description": d.title,
                "target_selection": "all",
                "target_type": d.target,
                "title": d.title,
                "type": "discount_code" if d.kind == "code" else "automatic",
                "value": str(q(d.value)) if d.value_type == "fixed_amount" else str(d.value),
                "value_type": d.value_type,
            }
            for d in order.discounts
        ],
        "discount_codes": [
            {"code": d.title, "amount": str(t["discounts"][0]), "type": d.value_type}
            for d in order.discounts
            if d.kind == "code"
        ],
        "email": order.email,
        "estimated_taxes": False,
        "financial_status": order.financial_status,
        "fulfillment_status": fulfillment_status(order),
        "fulfillments": [fulfillment_json(store, order, f) for f in order.fulfillments],
        "id": order.id,
        "line_items": [line_json(order, li) for li in order.line_items],
        "location_id": None,
        "name": order.name,
        "note": order.note,
        "note_attributes": [],
        "number": order.number - 1000,
        "order_number": order.number,
        "payment_gateway_names": list(order.gateways),
        "phone": None,
        "presentment_currency": order.presentment_currency,
        "processed_at": rest_time(order.created_at),
        "refunds": [refund_json(order, r) for r in order.refunds],
        "shipping_address": address_json(order.shipping_address),
        "shipping_lines": [_shipping_json(order, s) for s in order.shipping_lines],
        "source_name": order.source_name,
        "subtotal_price": str(t["subtotal"][0]),
        "subtotal_price_set": mset(order, *t["subtotal"]),
        "tags": ", ".join(order.tags),
        "tax_exempt": False,
        "tax_lines": _order_tax_lines(order),
        "taxes_included": order.taxes_included,
        "test": order.test,
        "total_discounts": str(t["discounts"][0]),
        "total_discounts_set": mset(order, *t["discounts"]),
        "total_line_items_price": str(t["line_items"][0]),
        "total_line_items_price_set": mset(order, *t["line_items"]),
        "total_outstanding": str(q(outstanding)),
        "total_price": str(t["total"][0]),
        "total_price_set": mset(order, *t["total"]),
        "total_refunded": str(q(ref)),
        "total_refunded_set": mset(order, ref, ref_p),
        "total_shipping_price_set": mset(order, *t["shipping"]),
        "total_tax": str(t["tax"][0]),
        "total_tax_set": mset(order, *t["tax"]),
        "total_tip_received": str(q(order.tip)),
        "total_weight": 200 * sum(li.quantity for li in order.line_items),
        "updated_at": rest_time(order.updated_at),
        "user_id": None,
    }
    return body


def _order_tax_lines(order: Order) -> list[dict[str, Any]]:
    merged: dict[tuple[str, Decimal], list[Decimal]] = {}
    for li in order.line_items:
        for t in li.tax_lines:
            acc = merged.setdefault((t.title, t.rate), [Z, Z])
            acc[0] += t.amount
            acc[1] += t.presentment
    for s in order.shipping_lines:
        for t in s.tax_lines:
            acc = merged.setdefault((t.title, t.rate), [Z, Z])
            acc[0] += t.amount
            acc[1] += t.presentment
    return [
        _tax(order, TaxLine(title, rate, amounts[0], amounts[1]))
        for (title, rate), amounts in merged.items()
    ]


def fulfillment_json(store: Store, order: Order, f: Fulfillment) -> dict[str, Any]:
    by_id = {li.id: li for li in order.line_items}
    lines = []
    for _fid, line_id, qty in f.lines:
        li = by_id[line_id]
        row = line_json(order, li)
        row["quantity"] = qty
        lines.append(row)
    return {
        "admin_graphql_api_id": gid("Fulfillment", f.id),
        "created_at": rest_time(f.created_at),
        "destination": address_json(order.shipping_address),
        "email": order.email,
        "id": f.id,
        "line_items": lines,
        "location_id": f.location_id,
        "name": f.name,
        "order_id": order.id,
        "origin_address": None,
        "receipt": {},
        "service": "manual",
        "shipment_status": f.shipment_status,
        "status": f.status.lower(),
        "tracking_company": f.tracking_company,
        "tracking_number": f.tracking_numbers[0] if f.tracking_numbers else None,
        "tracking_numbers": list(f.tracking_numbers),
        "tracking_url": f.tracking_urls[0] if f.tracking_urls else None,
        "tracking_urls": list(f.tracking_urls),
        "updated_at": rest_time(f.updated_at),
    }


def refund_json(order: Order, r: Refund) -> dict[str, Any]:
    by_id = {li.id: li for li in order.line_items}
    return {
        "admin_graphql_api_id": gid("Refund", r.id),
        "created_at": rest_time(r.created_at),
        "id": r.id,
        "note": r.note,
        "order_id": order.id,
        "processed_at": rest_time(r.created_at),
        "refund_line_items": [
            {
                "id": rid,
                "line_item": line_json(order, by_id[lid]),
                "line_item_id": lid,
                "location_id": loc,
                "quantity": qty,
                "restock_type": restock,
                "subtotal": str(q(by_id[lid].price * qty)),
                "subtotal_set": mset(order, by_id[lid].price * qty),
            }
            for rid, lid, qty, restock, loc in r.lines
        ],
        "transactions": [
            {
                "amount": str(q(r.amount)),
                "currency": order.currency,
                "gateway": order.gateways[0] if order.gateways else "manual",
                "kind": "refund",
                "order_id": order.id,
                "status": "success",
            }
        ],
    }


def product_json(store: Store, p: Product) -> dict[str, Any]:
    variants = [store.variants[v] for v in p.variant_ids if v in store.variants]
    return {
        "admin_graphql_api_id": gid("Product", p.id),
        "body_html": p.description_html,
        "created_at": rest_time(p.created_at),
        "handle": p.handle,
        "id": p.id,
        "options": [
            {
                "name": n,
                "position": i + 1,
                "product_id": p.id,
                "values": sorted({v.options[i] for v in variants if i < len(v.options)}),
            }
            for i, n in enumerate(p.option_names)
        ],
        "product_type": p.product_type,
        "published_at": rest_time(p.created_at) if p.status == "ACTIVE" else None,
        "status": p.status.lower(),
        "tags": ", ".join(p.tags),
        "title": p.title,
        "updated_at": rest_time(p.updated_at),
        "variant_gids": [
            {
                "admin_graphql_api_id": gid("ProductVariant", v.id),
                "updated_at": rest_time(v.updated_at),
            }
            for v in variants
        ],
        "variants": [
            {
                "admin_graphql_api_id": gid("ProductVariant", v.id),
                "barcode": v.barcode,
                "compare_at_price": None
                if v.compare_at_cents is None
                else str(cents(v.compare_at_cents)),
                "created_at": rest_time(v.created_at),
                "id": v.id,
                "inventory_item_id": v.item_id,
                "inventory_policy": "continue" if v.policy_continue else "deny",
                # a total over locations (samples README)
                "inventory_quantity": sum(lv.available for lv in v.levels if lv is not None),
                "option1": v.options[0] if len(v.options) > 0 else None,
                "option2": v.options[1] if len(v.options) > 1 else None,
                "option3": v.options[2] if len(v.options) > 2 else None,
                "position": v.position,
                "price": str(cents(v.price_cents)),
                "product_id": p.id,
                "sku": v.sku,
                "taxable": v.taxable,
                "title": v.title,
                "updated_at": rest_time(v.updated_at),
            }
            for v in variants
        ],
        "vendor": p.vendor,
    }
