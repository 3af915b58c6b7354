"""Stock and sales behaviour in-process: the correction-14 step table, wizards over RPC
(corrections 12-13), backorders, returns, inventory, totals, multi-company, access rights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shopify_odoo.sandbox.odoo.errors import AccessError, MissingError, UserError
from tests.plugins.odoo_sandbox import InProcessOdoo

V = ("16.0", "17.0", "18.0", "19.0")
WH = "Main Warehouse"


def qty(odoo: InProcessOdoo, product: int, **ctx: Any) -> dict[str, float]:
    keys = ["qty_available", "free_qty", "outgoing_qty", "virtual_available", "incoming_qty"]
    return {
        k: v
        for k, v in odoo("product.product", "read", [product], keys, context=ctx)[0].items()
        if k != "id"
    }


def in_stock(odoo: InProcessOdoo, minimum: float = 3) -> tuple[int, float]:
    stock = odoo("stock.location", "search", [("complete_name", "=", "WH/Stock")])[0]
    quant = odoo(
        "stock.quant",
        "search_read",
        [("location_id", "=", stock), ("quantity", ">=", minimum)],
        ["product_id", "quantity"],
        limit=1,
    )[0]
    return quant["product_id"][0], quant["quantity"]


def order(odoo: InProcessOdoo, product: int, qty_: float, **extra: Any) -> int:
    partner = odoo("res.partner", "search", [("name", "=", "Azure Interior")])[0]
    return int(
        odoo(
            "sale.order",
            "create",
            {
                "partner_id": partner,
                "order_line": [[0, 0, {"product_id": product, "product_uom_qty": qty_, **extra}]],
            },
        )
    )


@pytest.mark.parametrize("version", V)
def test_sale_quantities_follow_the_step_table(
    odoo_world: Callable[..., InProcessOdoo], version: str
) -> None:
    """Correction 14: at_confirm reserves in action_confirm; validation lowers on hand."""
    odoo = odoo_world(version)
    product, _q = in_stock(odoo)
    wh = odoo("stock.warehouse", "search", [("name", "=", WH)])[0]
    ctx = {"warehouse": wh, "warehouse_id": wh}
    base = qty(odoo, product, **ctx)
    assert base["qty_available"] == base["free_qty"]
    so = order(odoo, product, 2)
    assert odoo("sale.order", "action_confirm", [so]) is True
    after = qty(odoo, product, **ctx)
    assert after["qty_available"] == base["qty_available"]
    assert after["free_qty"] == base["free_qty"] - 2
    assert after["outgoing_qty"] == 2
    assert after["virtual_available"] == base["qty_available"] - 2
    picking = odoo(
        "stock.picking",
        "search_read",
        [("sale_id", "=", so)],
        ["state", "origin", "picking_type_id", "location_id"],
    )[0]
    assert picking["state"] == "assigned"
    assert picking["location_id"][1] == "WH/Stock"
    run = {"skip_immediate": True, "skip_backorder": True, "skip_sms": True}
    if version == "16.0":  # §3.7 recipe: set qty_done on the lines first
        for line in odoo(
            "stock.move.line",
            "search_read",
            [("picking_id", "=", picking["id"])],
            ["reserved_uom_qty"],
        ):
            odoo("stock.move.line", "write", [line["id"]], {"qty_done": line["reserved_uom_qty"]})
    assert odoo("stock.picking", "button_validate", [picking["id"]], context=run) is True
    done = qty(odoo, product, **ctx)
    assert done == {
        "qty_available": base["qty_available"] - 2,
        "free_qty": base["free_qty"] - 2,
        "outgoing_qty": 0.0,
        "virtual_available": base["qty_available"] - 2,
        "incoming_qty": 0.0,
    }
    line = odoo("sale.order.line", "search_read", [("order_id", "=", so)], ["qty_delivered"])
    assert line[0]["qty_delivered"] == 2


@pytest.mark.parametrize("version", V)
def test_partial_reservation_backorder_wizard_over_rpc(
    odoo_world: Callable[..., InProcessOdoo], version: str
) -> None:
    """§3.7 + correction 12: short delivery → backorder wizard; ``process`` without the
    action's context does nothing; with it, a backorder is created for the rest."""
    odoo = odoo_world(version)
    product, _q = in_stock(odoo)
    wh = odoo("stock.warehouse", "search", [("name", "=", WH)])[0]
    ctx = {"warehouse": wh, "warehouse_id": wh}
    total = qty(odoo, product, **ctx)["free_qty"]
    so = order(odoo, product, total + 5)
    odoo("sale.order", "action_confirm", [so])
    picking = odoo("stock.picking", "search", [("sale_id", "=", so)])[0]
    move = odoo("stock.move", "search_read", [("picking_id", "=", picking)], ["state"])[0]
    assert move["state"] == "partially_available"
    action = odoo("stock.picking", "button_validate", [picking])
    if version == "16.0":  # immediate wizard first, whose process returns the backorder one
        assert action["res_model"] == "stock.immediate.transfer"
        wiz = odoo("stock.immediate.transfer", "create", {}, context=action["context"])
        action = odoo("stock.immediate.transfer", "process", [wiz], context=action["context"])
    assert action["type"] == "ir.actions.act_window"
    assert action["res_model"] == "stock.backorder.confirmation"
    assert action["context"]["button_validate_picking_ids"] == [picking]
    wiz = odoo("stock.backorder.confirmation", "create", {}, context=action["context"])
    assert odoo("stock.backorder.confirmation", "process", [wiz]) is True  # no context: no-op
    assert odoo("stock.picking", "read", [picking], ["state"])[0]["state"] == "assigned"
    assert odoo("stock.backorder.confirmation", "process", [wiz], context=action["context"]) is True
    assert odoo("stock.picking", "read", [picking], ["state"])[0]["state"] == "done"
    back = odoo(
        "stock.picking", "search_read", [("backorder_id", "=", picking)], ["move_ids", "state"]
    )
    assert len(back) == 1
    rest = odoo("stock.move", "read", back[0]["move_ids"], ["product_uom_qty"])
    assert rest[0]["product_uom_qty"] == 5
    assert qty(odoo, product, **ctx)["qty_available"] == 0


