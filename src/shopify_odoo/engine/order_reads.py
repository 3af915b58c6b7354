"""Reads for the orders flow: one Shopify order as it is now, and the Odoo side in batches.

* :func:`fetch_order` runs ``graphql/order_import.graphql`` (current totals, discount
  applications with indexes, tips, gateways, fulfillment orders, fulfillments; fact sheet §e.1,
  §e.2) and converts it to the planner's :class:`~shopify_odoo.sync.order_model.ShopifyOrder`.
* :class:`OdooReference` caches what rarely changes (taxes with their effective
  ``price_include``, currencies with a pricelist, countries, states), re-read every ``ttl`` s.
* :func:`read_odoo_states` reads, for many orders at once, the sale orders by
  ``client_order_ref``, their lines, and the partners by email (phone only without email):
  a handful of calls per batch, whatever its size.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.odoo import OdooClient
from shopify_odoo.odoo.records import m2o_id, text
from shopify_odoo.odoo.sales import find_sale_orders_by_ref
from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.shopify.limiter import Priority
from shopify_odoo.shopify.orders import parse_datetime
from shopify_odoo.store.tables import order_links, product_links
from shopify_odoo.sync.customers import lookup_keys, normalize_phone
from shopify_odoo.sync.fulfillment import FulfilledLine, ShopifyFulfillment
from shopify_odoo.sync.order_model import (
    Address,
    CurrencyInfo,
    Customer,
    DiscountAllocation,
    DiscountApplication,
    ExistingLine,
    ExistingSaleOrder,
    FulfillmentOrder,
    FulfillmentOrderLine,
    LineItem,
    MoneyBag,
    OdooAddress,
    OdooOrderState,
    OdooPartner,
    OdooTax,
    ShippingLine,
    ShopifyOrder,
    TaxLine,
    VariantLink,
)

LINES_PER_PAGE = 100
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class FetchedOrder:
    """The planner's snapshot plus what the fulfillment sync and the ledger need."""

    order: ShopifyOrder
    updated_at: Any
    fulfillments: tuple[ShopifyFulfillment, ...]


# -- Shopify -------------------------------------------------------------------------------


def _money(raw: Mapping[str, Any] | None) -> MoneyBag:
    raw = raw or {}
    shop = Decimal(str((raw.get("shopMoney") or {}).get("amount", "0")))
    pres = (raw.get("presentmentMoney") or {}).get("amount")
    return MoneyBag(shop, Decimal(str(pres)) if pres is not None else shop)


def _taxes(raw: Mapping[str, Any]) -> tuple[TaxLine, ...]:
    return tuple(
        TaxLine(
            title=str(t.get("title") or ""),
            rate=Decimal(str(t.get("rate") or "0")),
            price=_money(t.get("priceSet")),
            channel_liable=bool(t.get("channelLiable")),
        )
        for t in raw.get("taxLines") or []
    )


def _allocations(raw: Mapping[str, Any]) -> tuple[DiscountAllocation, ...]:
    return tuple(
        DiscountAllocation(
            amount=_money(a.get("allocatedAmountSet")),
            application_index=int((a.get("discountApplication") or {}).get("index") or 0),
        )
        for a in raw.get("discountAllocations") or []
    )


def _address(raw: Any) -> Address | None:
    if not isinstance(raw, Mapping):
        return None
    return Address(
        first_name=raw.get("firstName"),
        last_name=raw.get("lastName"),
        company=raw.get("company"),
        address1=raw.get("address1"),
        address2=raw.get("address2"),
        city=raw.get("city"),
        zip=raw.get("zip"),
        province_code=raw.get("provinceCode"),
        country_code=raw.get("countryCodeV2"),
        phone=raw.get("phone"),
    )


def _application(raw: Mapping[str, Any]) -> DiscountApplication:
    value = raw.get("value") or {}
    percent = value.get("__typename") == "PricingPercentageValue"
    amount = value.get("percentage") if percent else value.get("amount")
    code = raw.get("code")
    return DiscountApplication(
        index=int(raw.get("index") or 0),
        kind="discount_code" if code else "automatic",
        title=str(code or raw.get("title") or ""),
        value_type="percentage" if percent else "fixed_amount",
        value=Decimal(str(amount or "0")),
        target_type="shipping_line" if raw.get("targetType") == "SHIPPING_LINE" else "line_item",
    )


