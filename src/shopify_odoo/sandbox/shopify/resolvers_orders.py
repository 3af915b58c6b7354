"""Orders, line items, fulfillment orders, fulfillments and customers (§e.1, §e.2, §e.7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import search
from .clock import iso
from .gql import Ctx, abstract, attrs, field
from .ids import gid
from .info import Info
from .model import (
    Customer,
    DiscountApplication,
    Fulfillment,
    FulfillmentOrder,
    LineItem,
    Order,
    ShippingLine,
    TaxLine,
)
from .paging import Conn, paginate
from .payloads import fulfillment_status, refunded, totals
from .views import FOLine, money, money_bag

Z = Decimal("0.00")


def _ctx(info: Info) -> Ctx:
    ctx: Ctx = info.context
    return ctx


_SORT = {
    "UPDATED_AT": lambda o: (o.updated_at, o.id),
    "CREATED_AT": lambda o: (o.created_at, o.id),
    "PROCESSED_AT": lambda o: (o.created_at, o.id),
    "ORDER_NUMBER": lambda o: (o.number, o.id),
}


def _order_value(o: Order, name: str) -> Any:
    return {
        "updated_at": o.updated_at,
        "created_at": o.created_at,
        "processed_at": o.created_at,
        "id": o.id,
        "name": o.name,
        "email": o.email,
        "financial_status": o.financial_status,
        "fulfillment_status": (fulfillment_status(o) or "unfulfilled"),
        "status": "cancelled" if o.cancelled_at else ("closed" if o.closed_at else "open"),
        "tag": ",".join(o.tags),
    }.get(name, search.UNKNOWN)


@field("QueryRoot", "orders")
def _orders(_: Any, info: Info, **args: Any) -> Conn:
    store = _ctx(info).store
    expr = search.parse(args.get("query") or "")
    rows = [o for o in store.orders.values() if search.matches(expr, o, _order_value)]
    key = _SORT.get(args.get("sortKey") or "ID", lambda o: (o.id, o.id))
    return paginate(_ctx(info), info, args, rows, key=key)


@field("QueryRoot", "order")
def _order(_: Any, info: Info, id: str) -> Any:
    from .views import lookup

    found = lookup(_ctx(info).store, id)
    return found if isinstance(found, Order) else None


@field("QueryRoot", "customers")
def _customers(_: Any, info: Info, **args: Any) -> Conn:
    store = _ctx(info).store
    expr = search.parse(args.get("query") or "")

    def value(c: Customer, name: str) -> Any:
        return {
            "email": c.email,
            "updated_at": c.updated_at,
            "created_at": c.created_at,
            "id": c.id,
        }.get(name, search.UNKNOWN)

    rows = [c for c in store.customers.values() if search.matches(expr, c, value)]
    return paginate(_ctx(info), info, args, rows)


@field("QueryRoot", "customer")
def _customer(_: Any, info: Info, id: str) -> Any:
    from .views import lookup

    found = lookup(_ctx(info).store, id)
    return found if isinstance(found, Customer) else None


@field("QueryRoot", "fulfillmentOrders")
def _fulfillment_orders(_: Any, info: Info, **args: Any) -> Conn:
    store = _ctx(info).store
    rows = [
        fo
        for o in store.orders.values()
        for fo in o.fulfillment_orders
        if args.get("includeClosed") or fo.status not in ("CLOSED", "CANCELLED")
    ]
    return paginate(_ctx(info), info, args, rows)


@field("QueryRoot", "fulfillmentOrder")
def _fulfillment_order(_: Any, info: Info, id: str) -> Any:
    from .views import lookup

    found = lookup(_ctx(info).store, id)
    return found if isinstance(found, FulfillmentOrder) else None


# ------------------------------------------------------------------ Order

attrs(
    "Order",
    {
        "name": "name",
        "email": "email",
        "taxesIncluded": "taxes_included",
        "test": "test",
        "edited": "edited",
        "note": "note",
        "sourceName": "source_name",
    },
)
field("Order", "id")(lambda o, _i: gid("Order", o.id))
field("Order", "legacyResourceId")(lambda o, _i: str(o.id))
field("Order", "number")(lambda o, _i: o.number - 1000)
field("Order", "phone")(lambda o, _i: None)
field("Order", "sourceIdentifier")(lambda o, _i: None)
field("Order", "createdAt", "processedAt")(lambda o, _i: iso(o.created_at))
field("Order", "updatedAt")(lambda o, _i: iso(o.updated_at))
field("Order", "cancelledAt")(lambda o, _i: iso(o.cancelled_at) if o.cancelled_at else None)
field("Order", "closedAt")(lambda o, _i: iso(o.closed_at) if o.closed_at else None)
field("Order", "closed")(lambda o, _i: o.closed_at is not None)
field("Order", "cancelReason")(lambda o, _i: o.cancel_reason.upper() if o.cancel_reason else None)
field("Order", "confirmed")(lambda o, _i: True)
field("Order", "taxExempt")(lambda o, _i: False)
field("Order", "currencyCode")(lambda o, _i: o.currency)
field("Order", "presentmentCurrencyCode")(lambda o, _i: o.presentment_currency)
field("Order", "tags")(lambda o, _i: list(o.tags))
field("Order", "paymentGatewayNames")(lambda o, _i: list(o.gateways))
field("Order", "discountCodes")(lambda o, _i: [d.title for d in o.discounts if d.kind == "code"])
field("Order", "customer")(
    lambda o, info: _ctx(info).store.customers.get(o.customer_id) if o.customer_id else None
)
field("Order", "displayFinancialStatus")(lambda o, _i: o.financial_status.upper())
field("Order", "fullyPaid")(
    lambda o, _i: o.financial_status in ("paid", "partially_refunded", "refunded")
)
field("Order", "unpaid")(lambda o, _i: o.financial_status in ("pending", "authorized"))
field("Order", "requiresShipping")(lambda o, _i: any(li.requires_shipping for li in o.line_items))
field("Order", "subtotalLineItemsQuantity")(lambda o, _i: sum(li.quantity for li in o.line_items))
field("Order", "currentSubtotalLineItemsQuantity")(
    lambda o, _i: sum(li.current_quantity for li in o.line_items)
)
field("Order", "shippingAddress")(lambda o, _i: _address(o.shipping_address, o.id))
field("Order", "billingAddress")(lambda o, _i: _address(o.billing_address, o.id + 1))
field("Order", "taxLines")(lambda o, _i: [_tax_view(o, t) for t in _merged_taxes(o)])


@field("Order", "displayFulfillmentStatus")
def _dfs(o: Order, _i: Any) -> str:
    status = fulfillment_status(o)
    return {"fulfilled": "FULFILLED", "partial": "PARTIALLY_FULFILLED"}.get(
        status or "", "UNFULFILLED"
    )


def _bag(key: str, current: bool = False) -> Any:
    def resolve(o: Order, _i: Any) -> dict[str, Any]:
        shop, pres = totals(o, current=current)[key]
        return money_bag(o, shop, pres)

    return resolve


for _name, _key in (
    ("totalPriceSet", "total"),
    ("originalTotalPriceSet", "total"),
    ("subtotalPriceSet", "subtotal"),
    ("totalTaxSet", "tax"),
    ("totalDiscountsSet", "discounts"),
    ("totalShippingPriceSet", "shipping"),
):
    field("Order", _name)(_bag(_key))
for _name, _key in (
    ("currentTotalPriceSet", "total"),
    ("currentSubtotalPriceSet", "subtotal"),
    ("currentTotalTaxSet", "tax"),
    ("currentTotalDiscountsSet", "discounts"),
):
    field("Order", _name)(_bag(_key, current=True))
field("Order", "totalRefundedSet")(lambda o, _i: money_bag(o, *refunded(o)))
field("Order", "totalTipReceivedSet")(lambda o, _i: money_bag(o, o.tip))


@field("Order", "totalOutstandingSet")
def _outstanding(o: Order, _i: Any) -> dict[str, Any]:
    paid = o.financial_status in ("paid", "partially_refunded", "refunded")
    shop, pres = (Z, Z) if paid else totals(o)["total"]
    return money_bag(o, shop, pres)


@field("Order", "netPaymentSet")
def _net(o: Order, _i: Any) -> dict[str, Any]:
    if o.financial_status in ("pending", "voided"):
        return money_bag(o, Z, Z)
    shop, pres = totals(o)["total"]
    ref, ref_p = refunded(o)
    return money_bag(o, shop - ref, pres - ref_p)


@field("Order", "lineItems")
def _line_items(o: Order, info: Info, **args: Any) -> Conn:
    return paginate(_ctx(info), info, args, o.line_items, presorted=True)


@field("Order", "shippingLines")
def _shipping_lines(o: Order, info: Info, **args: Any) -> Conn:
    return paginate(
        _ctx(info),
        info,
        args,
        [(o, s) for s in o.shipping_lines],
        key=lambda r: (r[1].id, r[1].id),
        presorted=True,
    )


@field("Order", "discountApplications")
def _discount_apps(o: Order, info: Info, **args: Any) -> Conn:
    return paginate(
        _ctx(info),
        info,
        args,
        [(o, d) for d in o.discounts],
        key=lambda r: (r[1].index, r[1].index),
        presorted=True,
    )


@field("Order", "fulfillmentOrders")
def _order_fos(o: Order, info: Info, **args: Any) -> Conn:
    return paginate(_ctx(info), info, args, o.fulfillment_orders, presorted=True)


@field("Order", "fulfillments")
def _order_fulfillments(o: Order, _i: Any, first: int | None = None, **_: Any) -> list[Fulfillment]:
    return o.fulfillments[:first] if first else list(o.fulfillments)


def _address(a: dict[str, Any], num: int) -> dict[str, Any] | None:
    if not a:
        return None
    return {
        "id": gid("MailingAddress", num),
        "address1": a.get("address1"),
        "address2": None,
        "city": a.get("city"),
        "company": None,
        "country": a.get("country"),
        "countryCodeV2": a.get("country_code"),
        "firstName": a.get("first_name"),
        "lastName": a.get("last_name"),
        "name": f"{a.get('first_name', '')} {a.get('last_name', '')}".strip(),
        "phone": a.get("phone"),
        "province": None,
        "provinceCode": None,
        "zip": a.get("zip"),
    }


def _merged_taxes(o: Order) -> list[TaxLine]:
    merged: dict[tuple[str, Decimal], TaxLine] = {}
    for t in [t for li in o.line_items for t in li.tax_lines] + [
        t for s in o.shipping_lines for t in s.tax_lines
    ]:
        k = (t.title, t.rate)
        cur = merged.get(k)
        merged[k] = TaxLine(
            t.title,
            t.rate,
            t.amount + (cur.amount if cur else Z),
            t.presentment + (cur.presentment if cur else Z),
        )
    return list(merged.values())


def _tax_view(o: Order, t: TaxLine) -> dict[str, Any]:
    return {
        "title": t.title,
        "rate": float(t.rate),
        "ratePercentage": float(t.rate * 100),
        "priceSet": money_bag(o, t.amount, t.presentment),
        "channelLiable": False,
        "source": "Shopify",
    }


def _allocations(o: Order, allocs: list[tuple[int, Decimal, Decimal]]) -> list[dict[str, Any]]:
    apps = {d.index: d for d in o.discounts}
    return [
        {"allocatedAmountSet": money_bag(o, s, p), "discountApplication": (o, apps[i])}
        for i, s, p in allocs
        if i in apps
    ]


# ------------------------------------------------------------------ discount applications


def _discount_type(value: Any) -> str:
    return "DiscountCodeApplication" if value[1].kind == "code" else "AutomaticDiscountApplication"


abstract("DiscountApplication", _discount_type)
abstract("PricingValue", lambda v: "PricingPercentageValue" if "percentage" in v else "MoneyV2")
for _t in ("DiscountCodeApplication", "AutomaticDiscountApplication"):
    field(_t, "allocationMethod")(lambda r, _i: r[1].allocation.upper())
    field(_t, "index")(lambda r, _i: r[1].index)
    field(_t, "targetSelection")(lambda r, _i: "ALL")
    field(_t, "targetType")(lambda r, _i: r[1].target.upper())
    field(_t, "value")(
        lambda r, _i: (
            {"percentage": float(r[1].value)}
            if r[1].value_type == "percentage"
            else money(r[1].value, r[0].currency)
        )
    )
field("DiscountCodeApplication", "code")(lambda r, _i: r[1].title)
field("AutomaticDiscountApplication", "title")(lambda r, _i: r[1].title)

# ------------------------------------------------------------------ ShippingLine (rows are (order,

field("ShippingLine", "id")(lambda r, _i: gid("ShippingLine", r[1].id))
field("ShippingLine", "title")(lambda r, _i: r[1].title)
field("ShippingLine", "code")(lambda r, _i: r[1].code)
field("ShippingLine", "source")(lambda r, _i: "shopify")
field("ShippingLine", "carrierIdentifier")(lambda r, _i: None)
field("ShippingLine", "isRemoved")(lambda r, _i: False)
field("ShippingLine", "originalPriceSet")(
    lambda r, _i: money_bag(r[0], r[1].price, r[1].presentment_price)
)
field("ShippingLine", "taxLines")(lambda r, _i: [_tax_view(r[0], t) for t in r[1].tax_lines])
field("ShippingLine", "discountAllocations")(
    lambda r, _i: _allocations(r[0], r[1].discount_allocations)
)


def _ship_net(r: tuple[Order, ShippingLine], _i: Any) -> dict[str, Any]:
    o, s = r
    return money_bag(
        o,
        s.price - sum((a[1] for a in s.discount_allocations), Z),
        s.presentment_price - sum((a[2] for a in s.discount_allocations), Z),
    )


field("ShippingLine", "discountedPriceSet", "currentDiscountedPriceSet")(_ship_net)
# Order.shippingLine returns the bare line: wrap it
field("Order", "shippingLine")(lambda o, _i: (o, o.shipping_lines[0]) if o.shipping_lines else None)

# ------------------------------------------------------------------ LineItem


def _order_of(li: LineItem, info: Info) -> Order:
    from .views import find_line

    found = find_line(_ctx(info).store, li.id)
    assert found is not None
    return found[0]


attrs(
    "LineItem",
    {
        "title": "title",
        "variantTitle": "variant_title",
        "sku": "sku",
        "quantity": "quantity",
        "currentQuantity": "current_quantity",
        "taxable": "taxable",
        "requiresShipping": "requires_shipping",
        "isGiftCard": "gift_card",
    },
)
field("LineItem", "id")(lambda li, _i: gid("LineItem", li.id))
field("LineItem", "name")(
    lambda li, _i: f"{li.title} - {li.variant_title}" if li.variant_title else li.title
)
field("LineItem", "vendor")(lambda li, _i: "Sandbox Apparel")
field("LineItem", "variant")(
    lambda li, info: _ctx(info).store.variants.get(li.variant_id) if li.variant_id else None
)
field("LineItem", "product")(
    lambda li, info: _ctx(info).store.products.get(li.product_id) if li.product_id else None
)
field("LineItem", "refundableQuantity")(lambda li, _i: li.current_quantity)
field("LineItem", "unfulfilledQuantity", "fulfillableQuantity")(lambda li, _i: li.fulfillable)
field("LineItem", "nonFulfillableQuantity")(lambda li, _i: li.removed)
field("LineItem", "restockable")(lambda li, _i: li.variant_id is not None)
field("LineItem", "originalUnitPriceSet", "discountedUnitPriceSet")(
    lambda li, info: money_bag(_order_of(li, info), li.price, li.presentment_price)
)
field("LineItem", "originalTotalSet")(
    lambda li, info: money_bag(
        _order_of(li, info), li.price * li.quantity, li.presentment_price * li.quantity
    )
)
field("LineItem", "totalDiscountSet")(
    lambda li, info: money_bag(_order_of(li, info), *li.total_discount())
)
field("LineItem", "discountAllocations")(
    lambda li, info: _allocations(_order_of(li, info), li.discount_allocations)
)
field("LineItem", "taxLines")(
    lambda li, info, **_: [_tax_view(_order_of(li, info), t) for t in li.tax_lines]
)


@field("LineItem", "discountedTotalSet")
def _li_discounted(li: LineItem, info: Info, **_: Any) -> dict[str, Any]:
    d, dp = li.total_discount()
    return money_bag(
        _order_of(li, info), li.price * li.quantity - d, li.presentment_price * li.quantity - dp
    )


@field("LineItem", "discountedUnitPriceAfterAllDiscountsSet")
def _li_unit_after(li: LineItem, info: Info) -> dict[str, Any]:
    d, dp = li.total_discount()
    n = max(1, li.quantity)
    return money_bag(
        _order_of(li, info), (li.price * n - d) / n, (li.presentment_price * n - dp) / n
    )


# ------------------------------------------------------------------ FulfillmentOrder

field("FulfillmentOrder", "id")(lambda fo, _i: gid("FulfillmentOrder", fo.id))
field("FulfillmentOrder", "orderId")(lambda fo, _i: gid("Order", fo.order_id))
field("FulfillmentOrder", "order")(lambda fo, info: _ctx(info).store.orders.get(fo.order_id))
field("FulfillmentOrder", "orderName")(lambda fo, info: _ctx(info).store.orders[fo.order_id].name)
field("FulfillmentOrder", "status")(lambda fo, _i: fo.status)
field("FulfillmentOrder", "requestStatus")(lambda fo, _i: "UNSUBMITTED")
field("FulfillmentOrder", "createdAt")(lambda fo, _i: iso(fo.created_at))
field("FulfillmentOrder", "updatedAt")(lambda fo, _i: iso(fo.updated_at))
field("FulfillmentOrder", "fulfillAt")(lambda fo, _i: iso(fo.created_at))
field("FulfillmentOrder", "supportedActions")(
    lambda fo, _i: (
        [{"action": "CREATE_FULFILLMENT"}, {"action": "MOVE"}]
        if fo.status in ("OPEN", "IN_PROGRESS")
        else []
    )
)


@field("FulfillmentOrder", "assignedLocation")
def _assigned(fo: FulfillmentOrder, info: Info) -> dict[str, Any]:
    loc = _ctx(info).store.location(fo.location_id)
    assert loc is not None
    return {
        "location": loc,
        "name": loc.name,
        "address1": "1 Rue du Dépôt",
        "city": loc.city,
        "countryCode": loc.country_code,
        "zip": "69000",
    }


@field("FulfillmentOrder", "lineItems")
def _fo_lines(fo: FulfillmentOrder, info: Info, **args: Any) -> Conn:
    order = _ctx(info).store.orders[fo.order_id]
    by_id = {li.id: li for li in order.line_items}
    rows = [FOLine(fo, fl, by_id[fl.line_item_id]) for fl in fo.lines]
    return paginate(_ctx(info), info, args, rows, presorted=True)


@field("FulfillmentOrder", "fulfillments")
def _fo_fulfillments(fo: FulfillmentOrder, info: Info, **args: Any) -> Conn:
    order = _ctx(info).store.orders[fo.order_id]
    ids = {fl.line_item_id for fl in fo.lines}
    rows = [
        f
        for f in order.fulfillments
        if f.location_id == fo.location_id and any(lid in ids for _x, lid, _q in f.lines)
    ]
    return paginate(_ctx(info), info, args, rows, presorted=True)


field("FulfillmentOrderLineItem", "id")(lambda r, _i: gid("FulfillmentOrderLineItem", r.line.id))
field("FulfillmentOrderLineItem", "lineItem")(lambda r, _i: r.item)
field("FulfillmentOrderLineItem", "sku")(lambda r, _i: r.item.sku)
field("FulfillmentOrderLineItem", "remainingQuantity")(lambda r, _i: r.line.remaining)
field("FulfillmentOrderLineItem", "totalQuantity")(lambda r, _i: r.line.total)
field("FulfillmentOrderLineItem", "productTitle")(lambda r, _i: r.item.title)
field("FulfillmentOrderLineItem", "variantTitle")(lambda r, _i: r.item.variant_title)
field("FulfillmentOrderLineItem", "requiresShipping")(lambda r, _i: r.item.requires_shipping)
field("FulfillmentOrderLineItem", "variant")(
    lambda r, info: _ctx(info).store.variants.get(r.item.variant_id) if r.item.variant_id else None
)


@field("FulfillmentOrderLineItem", "inventoryItemId")
def _fo_item(r: FOLine, info: Info) -> str | None:
    v = _ctx(info).store.variants.get(r.item.variant_id) if r.item.variant_id else None
    return gid("InventoryItem", v.item_id) if v else None


# ------------------------------------------------------------------ Fulfillment

field("Fulfillment", "id")(lambda f, _i: gid("Fulfillment", f.id))
field("Fulfillment", "legacyResourceId")(lambda f, _i: str(f.id))
field("Fulfillment", "name")(lambda f, _i: f.name)
field("Fulfillment", "status")(lambda f, _i: f.status)
field("Fulfillment", "displayStatus")(
    lambda f, _i: {"delivered": "DELIVERED", "in_transit": "IN_TRANSIT"}.get(
        f.shipment_status or "", "FULFILLED"
    )
)
field("Fulfillment", "location")(lambda f, info: _ctx(info).store.location(f.location_id))
field("Fulfillment", "order")(lambda f, info: _ctx(info).store.orders.get(f.order_id))
field("Fulfillment", "totalQuantity")(lambda f, _i: sum(qty for _a, _b, qty in f.lines))
field("Fulfillment", "requiresShipping")(lambda f, _i: True)
field("Fulfillment", "createdAt")(lambda f, _i: iso(f.created_at))
field("Fulfillment", "updatedAt")(lambda f, _i: iso(f.updated_at))


@field("Fulfillment", "trackingInfo")
def _tracking(f: Fulfillment, _i: Any, first: int | None = None) -> list[dict[str, Any]]:
    rows = [
        {
            "company": f.tracking_company,
            "number": n,
            "url": f.tracking_urls[i] if i < len(f.tracking_urls) else None,
        }
        for i, n in enumerate(f.tracking_numbers)
    ]
    return rows[:first] if first else rows


@field("Fulfillment", "fulfillmentLineItems")
def _f_lines(f: Fulfillment, info: Info, **args: Any) -> Conn:
    order = _ctx(info).store.orders[f.order_id]
    by_id = {li.id: li for li in order.line_items}
    rows = [(order, fid, by_id[lid], qty) for fid, lid, qty in f.lines]
    return paginate(_ctx(info), info, args, rows, key=lambda r: (r[1], r[1]), presorted=True)


field("FulfillmentLineItem", "id")(lambda r, _i: gid("FulfillmentLineItem", r[1]))
field("FulfillmentLineItem", "lineItem")(lambda r, _i: r[2])
field("FulfillmentLineItem", "quantity")(lambda r, _i: r[3])
field("FulfillmentLineItem", "originalTotalSet")(lambda r, _i: money_bag(r[0], r[2].price * r[3]))
field("FulfillmentLineItem", "discountedTotalSet")(
    lambda r, _i: money_bag(
        r[0], r[2].price * r[3] - r[2].total_discount()[0] * r[3] / max(1, r[2].quantity)
    )
)

# ------------------------------------------------------------------ Customer

attrs(
    "Customer",
    {
        "firstName": "first_name",
        "lastName": "last_name",
        "email": "email",
        "phone": "phone",
        "note": "email",
    },
)
field("Customer", "note")(lambda c, _i: None)
field("Customer", "id")(lambda c, _i: gid("Customer", c.id))
field("Customer", "legacyResourceId")(lambda c, _i: str(c.id))
field("Customer", "displayName")(lambda c, _i: f"{c.first_name} {c.last_name}".strip())
field("Customer", "defaultEmailAddress")(lambda c, _i: {"emailAddress": c.email})
field("Customer", "defaultAddress")(lambda c, _i: _address(c.address, c.id + 7))
field("Customer", "numberOfOrders")(lambda c, _i: str(c.orders_count))
field("Customer", "amountSpent")(lambda c, info: money(c.amount_spent, _ctx(info).store.currency))
field("Customer", "tags")(lambda c, _i: list(c.tags))
field("Customer", "state")(lambda c, _i: c.state)
field("Customer", "taxExempt")(lambda c, _i: False)
field("Customer", "verifiedEmail")(lambda c, _i: True)
field("Customer", "locale")(lambda c, _i: "en")
field("Customer", "createdAt")(lambda c, _i: iso(c.created_at))
field("Customer", "updatedAt")(lambda c, _i: iso(c.updated_at))

_ = DiscountApplication