@pytest.mark.parametrize("version", ["17.0", "19.0"])
def test_nothing_reserved_cannot_validate(
    odoo_world: Callable[..., InProcessOdoo], version: str
) -> None:
    """Correction 13: all move quantities 0 → the 17/18 UserError text."""
    odoo = odoo_world(version)
    product, _q = in_stock(odoo)
    wh = odoo("stock.warehouse", "search", [("name", "=", WH)])[0]
    so = order(odoo, product, 1)
    odoo("sale.order", "action_confirm", [so])
    picking = odoo("stock.picking", "search", [("sale_id", "=", so)])[0]
    moves = odoo("stock.move", "search", [("picking_id", "=", picking)])
    odoo("stock.move", "write", moves, {"quantity": 0})
    with pytest.raises(UserError, match="no quantities are reserved"):
        odoo("stock.picking", "button_validate", [picking])
    assert wh


@pytest.mark.parametrize("version", V)
def test_return_of_a_delivery(odoo_world: Callable[..., InProcessOdoo], version: str) -> None:
    """§3.8: the return wizard per version gives a new picking (res_id) back into stock."""
    odoo = odoo_world(version)
    product, _ = in_stock(odoo)
    so = order(odoo, product, 1)
    odoo("sale.order", "action_confirm", [so])
    picking = odoo("stock.picking", "search", [("sale_id", "=", so)])[0]
    action = odoo("stock.picking", "button_validate", [picking])
    if version == "16.0":  # the immediate wizard, driven with the action's context
        wiz = odoo("stock.immediate.transfer", "create", {}, context=action["context"])
        assert odoo("stock.immediate.transfer", "process", [wiz], context=action["context"]) is True
    assert odoo("stock.picking", "read", [picking], ["state"])[0]["state"] == "done"
    wiz = odoo("stock.return.picking", "create", {"picking_id": picking})
    method = odoo.world.profile.return_method
    if version in ("18.0", "19.0"):
        method = "action_create_returns_all"
    action = odoo("stock.return.picking", method, [wiz])
    returned = odoo(
        "stock.picking", "read", [action["res_id"]], ["location_dest_id", "origin", "state"]
    )[0]
    assert returned["location_dest_id"][1] == "WH/Stock"
    assert returned["origin"].startswith("Return of ")