def _line(raw: Mapping[str, Any]) -> LineItem:
    variant = raw.get("variant")
    return LineItem(
        id=str(raw["id"]),
        title=str(raw.get("name") or ""),
        variant_id=str(variant["id"]) if isinstance(variant, Mapping) else None,
        sku=raw.get("sku") or None,
        quantity=int(raw.get("quantity") or 0),
        current_quantity=int(raw.get("currentQuantity") or 0),
        unit_price=_money(raw.get("originalUnitPriceSet")),
        discount_allocations=_allocations(raw),
        tax_lines=_taxes(raw),
        requires_shipping=bool(raw.get("requiresShipping")),
        kind="gift_card" if raw.get("isGiftCard") else "product",
    )


def _fulfillment_order(raw: Mapping[str, Any]) -> FulfillmentOrder:
    assigned = raw.get("assignedLocation") or {}
    location = assigned.get("location") or {}
    return FulfillmentOrder(
        id=str(raw["id"]),
        assigned_location_id=str(location.get("id") or ""),
        status=raw.get("status") or "OPEN",
        lines=tuple(
            FulfillmentOrderLine(
                id=str(n["id"]),
                line_item_id=str((n.get("lineItem") or {}).get("id") or ""),
                total_quantity=int(n.get("totalQuantity") or 0),
                remaining_quantity=int(n.get("remainingQuantity") or 0),
            )
            for n in (raw.get("lineItems") or {}).get("nodes") or []
        ),
        location_name=str(assigned.get("name") or ""),
    )


def _fulfillment(raw: Mapping[str, Any]) -> ShopifyFulfillment:
    return ShopifyFulfillment(
        id=str(raw["id"]),
        location_id=str((raw.get("location") or {}).get("id") or ""),
        status=raw.get("status") or "SUCCESS",
        lines=tuple(
            FulfilledLine(str((n.get("lineItem") or {}).get("id")), int(n.get("quantity") or 0))
            for n in (raw.get("fulfillmentLineItems") or {}).get("nodes") or []
        ),
        tracking_numbers=tuple(
            str(t["number"]) for t in raw.get("trackingInfo") or [] if t.get("number")
        ),
    )


def to_snapshot(store: str, raw: Mapping[str, Any], lines: Sequence[LineItem]) -> FetchedOrder:
    """The ``order`` object of ``order_import.graphql`` → the planner's snapshot.

    A tip (``totalTipReceivedSet``, §e.1) becomes a line of kind ``tip`` keyed by the order, so
    that it is an explicit sale order line (DESIGN.md §2 "Orders")."""
    items = list(lines)
    tip = _money(raw.get("totalTipReceivedSet"))
    if tip.presentment != 0:
        items.append(
            LineItem(
                id=f"{raw['id']}/tip",
                title="Tip",
                variant_id=None,
                sku=None,
                quantity=1,
                current_quantity=1,
                unit_price=tip,
                requires_shipping=False,
                kind="tip",
            )
        )
    customer = raw.get("customer")
    status = str(raw.get("displayFinancialStatus") or "PENDING").lower()
    order = ShopifyOrder(
        id=str(raw["id"]),
        name=str(raw["name"]),
        store=store,
        shop_currency=str(raw.get("currencyCode") or ""),
        presentment_currency=str(raw.get("presentmentCurrencyCode") or raw.get("currencyCode")),
        taxes_included=bool(raw.get("taxesIncluded")),
        financial_status=status,  # type: ignore[arg-type]
        processed_at=parse_datetime(str(raw["processedAt"])),
        line_items=tuple(items),
        total_price=_money(raw.get("currentTotalPriceSet")),
        shipping_lines=tuple(
            ShippingLine(
                id=str(s["id"]),
                title=str(s.get("title") or ""),
                price=_money(s.get("originalPriceSet")),
                discount_allocations=_allocations(s),
                tax_lines=_taxes(s),
                code=s.get("code"),
                is_removed=bool(s.get("isRemoved")),
            )
            for s in (raw.get("shippingLines") or {}).get("nodes") or []
        ),
        discount_applications=tuple(
            _application(d) for d in (raw.get("discountApplications") or {}).get("nodes") or []
        ),
        customer=Customer(
            id=str(customer["id"]),
            email=(customer.get("defaultEmailAddress") or {}).get("emailAddress"),
            phone=customer.get("phone"),
            first_name=customer.get("firstName"),
            last_name=customer.get("lastName"),
        )
        if isinstance(customer, Mapping)
        else None,
        email=raw.get("email"),
        phone=raw.get("phone"),
        billing_address=_address(raw.get("billingAddress")),
        shipping_address=_address(raw.get("shippingAddress")),
        cancelled_at=parse_datetime(raw["cancelledAt"]) if raw.get("cancelledAt") else None,
        fulfillment_orders=tuple(
            _fulfillment_order(f) for f in (raw.get("fulfillmentOrders") or {}).get("nodes") or []
        ),
        payment_gateway_names=tuple(str(g) for g in raw.get("paymentGatewayNames") or []),
    )
    return FetchedOrder(
        order=order,
        updated_at=parse_datetime(str(raw["updatedAt"])),
        fulfillments=tuple(_fulfillment(f) for f in raw.get("fulfillments") or []),
    )


