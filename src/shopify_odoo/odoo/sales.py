"""Sale orders in batches, done pickings since a cursor, and picking validation over RPC."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from shopify_odoo.odoo.capabilities import Capabilities
from shopify_odoo.odoo.client import OdooClient
from shopify_odoo.odoo.errors import OdooUserError
from shopify_odoo.odoo.records import m2o_id, text

ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"


def to_odoo_datetime(value: datetime) -> str:
    """UTC ``YYYY-MM-DD HH:MM:SS`` as Odoo stores and compares datetimes (§1.2)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime(ODOO_DATETIME)


def from_odoo_datetime(value: str) -> datetime:
    return datetime.strptime(value, ODOO_DATETIME).replace(tzinfo=UTC)


# -- sale orders ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SaleLineDraft:
    product_id: int
    quantity: Decimal
    price_unit: Decimal
    name: str | None = None
    discount: Decimal = Decimal(0)
    #: None: Odoo's default taxes of the product; (): no tax
    tax_ids: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class SaleOrderDraft:
    partner_id: int
    client_order_ref: str
    lines: tuple[SaleLineDraft, ...]
    partner_invoice_id: int | None = None
    partner_shipping_id: int | None = None
    pricelist_id: int | None = None
    team_id: int | None = None
    warehouse_id: int | None = None
    company_id: int | None = None
    origin: str | None = None
    date_order: datetime | None = None
    #: further sale.order fields, written as given
    extra: Mapping[str, Any] = field(default_factory=dict)


def sale_line_vals(line: SaleLineDraft, caps: Capabilities) -> dict[str, Any]:
    """One ``order_line`` create command's values with the version's field names (§4.2)."""
    vals: dict[str, Any] = {
        "product_id": line.product_id,
        "product_uom_qty": float(line.quantity),
        "price_unit": float(line.price_unit),
    }
    if line.name:
        vals["name"] = line.name
    if line.discount:
        vals["discount"] = float(line.discount)
    if line.tax_ids is not None:
        vals[caps.sale_line_tax_field] = [(6, 0, list(line.tax_ids))]  # SET (§2.3)
    return vals


def sale_order_vals(draft: SaleOrderDraft, caps: Capabilities) -> dict[str, Any]:
    vals: dict[str, Any] = {
        "partner_id": draft.partner_id,
        "client_order_ref": draft.client_order_ref,
        "order_line": [(0, 0, sale_line_vals(line, caps)) for line in draft.lines],
    }
    optional = {
        "partner_invoice_id": draft.partner_invoice_id,
        "partner_shipping_id": draft.partner_shipping_id,
        "pricelist_id": draft.pricelist_id,
        "team_id": draft.team_id,
        "warehouse_id": draft.warehouse_id,
        "company_id": draft.company_id,
        "origin": draft.origin,
        "date_order": to_odoo_datetime(draft.date_order) if draft.date_order else None,
    }
    vals.update({key: value for key, value in optional.items() if value is not None})
    vals.update(draft.extra)
    return vals


async def create_sale_orders(
    client: OdooClient, drafts: Sequence[SaleOrderDraft], *, chunk_size: int = 100
) -> list[int]:
    """Create the orders with one ``create`` call per chunk (one transaction each)."""
    caps = await client.connect()
    return await client.create(
        "sale.order", [sale_order_vals(d, caps) for d in drafts], chunk_size=chunk_size
    )


async def confirm_sale_orders(client: OdooClient, order_ids: Sequence[int]) -> None:
    """``action_confirm`` on all ids in one call (§4.1; a UserError names the bad order)."""
    if order_ids:
        await client.call("sale.order", "action_confirm", ids=list(order_ids), readonly=False)


@dataclass(frozen=True, slots=True)
class SaleOrderRef:
    id: int
    name: str
    client_order_ref: str
    state: str
    locked: bool


async def find_sale_orders_by_ref(
    client: OdooClient, refs: Sequence[str], *, chunk_size: int = 500
) -> dict[str, list[SaleOrderRef]]:
    """Search-before-create on ``client_order_ref`` (DESIGN §2 "Orders"), archived included.

    Returns every order per reference so a duplicate is visible, never hidden.
    """
    caps = await client.connect()
    fields = ["id", "name", "client_order_ref", "state"]
    if caps.sale_order_locked_field:
        fields.append("locked")
    out: dict[str, list[SaleOrderRef]] = {}
    unique = list(dict.fromkeys(refs))
    for start in range(0, len(unique), chunk_size):
        rows = await client.search_read(
            "sale.order",
            [("client_order_ref", "in", unique[start : start + chunk_size])],
            fields,
            order="id",
            context={"active_test": False},
        )
        for row in rows:
            state = str(row.get("state") or "")
            ref = SaleOrderRef(
                id=int(row["id"]),
                name=str(row.get("name") or ""),
                client_order_ref=str(row.get("client_order_ref") or ""),
                state=state,
                # §4.1: 16.0 locks with state 'done', 16.4+ with the ``locked`` boolean
                locked=bool(row.get("locked")) if caps.sale_order_locked_field else state == "done",
            )
            out.setdefault(ref.client_order_ref, []).append(ref)
    return out