@pytest.mark.parametrize("version", V)
def test_inventory_adjustment_apply(odoo_world: Callable[..., InProcessOdoo], version: str) -> None:
    """§3.3: inventory mode create + action_apply_inventory; the move is is_inventory."""
    odoo = odoo_world(version)
    product, q = in_stock(odoo)
    stock = odoo("stock.location", "search", [("complete_name", "=", "WH/Stock")])[0]
    with pytest.raises(UserError, match="Quant's creation is restricted"):
        odoo(
            "stock.quant",
            "create",
            {"product_id": product, "location_id": stock, "inventory_quantity": 99},
        )
    quant = odoo(
        "stock.quant",
        "create",
        {"product_id": product, "location_id": stock, "inventory_quantity": 99},
        context={"inventory_mode": True},
    )
    assert odoo("stock.quant", "action_apply_inventory", [quant]) is None
    row = odoo("stock.quant", "read", [quant], ["quantity", "inventory_quantity_set"])[0]
    assert row == {"id": quant, "quantity": 99.0, "inventory_quantity_set": False}
    moves = odoo(
        "stock.move",
        "search_read",
        [("is_inventory", "=", True), ("product_id", "=", product)],
        ["product_uom_qty", "state", "location_id"],
    )
    assert moves[-1]["product_uom_qty"] == 99 - q
    assert moves[-1]["state"] == "done"
    assert moves[-1]["location_id"][1] == "Virtual Locations/Inventory adjustment"


@pytest.mark.parametrize(
    ("version", "field", "incl"),
    [
        ("16.0", "tax_id", {"price_include": True}),
        ("17.0", "tax_id", {"price_include": True}),
        ("18.0", "tax_id", {"price_include_override": "tax_included"}),
        ("19.0", "tax_ids", {"price_include_override": "tax_included"}),
    ],
)
def test_order_totals_like_odoo(
    odoo_world: Callable[..., InProcessOdoo], version: str, field: str, incl: dict[str, Any]
) -> None:
    """§4.2: discounts, price-included and excluded taxes, rounded per line."""
    odoo = odoo_world(version)
    product, _ = in_stock(odoo)
    tax_excl = odoo("account.tax", "search", [("name", "=", "15%")])[0]
    tax_incl = odoo(
        "account.tax",
        "create",
        {"name": "20% incl", "amount": 20.0, "amount_type": "percent", "company_id": 1, **incl},
    )
    partner = odoo("res.partner", "search", [("name", "=", "Jane Doe")])[0]
    so = odoo(
        "sale.order",
        "create",
        {
            "partner_id": partner,
            "order_line": [
                [
                    0,
                    0,
                    {
                        "product_id": product,
                        "product_uom_qty": 3,
                        "price_unit": 19.9,
                        "discount": 10,
                        field: [[6, 0, [tax_excl]]],
                    },
                ],
                [
                    0,
                    0,
                    {
                        "product_id": product,
                        "product_uom_qty": 1,
                        "price_unit": 12.0,
                        field: [[6, 0, [tax_incl]]],
                    },
                ],
            ],
        },
    )
    totals = odoo("sale.order", "read", [so], ["amount_untaxed", "amount_tax", "amount_total"])[0]
    # line 1: 3 x 17.91 = 53.73 + 15% = 8.06; line 2: 12 incl. 20% → 10.00 + 2.00
    assert totals == {"id": so, "amount_untaxed": 63.73, "amount_tax": 10.06, "amount_total": 73.79}


def test_cancel_returns_wizard_then_cancels(odoo_world: Callable[..., InProcessOdoo]) -> None:
    """§4.1: confirmed order → sale.order.cancel action unless disable_cancel_warning."""
    odoo = odoo_world("17.0")
    product, _ = in_stock(odoo)
    so = order(odoo, product, 1)
    odoo("sale.order", "action_confirm", [so])
    action = odoo("sale.order", "action_cancel", [so])
    assert action["res_model"] == "sale.order.cancel"
    assert odoo("sale.order.cancel", "action_cancel", [action["res_id"]]) is True
    assert odoo("sale.order", "read", [so], ["state"])[0]["state"] == "cancel"
    picking = odoo("stock.picking", "search_read", [("sale_id", "=", so)], ["state"])[0]
    assert picking["state"] == "cancel"
    odoo("sale.order", "action_draft", [so])
    odoo("sale.order", "action_lock", [so])
    with pytest.raises(UserError, match="locked"):
        odoo("sale.order", "action_cancel", [so], context={"disable_cancel_warning": True})