async def fetch_order(
    shop: ShopifyClient, store: str, order_gid: str, *, priority: Priority = Priority.REALTIME
) -> FetchedOrder | None:
    """The order as Shopify has it now (all its lines); None when Shopify does not know it."""
    lines: list[LineItem] = []
    after: str | None = None
    first: Mapping[str, Any] | None = None
    while True:
        data = await shop.execute(
            "order_import",
            {"id": order_gid, "lines": LINES_PER_PAGE, "after": after},
            priority=priority,
        )
        raw = data.get("order")
        if not isinstance(raw, Mapping):
            return None
        first = first or raw
        connection = raw.get("lineItems") or {}
        lines.extend(_line(n) for n in connection.get("nodes") or [])
        info = connection.get("pageInfo") or {}
        if not info.get("hasNextPage") or not info.get("endCursor"):
            break
        after = str(info["endCursor"])
    return to_snapshot(store, first, lines)


# -- state database ---------------------------------------------------------------------------


async def read_links(
    conn: AsyncConnection, store: str, orders: Sequence[ShopifyOrder]
) -> tuple[VariantLink, ...]:
    """The product links of the variants and SKUs these orders sell."""
    variants = sorted({i.variant_id for o in orders for i in o.line_items if i.variant_id})
    skus = sorted({i.sku.strip() for o in orders for i in o.line_items if i.sku})
    t = product_links.c
    out: dict[tuple[str | None, str | None, int], VariantLink] = {}
    matches = [c.in_(v) for c, v in ((t.variant_gid, variants), (t.sku, skus)) if v]
    if not matches:
        return ()
    rows = await conn.execute(
        select(t.variant_gid, t.sku, t.odoo_product_id).where(t.store == store, or_(*matches))
    )
    for variant, sku, pid in rows:
        out[(variant, sku, int(pid))] = VariantLink(variant, sku, int(pid))
    return tuple(out.values())


async def read_line_keys(
    conn: AsyncConnection, store: str, order_gids: Sequence[str]
) -> dict[str, dict[int, str]]:
    """order GID → {sale.order.line id: our line key} recorded when the lines were written."""
    if not order_gids:
        return {}
    t = order_links.c
    rows = await conn.execute(
        select(t.shopify_order_gid, t.line_keys).where(
            t.store == store, t.shopify_order_gid.in_(list(order_gids))
        )
    )
    return {gid: {int(k): str(v) for k, v in (keys or {}).items()} for gid, keys in rows}


# -- Odoo reference data ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reference:
    taxes: tuple[OdooTax, ...]
    currencies: tuple[CurrencyInfo, ...]
    countries: Mapping[str, int]
    states: Mapping[tuple[str, str], int]


def _places(rounding: Any) -> int:
    value = Decimal(str(rounding or "0.01")).normalize()
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 2