# -- pickings ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DonePicking:
    id: int
    name: str
    origin: str | None
    picking_type_code: str
    write_date: datetime
    date_done: datetime | None
    partner_id: int | None
    sale_id: int | None
    carrier_id: int | None
    carrier_tracking_ref: str | None


@dataclass(frozen=True, slots=True)
class PickingPage:
    pickings: tuple[DonePicking, ...]
    #: the next ``since``: the greatest write_date seen (or the one given when nothing came)
    cursor: datetime


async def pickings_done_since(
    client: OdooClient,
    since: datetime,
    *,
    overlap: timedelta = timedelta(minutes=5),
    picking_type_code: str | None = "outgoing",
    page_size: int = 500,
) -> PickingPage:
    """Pickings done with ``write_date >= since − overlap``, oldest first.

    ``write_date`` is the *start* of the writing transaction (§3.6), so a picking committed
    late can carry a date before rows already seen: the overlap re-reads that window and the
    caller dedupes by ``(id, write_date)``.  Pages by ``(write_date, id)`` keyset, no offsets.
    Carrier fields are read when the ``delivery``/``stock_delivery`` module is installed
    (§3.7), ``sale_id`` when ``sale_stock`` is.
    """
    fields = ["id", "name", "origin", "picking_type_code", "write_date", "date_done", "partner_id"]
    for optional in ("sale_id", "carrier_id", "carrier_tracking_ref"):
        if await client.has_field("stock.picking", optional):
            fields.append(optional)
    base: list[Any] = [("state", "=", "done")]
    if picking_type_code:
        base.append(("picking_type_code", "=", picking_type_code))
    start = to_odoo_datetime(since - overlap)
    keyset: list[Any] = [("write_date", ">=", start)]
    found: list[DonePicking] = []
    while True:
        rows = await client.search_read(
            "stock.picking",
            [*base, *keyset],
            fields,
            limit=page_size,
            order="write_date asc, id asc",
        )
        for row in rows:
            found.append(
                DonePicking(
                    id=int(row["id"]),
                    name=str(row.get("name") or ""),
                    origin=text(row.get("origin")),
                    picking_type_code=str(row.get("picking_type_code") or ""),
                    write_date=from_odoo_datetime(str(row["write_date"])),
                    date_done=from_odoo_datetime(str(row["date_done"]))
                    if row.get("date_done")
                    else None,
                    partner_id=m2o_id(row.get("partner_id")),
                    sale_id=m2o_id(row.get("sale_id")),
                    carrier_id=m2o_id(row.get("carrier_id")),
                    carrier_tracking_ref=text(row.get("carrier_tracking_ref")),
                )
            )
        if len(rows) < page_size:
            break
        last_date, last_id = str(rows[-1]["write_date"]), int(rows[-1]["id"])
        keyset = [
            "|",
            ("write_date", ">", last_date),
            "&",
            ("write_date", "=", last_date),
            ("id", ">", last_id),
        ]
    cursor = max((p.write_date for p in found), default=since)
    return PickingPage(tuple(found), max(cursor, since))


#: wizards ``button_validate`` may return that we can complete over RPC (§3.7, correction 12)
_WIZARD_METHODS = {
    "stock.immediate.transfer": ("process", "process"),
    "stock.backorder.confirmation": ("process", "process_cancel_backorder"),
}


async def validate_pickings(
    client: OdooClient, picking_ids: Sequence[int], *, backorder: bool, max_wizards: int = 3
) -> None:
    """``button_validate`` with the version's skip context (§3.7 recipe); a wizard that still
    comes back is completed as the button would (correction 12: create it with the returned
    action's ``context`` and call ``process`` / ``process_cancel_backorder`` with it too).

    Quantities must be set on the moves first (``quantity``+``picked`` on 17+, ``qty_done`` on
    16).  An unexpected wizard (SMS, quality, expiry) raises a terminal error naming it.
    """
    caps = await client.connect()
    ids = list(picking_ids)
    context = caps.button_validate_context(ids, backorder=backorder)
    result = await client.call(
        "stock.picking", "button_validate", ids=ids, context=context, readonly=False
    )
    for _ in range(max_wizards):
        if not (isinstance(result, Mapping) and result.get("type") == "ir.actions.act_window"):
            return  # True, None or a report/client action: done (§3.7 "always check")
        model = str(result.get("res_model") or "")
        methods = _WIZARD_METHODS.get(model)
        if methods is None:
            error = OdooUserError(
                f"Odoo {client.label}: validating pickings {ids} stopped at the wizard "
                f"{model!r} ({result.get('name') or 'no title'})",
                cause="odoo_unexpected_wizard",
                hint="validate the picking in Odoo once to see what it asks (for example an "
                "SMS confirmation or a quality check), then retry",
            )
            error.odoo = client.label
            raise error
        wizard_context = dict(result.get("context") or {})
        wizard_ids = await client.create(model, [{}], context=wizard_context)
        method = methods[0] if backorder else methods[1]
        result = await client.call(
            model, method, ids=wizard_ids, context=wizard_context, readonly=False
        )
    raise OdooUserError(
        f"Odoo {client.label}: validating pickings {ids} kept returning wizards",
        cause="odoo_unexpected_wizard",
        hint="validate the pickings in Odoo by hand, then retry",
    )