def test_multi_company_and_access_rights(odoo_world: Callable[..., InProcessOdoo]) -> None:
    """§1.7 record rules and ir.model.access: hidden for search, refused for read."""
    odoo = odoo_world("17.0")
    clerk, viewer = odoo.uid("clerk"), odoo.uid("viewer")
    us = odoo("product.product", "search", [("default_code", "=", "US-WIDGET-01")])
    assert us
    assert (
        odoo("product.product", "search", [("default_code", "=", "US-WIDGET-01")], uid=clerk) == []
    )
    assert (
        odoo(
            "product.product",
            "search",
            [("default_code", "=", "US-WIDGET-01")],
            context={"allowed_company_ids": [1]},
        )
        == []
    )
    with pytest.raises(AccessError, match="Due to security restrictions") as debug:
        odoo("product.product", "read", us, ["name"], uid=clerk)  # clerk has debug rights
    assert "Records: [US-WIDGET-01] US Widget (id=" in str(debug.value)
    assert "Note: this might be a multi-company issue." in str(debug.value)
    with pytest.raises(AccessError) as short:
        odoo("product.product", "write", us, {"name": "x"}, context={"allowed_company_ids": [1]})
    assert str(short.value) == (
        "Due to security restrictions, you are not allowed to modify 'Product Variant' "
        "(product.product) records.\n\nContact your administrator to request access if "
        "necessary."
    )
    with pytest.raises(
        AccessError,
        match=r"You are not allowed to access 'Sales Order' "
        r"\(sale.order\) records.\n\nThis operation is allowed",
    ):
        odoo("sale.order", "search", [], uid=viewer)
    assert odoo("product.product", "search_count", [], uid=viewer) > 0  # read for all users


def test_x2many_commands_and_domains(odoo_world: Callable[..., InProcessOdoo]) -> None:
    """§2.3 triples and §2.2 domain operators incl. dotted paths and child_of."""
    odoo = odoo_world("17.0")
    parent = odoo(
        "res.partner",
        "create",
        {
            "name": "Acme",
            "is_company": True,
            "child_ids": [
                [0, 0, {"name": "Ship", "type": "delivery"}],
                [0, 0, {"name": "Bill", "type": "invoice"}],
            ],
        },
    )
    kids = odoo("res.partner", "read", [parent], ["child_ids"])[0]["child_ids"]
    assert len(kids) == 2
    odoo("res.partner", "write", [parent], {"child_ids": [[2, kids[0], 0]]})
    assert odoo("res.partner", "read", [parent], ["child_ids"])[0]["child_ids"] == [kids[1]]
    with pytest.raises(MissingError):
        odoo("res.partner", "write", [kids[0]], {"name": "gone"})
    assert odoo("res.partner", "read", [kids[0]]) == []  # correction 9
    assert odoo(
        "res.partner", "search", ["|", ("name", "=ilike", "acme"), ("name", "=", "nobody")]
    ) == [parent]
    assert odoo("res.partner", "search", [("id", "child_of", parent)]) == sorted(
        [parent, kids[1]],
        key=lambda i: odoo("res.partner", "read", [i], ["complete_name"])[0]["complete_name"],
    )
    lines = odoo(
        "stock.quant",
        "search_count",
        [("product_id.default_code", "=like", "CAP-%"), ("location_id", "child_of", "WH")],
    )
    assert lines == odoo(
        "stock.quant",
        "search_count",
        [
            (
                "product_id",
                "in",
                odoo("product.product", "search", [("default_code", "like", "CAP")]),
            ),
            ("location_id.complete_name", "=like", "WH/%"),
        ],
    )
    assert odoo("res.partner", "search", [("name", "not ilike", "a"), ("id", "=", parent)]) == []


