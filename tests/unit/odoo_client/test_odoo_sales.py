"""Sale order vals per version, search-before-create, done pickings, picking validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shopify_odoo.odoo import OdooClient, capabilities_for, parse_version
from shopify_odoo.odoo.errors import OdooUserError
from shopify_odoo.odoo.sales import (
    SaleLineDraft,
    SaleOrderDraft,
    find_sale_orders_by_ref,
    pickings_done_since,
    sale_order_vals,
    validate_pickings,
)

from .fake import FakeOdoo


def odoo(fake: FakeOdoo) -> OdooClient:
    return OdooClient(
        "https://a.example.com",
        fake.db,
        fake.login,
        api_key="s3cret-key",
        transport=fake.transport(),
    )


@pytest.mark.parametrize(("version", "tax_field"), [("18.0", "tax_id"), ("19.0", "tax_ids")])
def test_sale_order_vals_use_the_versions_tax_field_section_4_2(
    version: str, tax_field: str
) -> None:
    caps = capabilities_for(parse_version(version))
    draft = SaleOrderDraft(
        partner_id=7,
        client_order_ref="eu#1001",
        lines=(
            SaleLineDraft(3, Decimal(2), Decimal("19.90"), tax_ids=(4,)),
            SaleLineDraft(5, Decimal(1), Decimal("5.00"), discount=Decimal("10")),
        ),
        team_id=2,
        date_order=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert sale_order_vals(draft, caps) == {
        "partner_id": 7,
        "client_order_ref": "eu#1001",
        "order_line": [
            (
                0,
                0,
                {
                    "product_id": 3,
                    "product_uom_qty": 2.0,
                    "price_unit": 19.9,
                    tax_field: [(6, 0, [4])],
                },
            ),
            (0, 0, {"product_id": 5, "product_uom_qty": 1.0, "price_unit": 5.0, "discount": 10.0}),
        ],
        "team_id": 2,
        "date_order": "2026-01-02 03:04:05",
    }


@pytest.mark.parametrize(
    ("version", "row", "locked"),
    [
        ("16.0", {"state": "done"}, True),  # §4.1: 16.0 locks with state done
        ("16.0", {"state": "sale"}, False),
        ("17.0", {"state": "sale", "locked": True}, True),  # 16.4+: locked boolean
        ("17.0", {"state": "sale", "locked": False}, False),
    ],
)
async def test_find_orders_by_ref_reports_locking_per_version(
    version: str, row: dict[str, Any], locked: bool
) -> None:
    fake = FakeOdoo(version)
    fake.on("sale.order", "search_read")(
        lambda ids, kw, ctx: [
            {"id": 9, "name": "S00009", "client_order_ref": "eu#1", **row},
            {"id": 12, "name": "S00012", "client_order_ref": "eu#1", **row},
        ]
    )
    async with odoo(fake) as client:
        found = await find_sale_orders_by_ref(client, ["eu#1", "eu#1", "eu#2"])
    assert [o.id for o in found["eu#1"]] == [9, 12]  # a duplicate is shown, not hidden
    assert found["eu#1"][0].locked is locked
    kwargs = fake.calls[-1][3]
    assert kwargs["domain"] == [["client_order_ref", "in", ["eu#1", "eu#2"]]]
    assert ("locked" in kwargs["fields"]) is (version != "16.0")


async def test_pickings_done_since_overlaps_and_pages_by_keyset() -> None:
    """§3.6: write_date is the transaction start → re-read an overlap window."""
    fake = FakeOdoo("17.0")
    base = datetime(2026, 3, 1, 12, 0, 0)
    pickings = [
        {
            "id": i,
            "name": f"WH/OUT/{i}",
            "origin": f"S{i}",
            "picking_type_code": "outgoing",
            "write_date": (base + timedelta(seconds=i // 2)).strftime("%Y-%m-%d %H:%M:%S"),
            "date_done": False,
            "partner_id": [3, "Jane"],
            "carrier_tracking_ref": "TRK" if i else False,
        }
        for i in range(5)
    ]
    fake.on("stock.picking", "fields_get")(
        lambda ids, kw, ctx: {
            "carrier_tracking_ref": {"type": "char"},
            "carrier_id": {"type": "many2one"},
        }
    )

    def search_read(ids: Any, kw: dict[str, Any], ctx: Any) -> list[dict[str, Any]]:
        domain = kw["domain"]
        rows = pickings
        if domain[2] == "|":  # keyset continuation: (wd > d) or (wd = d and id > i)
            _, (_, _, d1), _, (_, _, d2), (_, _, last) = domain[2:]
            rows = [
                p
                for p in rows
                if p["write_date"] > d1 or (p["write_date"] == d2 and p["id"] > last)
            ]
        else:
            start = domain[2][2]
            rows = [p for p in rows if p["write_date"] >= start]
        assert kw["order"] == "write_date asc, id asc"
        return rows[: kw["limit"]]

    fake.on("stock.picking", "search_read")(search_read)
    since = base.replace(tzinfo=UTC) + timedelta(seconds=1)
    async with odoo(fake) as client:
        page = await pickings_done_since(client, since, overlap=timedelta(seconds=2), page_size=2)
    assert [p.id for p in page.pickings] == [0, 1, 2, 3, 4]
    assert page.cursor == base.replace(tzinfo=UTC) + timedelta(seconds=2)
    first = next(c for c in fake.calls if c[1] == "search_read")[3]["domain"]
    assert first[:2] == [["state", "=", "done"], ["picking_type_code", "=", "outgoing"]]
    assert first[2] == ["write_date", ">=", "2026-03-01 11:59:59"]  # since - overlap
    assert page.pickings[1].carrier_tracking_ref == "TRK"
    assert page.pickings[0].carrier_tracking_ref is None
    assert "sale_id" not in next(c for c in fake.calls if c[1] == "search_read")[3]["fields"]


async def test_validate_answers_immediate_then_backorder_wizards_on_16() -> None:
    """Correction 12: create each wizard with the action's context, call process with it."""
    fake = FakeOdoo("16.0")
    wizard_ctx = {
        "button_validate_picking_ids": [5],
        "default_pick_ids": [[4, 5]],
        "default_show_transfers": False,
    }
    fake.on("stock.picking", "button_validate")(
        lambda ids, kw, ctx: {
            "type": "ir.actions.act_window",
            "res_model": "stock.immediate.transfer",
            "context": wizard_ctx,
        }
    )
    fake.on("stock.immediate.transfer", "create")(lambda ids, kw, ctx: [31])
    fake.on("stock.immediate.transfer", "process")(
        lambda ids, kw, ctx: {
            "type": "ir.actions.act_window",
            "res_model": "stock.backorder.confirmation",
            "context": wizard_ctx,
        }
    )
    fake.on("stock.backorder.confirmation", "create")(lambda ids, kw, ctx: [32])
    fake.on("stock.backorder.confirmation", "process_cancel_backorder")(lambda ids, kw, ctx: True)
    async with odoo(fake) as client:
        await validate_pickings(client, [5], backorder=False)
    steps = [(c[0], c[1], c[2]) for c in fake.calls]
    assert steps == [
        ("stock.picking", "button_validate", [5]),
        ("stock.immediate.transfer", "create", None),
        ("stock.immediate.transfer", "process", [31]),
        ("stock.backorder.confirmation", "create", None),
        ("stock.backorder.confirmation", "process_cancel_backorder", [32]),
    ]
    validate_ctx = fake.calls[0][4]
    assert validate_ctx["picking_ids_not_to_backorder"] == [5]
    assert "skip_immediate" not in validate_ctx
    for call in fake.calls[1:]:
        assert call[4]["button_validate_picking_ids"] == [5]  # on create AND on the method


async def test_unexpected_wizard_is_a_terminal_error_naming_it() -> None:
    fake = FakeOdoo("17.0")
    fake.on("stock.picking", "button_validate")(
        lambda ids, kw, ctx: {
            "type": "ir.actions.act_window",
            "res_model": "confirm.stock.sms",
            "name": "SMS",
        }
    )
    async with odoo(fake) as client:
        with pytest.raises(OdooUserError, match=r"confirm\.stock\.sms"):
            await validate_pickings(client, [5], backorder=True)
