"""Must-show: Python's xmlrpc.client and odoorpc log in, read, create and call methods
against every version profile, unmodified."""

from __future__ import annotations

import asyncio
import xmlrpc.client

import odoorpc
import pytest

from shopify_odoo.sandbox.odoo import OdooSandbox
from tests.plugins.odoo_sandbox import ODOO_VERSIONS


def _xmlrpc_session(h: OdooSandbox) -> None:
    common = xmlrpc.client.ServerProxy(f"{h.url}/xmlrpc/2/common")
    assert common.version() == h.world.profile.version_dict()
    uid = common.authenticate(h.world.db, h.login, h.api_key, {})  # §1.1: key as password
    assert uid == 2
    obj = xmlrpc.client.ServerProxy(f"{h.url}/xmlrpc/2/object")
    rows = obj.execute_kw(
        h.world.db,
        uid,
        h.password,
        "product.product",
        "search_read",
        [[("default_code", "=like", "TSHIRT-%")]],
        {"fields": ["default_code", "barcode", "qty_available"], "limit": 5},
    )
    assert len(rows) == 5
    assert all(r["default_code"].startswith("TSHIRT-") for r in rows)
    partner = obj.execute_kw(
        h.world.db,
        uid,
        h.api_key,
        "res.partner",
        "create",
        [{"name": "XML Client", "email": "xml@example.com"}],
    )
    so = obj.execute_kw(
        h.world.db,
        uid,
        h.api_key,
        "sale.order",
        "create",
        [
            {
                "partner_id": partner,
                "client_order_ref": "eu#1001",
                "order_line": [[0, 0, {"product_id": rows[0]["id"], "product_uom_qty": 1}]],
            }
        ],
    )
    assert (
        obj.execute_kw(h.world.db, uid, h.api_key, "sale.order", "action_confirm", [[so]]) is True
    )
    state = obj.execute_kw(
        h.world.db,
        uid,
        h.api_key,
        "sale.order",
        "read",
        [[so]],
        {"fields": ["state", "picking_ids"]},
    )[0]
    assert state["state"] == "sale"
    assert len(state["picking_ids"]) == 1


def _odoorpc_session(h: OdooSandbox) -> None:
    odoo = odoorpc.ODOO(h.host, port=h.port)
    odoo.login(h.world.db, h.login, h.password)
    assert odoo.env.uid == 2
    products = odoo.env["product.product"]
    rows = products.search_read([("default_code", "like", "HOODIE")], ["default_code"], limit=3)
    assert len(rows) == 3
    pid = odoo.env["res.partner"].create({"name": "RPC Client", "email": "RPC@Example.com"})
    partner = odoo.env["res.partner"].browse(pid)
    assert partner.email == "RPC@Example.com"
    partner.write({"phone": "+32 555"})
    assert odoo.env["res.partner"].read([pid], ["phone"])[0]["phone"] == "+32 555"
    so = odoo.env["sale.order"].create(
        {
            "partner_id": pid,
            "order_line": [(0, 0, {"product_id": rows[0]["id"], "product_uom_qty": 1})],
        }
    )
    assert odoo.execute_kw("sale.order", "action_confirm", [[so]]) is True
    assert odoo.env.ref("base.main_company").id == 1


@pytest.mark.parametrize("odoo_sandbox", ODOO_VERSIONS, indirect=True)
async def test_xmlrpc_client_unmodified(odoo_sandbox: OdooSandbox) -> None:
    await asyncio.to_thread(_xmlrpc_session, odoo_sandbox)


@pytest.mark.parametrize("odoo_sandbox", ODOO_VERSIONS, indirect=True)
async def test_odoorpc_unmodified(odoo_sandbox: OdooSandbox) -> None:
    await asyncio.to_thread(_odoorpc_session, odoo_sandbox)


@pytest.mark.parametrize("odoo_sandbox", ["17.0"], indirect=True)
async def test_xmlrpc_marshalling_limits(odoo_sandbox: OdooSandbox) -> None:
    """§1.2 / correction 4: None results fault (code 1) after the commit; 64-bit ints can't
    travel."""
    h = odoo_sandbox

    def run() -> None:
        obj = xmlrpc.client.ServerProxy(f"{h.url}/xmlrpc/2/object")
        stock = obj.execute_kw(
            h.world.db,
            2,
            h.password,
            "stock.location",
            "search",
            [[("complete_name", "=", "WH/Stock")]],
        )[0]
        product = obj.execute_kw(
            h.world.db,
            2,
            h.password,
            "product.product",
            "search",
            [[("default_code", "like", "CAP")]],
            {"limit": 1},
        )[0]
        quant = obj.execute_kw(
            h.world.db,
            2,
            h.password,
            "stock.quant",
            "create",
            [{"product_id": product, "location_id": stock, "inventory_quantity": 42}],
            {"context": {"inventory_mode": True}},
        )
        with pytest.raises(xmlrpc.client.Fault) as fault:
            obj.execute_kw(
                h.world.db, 2, h.password, "stock.quant", "action_apply_inventory", [[quant]]
            )
        assert fault.value.faultCode == 1
        assert fault.value.faultString.strip().endswith(
            "TypeError: cannot marshal None unless allow_none is enabled"
        )
        applied = obj.execute_kw(
            h.world.db, 2, h.password, "stock.quant", "read", [[quant]], {"fields": ["quantity"]}
        )
        assert applied[0]["quantity"] == 42  # committed before the fault
        with pytest.raises(OverflowError):
            obj.execute_kw(h.world.db, 2, h.password, "res.partner", "read", [[2**40]])

    await asyncio.to_thread(run)