class OdooReference:
    """Taxes, currencies, countries and states, read at most every ``ttl`` seconds."""

    def __init__(self, odoo: OdooClient, company_id: int | None = None, ttl: float = 300.0):
        self.odoo = odoo
        self.company_id = company_id
        self.ttl = ttl
        self._value: Reference | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._value = None

    async def get(self) -> Reference:
        async with self._lock:
            if self._value is None or time.monotonic() - self._read_at > self.ttl:
                self._value = await self._read()
                self._read_at = time.monotonic()
            return self._value

    async def _read(self) -> Reference:
        odoo = self.odoo
        caps = await odoo.connect()
        tax_fields = ["id", "name", "amount", "amount_type", "company_id"]
        tax_fields.append(caps.tax_price_include_field)
        currency_fields = ["id", "name"]
        if await odoo.has_field("res.currency", "rounding"):
            currency_fields.append("rounding")
        taxes_raw, currencies, pricelists, countries, states = await asyncio.gather(
            odoo.search_read("account.tax", [("type_tax_use", "in", ["sale", "none"])], tax_fields),
            odoo.search_read("res.currency", [], currency_fields),
            odoo.search_read("product.pricelist", [], ["id", "currency_id", "company_id"]),
            odoo.search_read("res.country", [], ["id", "code"]),
            odoo.search_read("res.country.state", [], ["id", "code", "country_id"]),
        )
        company_included: dict[int, bool] = {}
        if caps.tax_price_include_field == "price_include_override":
            # §4.2: 18+ resolves the override against the company's default
            for row in await odoo.search_read("res.company", [], ["id", "account_price_include"]):
                company_included[int(row["id"])] = row.get("account_price_include") == (
                    "tax_included"
                )
        taxes = []
        for row in taxes_raw:
            if row.get("amount_type") != "percent":
                continue
            if caps.tax_price_include_field == "price_include":
                included = bool(row.get("price_include"))
            else:
                override = row.get("price_include_override")
                company = m2o_id(row.get("company_id")) or 0
                included = (
                    override == "tax_included" if override else company_included.get(company, False)
                )
            taxes.append(
                OdooTax(
                    int(row["id"]),
                    str(row.get("name") or ""),
                    Decimal(str(row.get("amount") or 0)),
                    included,
                )
            )
        pricelist_of: dict[int, int] = {}
        for row in sorted(
            pricelists,
            key=lambda r: (m2o_id(r.get("company_id")) not in (None, self.company_id), r["id"]),
        ):
            currency = m2o_id(row.get("currency_id"))
            if currency is not None:
                pricelist_of.setdefault(currency, int(row["id"]))
        infos = tuple(
            CurrencyInfo(
                str(c["name"]), int(c["id"]), pricelist_of[int(c["id"])], _places(c.get("rounding"))
            )
            for c in currencies
            if int(c["id"]) in pricelist_of
        )
        country_code = {int(c["id"]): str(c.get("code") or "").upper() for c in countries}
        return Reference(
            taxes=tuple(taxes),
            currencies=infos,
            countries={code: cid for cid, code in country_code.items() if code},
            states={
                (
                    country_code.get(m2o_id(s.get("country_id")) or 0, ""),
                    str(s.get("code") or "").upper(),
                ): int(s["id"])
                for s in states
            },
        )


# -- Odoo per batch ---------------------------------------------------------------------------

PARTNER_FIELDS = (
    "id", "name", "email", "phone", "parent_id", "type", "street", "street2", "city", "zip",
    "state_id", "country_id",
)  # fmt: skip


def _odoo_address(row: Mapping[str, Any]) -> OdooAddress:
    kinds: dict[str, Literal["contact", "invoice", "delivery", "other"]] = {
        "contact": "contact", "invoice": "invoice", "delivery": "delivery"
    }  # fmt: skip
    return OdooAddress(
        id=int(row["id"]),
        type=kinds.get(str(row.get("type") or "contact"), "other"),
        name=str(row.get("name") or ""),
        street=text(row.get("street")),
        street2=text(row.get("street2")),
        city=text(row.get("city")),
        zip=text(row.get("zip")),
        state_id=m2o_id(row.get("state_id")),
        country_id=m2o_id(row.get("country_id")),
        phone=text(row.get("phone")),
        email=text(row.get("email")),
    )