def test_read_group_formats(odoo_world: Callable[..., InProcessOdoo]) -> None:
    """Correction 11: 16-18 ``location_id_count`` + field-keyed aggregate; 19 verbatim."""
    old = odoo_world("18.0")
    rows = old(
        "stock.quant",
        "read_group",
        [("location_id.usage", "=", "internal")],
        ["quantity:sum"],
        ["location_id"],
    )
    assert {r["location_id"][1] for r in rows} == {
        "WH/Stock",
        "3PL/Stock",
        "SHOP/Stock",
        "US/Stock",
    }
    assert {"location_id", "location_id_count", "quantity", "__domain"} <= set(rows[0])
    new = odoo_world("19.0")
    rows19 = new(
        "stock.quant",
        "formatted_read_group",
        [("location_id.usage", "=", "internal")],
        ["location_id"],
        ["quantity:sum", "__count"],
    )
    assert set(rows19[0]) == {"location_id", "__count", "quantity:sum", "__extra_domain"}
    assert sorted(r["quantity:sum"] for r in rows19) == sorted(r["quantity"] for r in rows)


def test_write_date_is_transaction_start(odoo_world: Callable[..., InProcessOdoo]) -> None:
    """§3.6: every row written in one call carries the call's start time."""
    odoo = odoo_world("17.0")
    product, _ = in_stock(odoo)
    odoo.world.clock_offset = __import__("datetime").timedelta(days=1)
    so = order(odoo, product, 1)
    odoo("sale.order", "action_confirm", [so])
    so_date = odoo("sale.order", "read", [so], ["write_date"])[0]["write_date"]
    moves = odoo("stock.move", "search_read", [("sale_line_id.order_id", "=", so)], ["write_date"])
    quants = odoo(
        "stock.quant",
        "search_read",
        [("product_id", "=", product), ("reserved_quantity", ">", 0)],
        ["write_date"],
    )
    assert {m["write_date"] for m in moves} | {q["write_date"] for q in quants} == {so_date}


def test_cross_company_links_refused(odoo_world: Callable[..., InProcessOdoo]) -> None:
    """§1.7: a company-1 order cannot sell a company-2 product; users stay readable."""
    odoo = odoo_world("18.0")
    us_product = odoo("product.product", "search", [("default_code", "=", "US-WIDGET-01")])[0]
    with pytest.raises(UserError, match="Incompatible companies on records"):
        order(odoo, us_product, 1)
    so = odoo(
        "sale.order",
        "create",
        {"partner_id": 7, "order_line": [[0, 0, {"product_id": us_product, "product_uom_qty": 1}]]},
        context={"allowed_company_ids": [2]},
    )
    row = odoo("sale.order", "read", [so], ["company_id", "warehouse_id", "currency_id"])[0]
    assert row["company_id"][0] == 2
    assert row["warehouse_id"][1] == "US Warehouse"
    assert row["currency_id"][1] == "USD"
    assert odoo("res.users", "search", [("login", "=", "admin")], uid=odoo.uid("clerk"))


@pytest.mark.parametrize("version", ["16.0", "17.0", "19.0"])
def test_order_edits_after_confirmation(
    odoo_world: Callable[..., InProcessOdoo], version: str
) -> None:
    """sale_stock: more quantity or a new line reach the open delivery; less shrinks it,
    never below what shipped."""
    odoo = odoo_world(version)
    product, _ = in_stock(odoo, 6)
    so = order(odoo, product, 2)
    odoo("sale.order", "action_confirm", [so])
    line = odoo("sale.order.line", "search", [("order_id", "=", so)])[0]
    picking = odoo("stock.picking", "search", [("sale_id", "=", so)])[0]

    def demand() -> list[float]:
        moves = odoo(
            "stock.move",
            "search_read",
            [("picking_id", "=", picking), ("state", "!=", "cancel")],
            ["product_uom_qty"],
            order="id",
        )
        return [m["product_uom_qty"] for m in moves]

    odoo("sale.order.line", "write", [line], {"product_uom_qty": 5})
    assert demand() == [5.0]
    other, _ = in_stock(odoo, 1)
    odoo(
        "sale.order",
        "write",
        [so],
        {"order_line": [[0, 0, {"product_id": other, "product_uom_qty": 1}]]},
    )
    assert sorted(demand()) == [1.0, 5.0]
    odoo("sale.order.line", "write", [line], {"product_uom_qty": 3})
    assert sorted(demand()) == [1.0, 3.0]
    state = odoo("stock.picking", "read", [picking], ["state"])[0]["state"]
    assert state == "assigned"