async def read_partners(
    odoo: OdooClient, orders: Sequence[ShopifyOrder]
) -> tuple[OdooPartner, ...]:
    """Commercial partners matching the orders' emails (phones for email-less orders), with
    their child contacts: two calls for a whole batch (one more when phones are searched)."""
    emails: set[str] = set()
    phones: set[str] = set()
    for order in orders:
        email, phone = lookup_keys(order)
        if email:
            emails.add(email)
        elif phone:
            phones.add(phone)
    ctx = {"active_test": False}
    rows: list[dict[str, Any]] = []
    if emails:
        rows += await odoo.search_read(
            "res.partner",
            [("email_normalized", "in", sorted(emails)), ("parent_id", "=", False)],
            list(PARTNER_FIELDS),
            context=ctx,
        )
    if phones:
        domain: list[Any] = ["|"] * (len(phones) - 1)
        domain += [("phone", "ilike", p[-6:]) for p in sorted(phones)]
        found = await odoo.search_read(
            "res.partner", [*domain, ("parent_id", "=", False)], list(PARTNER_FIELDS), context=ctx
        )
        rows += [r for r in found if normalize_phone(text(r.get("phone"))) in phones]
    parents = {int(r["id"]): r for r in rows}
    children: dict[int, list[OdooAddress]] = {}
    if parents:
        for row in await odoo.search_read(
            "res.partner", [("parent_id", "in", sorted(parents))], list(PARTNER_FIELDS), context=ctx
        ):
            parent = m2o_id(row.get("parent_id"))
            if parent is not None:
                children.setdefault(parent, []).append(_odoo_address(row))
    return tuple(
        OdooPartner(
            id=pid,
            name=str(row.get("name") or ""),
            email=text(row.get("email")),
            phone=text(row.get("phone")),
            own_address=replace(_odoo_address(row), type="contact"),
            children=tuple(children.get(pid, ())),
        )
        for pid, row in sorted(parents.items())
    )


async def read_sale_orders(
    odoo: OdooClient, refs: Sequence[str], line_keys: Mapping[str, Mapping[int, str]]
) -> dict[str, ExistingSaleOrder]:
    """client_order_ref → the sale order holding it (the oldest when a person duplicated it),
    with its lines; ``line_keys`` is keyed by client_order_ref."""
    found = await find_sale_orders_by_ref(odoo, refs)
    chosen = {ref: min(sos, key=lambda s: s.id) for ref, sos in found.items() if sos}
    if not chosen:
        return {}
    caps = odoo.capabilities
    tax_field = caps.sale_line_tax_field
    rows = await odoo.search_read(
        "sale.order.line",
        [("order_id", "in", sorted(s.id for s in chosen.values()))],
        ["id", "order_id", "product_id", "name", "product_uom_qty", "price_unit", "discount",
         "qty_delivered", tax_field, "display_type"],
    )  # fmt: skip
    lines: dict[int, list[ExistingLine]] = {}
    ref_of = {s.id: ref for ref, s in chosen.items()}
    for row in rows:
        if row.get("display_type"):
            continue
        so = m2o_id(row.get("order_id")) or 0
        keys = line_keys.get(ref_of.get(so, ""), {})
        lines.setdefault(so, []).append(
            ExistingLine(
                id=int(row["id"]),
                product_id=m2o_id(row.get("product_id")) or 0,
                name=str(row.get("name") or ""),
                quantity=Decimal(str(row.get("product_uom_qty") or 0)),
                price_unit=Decimal(str(row.get("price_unit") or 0)),
                tax_ids=frozenset(int(t) for t in row.get(tax_field) or []),
                discount=Decimal(str(row.get("discount") or 0)),
                qty_delivered=Decimal(str(row.get("qty_delivered") or 0)),
                key=keys.get(int(row["id"])),
            )
        )
    return {
        ref: ExistingSaleOrder(
            id=s.id,
            name=s.name,
            state=s.state if s.state in ("draft", "sent", "sale", "done", "cancel") else "sale",  # type: ignore[arg-type]
            client_order_ref=ref,
            lines=tuple(sorted(lines.get(s.id, []), key=lambda x: x.id)),
            locked=s.locked,
        )
        for ref, s in chosen.items()
    }


def state_for(
    ref: Reference,
    links: tuple[VariantLink, ...],
    partners: tuple[OdooPartner, ...],
    existing: ExistingSaleOrder | None,
) -> OdooOrderState:
    return OdooOrderState(
        links=links,
        taxes=ref.taxes,
        currencies=ref.currencies,
        countries=ref.countries,
        states=ref.states,
        partners=partners,
        existing=existing,
    )
