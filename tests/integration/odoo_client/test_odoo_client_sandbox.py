"""The Odoo client against the Odoo sandbox over loopback, on every version profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shopify_odoo.odoo import InventoryCount, OdooClient, apply_inventory_counts, stock_snapshot
from shopify_odoo.odoo.errors import (
    OdooAccessError,
    OdooAuthenticationError,
    OdooMissingError,
    OdooServerError,
    OdooUserError,
)
from shopify_odoo.odoo.records import find_locations, find_products, list_warehouses, read_quants
from shopify_odoo.odoo.sales import (
    SaleLineDraft,
    SaleOrderDraft,
    confirm_sale_orders,
    create_sale_orders,
    find_sale_orders_by_ref,
    pickings_done_since,
    validate_pickings,
)
from shopify_odoo.sandbox.odoo import OdooSandbox, OdooSandboxDriver
from tests.plugins.odoo_sandbox import ODOO_VERSIONS

ALL = pytest.mark.parametrize("odoo_sandbox", ODOO_VERSIONS, indirect=True)
STOCK_NAMES = ["WH/Stock", "3PL/Stock", "SHOP/Stock"]


def client(sandbox: OdooSandbox, **kw: Any) -> OdooClient:
    kw.setdefault("api_key", sandbox.api_key)
    return OdooClient(sandbox.url, sandbox.world.db, sandbox.login, **kw)


async def odoo_quantities(
    odoo: OdooClient, product_ids: list[int], location_id: int
) -> dict[int, tuple[float, float, float]]:
    """The oracle: product.product's own fields in the ``location`` context (§3.4)."""
    rows = await odoo.read(
        "product.product",
        product_ids,
        ["qty_available", "free_qty", "outgoing_qty"],
        context={"location": location_id},
    )
    return {r["id"]: (r["qty_available"], r["free_qty"], r["outgoing_qty"]) for r in rows}


def snapshot_row(snapshot: Any, product_id: int, location_id: int) -> tuple[float, float, float]:
    level = snapshot.get(product_id, location_id)
    return (float(level.qty_available), float(level.free_qty), float(level.outgoing_qty))


@ALL
async def test_connects_with_the_right_protocol(odoo_sandbox: OdooSandbox) -> None:
    async with client(odoo_sandbox) as odoo:
        caps = await odoo.connect()
        expected = "json2" if caps.version.at_least(19, 0) else "jsonrpc"
        assert odoo.protocol == expected
        assert str(caps.version).startswith(odoo_sandbox.world.profile.text.split("+")[0])
    async with client(odoo_sandbox, api_key=None, password=odoo_sandbox.password) as odoo:
        await odoo.connect()
        assert odoo.protocol == "jsonrpc"  # a password never goes to JSON-2 (§1.5)


@ALL
async def test_lookups(odoo_sandbox: OdooSandbox) -> None:
    async with client(odoo_sandbox) as odoo:
        warehouses = {w.code: w for w in await list_warehouses(odoo)}
        assert {"WH", "3PL", "SHOP"} <= set(warehouses)
        locations = await find_locations(odoo, [*STOCK_NAMES, "NOWHERE/Stock"])
        assert sorted(loc.complete_name for loc in locations) == sorted(STOCK_NAMES)
        assert warehouses["WH"].lot_stock_id in {loc.id for loc in locations}
        products = await find_products(
            odoo, skus=["TSHIRT-0001-BLA-S", "MISSING-SKU"], barcodes=["2000000000022"]
        )
        assert [p.default_code for p in products] == ["TSHIRT-0001-BLA-S", "TSHIRT-0001-BLA-M"]
        assert all(p.storable and p.active for p in products)
        quants = await read_quants(odoo, [products[0].id], [warehouses["WH"].view_location_id or 0])
        assert sum(q.quantity for q in quants) > 0


@ALL
async def test_snapshot_equals_odoo_context_quantities_through_a_sale(
    odoo_sandbox: OdooSandbox,
) -> None:
    """free drops at reservation, outgoing rises, on hand drops at validation (corr. 14)."""
    async with client(odoo_sandbox) as odoo:
        locations = await find_locations(odoo, STOCK_NAMES)
        loc_ids = [loc.id for loc in locations]
        wh_stock = next(loc.id for loc in locations if loc.complete_name == "WH/Stock")
        (product,) = await find_products(odoo, skus=["TSHIRT-0001-BLA-S"])
        partner = (await odoo.search("res.partner", [("name", "=", "Jane Doe")]))[0]

        async def check_against_oracle() -> Any:
            snapshot = await stock_snapshot(odoo, None, loc_ids)
            for loc in loc_ids:
                oracle = await odoo_quantities(odoo, sorted(snapshot.product_ids), loc)
                assert oracle, "no storable products?"
                for pid, expected in oracle.items():
                    assert snapshot_row(snapshot, pid, loc) == pytest.approx(expected), (pid, loc)
            return snapshot

        before = await check_against_oracle()
        on_hand = before.get(product.id, wh_stock).qty_available
        assert on_hand > 2

        ref = f"eu#{odoo_sandbox.world.profile.text}-1001"
        draft = SaleOrderDraft(
            partner_id=partner,
            client_order_ref=ref,
            lines=(SaleLineDraft(product.id, Decimal(2), Decimal("19.90")),),
        )
        (order_id,) = await create_sale_orders(odoo, [draft])
        await confirm_sale_orders(odoo, [order_id])
        found = await find_sale_orders_by_ref(odoo, [ref, "nope#1"])
        assert [o.id for o in found[ref]] == [order_id]
        assert found[ref][0].state == "sale"

        after_confirm = await check_against_oracle()
        level = after_confirm.get(product.id, wh_stock)
        assert level.qty_available == on_hand
        assert level.outgoing_qty == 2
        assert level.free_qty == before.get(product.id, wh_stock).free_qty - 2

        since = datetime.now(UTC) - timedelta(minutes=1)
        pickings = await odoo.search("stock.picking", [("origin", "=", found[ref][0].name)])
        await validate_pickings(odoo, pickings, backorder=False)
        after_delivery = await check_against_oracle()
        level = after_delivery.get(product.id, wh_stock)
        assert level.qty_available == on_hand - 2
        assert level.outgoing_qty == 0

        page = await pickings_done_since(odoo, since)
        assert [p.id for p in page.pickings] == pickings
        assert page.pickings[0].origin == found[ref][0].name
        assert page.cursor >= page.pickings[0].write_date
        again = await pickings_done_since(odoo, page.cursor)  # overlap window re-reads it
        assert [p.id for p in again.pickings] == pickings


@ALL
async def test_inventory_adjustment_sets_on_hand(odoo_sandbox: OdooSandbox) -> None:
    async with client(odoo_sandbox) as odoo:
        (loc,) = await find_locations(odoo, ["SHOP/Stock"])
        products = await find_products(odoo, skus=["TSHIRT-0001-BLA-S", "TSHIRT-0001-BLA-M"])
        await apply_inventory_counts(
            odoo,
            [
                InventoryCount(products[0].id, loc.id, Decimal(5)),
                InventoryCount(products[1].id, loc.id, Decimal(0)),
            ],
        )
        snapshot = await stock_snapshot(odoo, [p.id for p in products], [loc.id])
        assert snapshot.get(products[0].id, loc.id).qty_available == 5
        assert snapshot.get(products[1].id, loc.id).qty_available == 0


@ALL
async def test_typed_errors_from_the_sandbox(odoo_sandbox: OdooSandbox) -> None:
    async with client(odoo_sandbox) as odoo:
        with pytest.raises(OdooMissingError) as missing:
            await odoo.write("res.partner", [999_999], {"name": "x"})
        assert missing.value.call is not None
        assert missing.value.call.ids == (999_999,)
        with pytest.raises(OdooServerError, match="Invalid field"):
            await odoo.search("res.partner", [("no_such_field", "=", 1)])
        with pytest.raises(OdooUserError):
            await odoo.call("sale.order", "action_confirm", ids=[999_998], readonly=False)


@pytest.mark.parametrize("odoo_sandbox", ["17.0", "19.0"], indirect=True)
async def test_access_error_for_a_user_without_rights(
    odoo_sandbox: OdooSandbox,
) -> None:
    from shopify_odoo.sandbox.odoo.seed import api_key_for

    viewer = api_key_for(odoo_sandbox.seed, "viewer")
    async with OdooClient(
        odoo_sandbox.url, odoo_sandbox.world.db, "viewer", api_key=viewer
    ) as odoo:
        with pytest.raises(OdooAccessError) as info:
            await odoo.create("sale.order", [{"partner_id": 1}])
        assert "sale.order.create" in str(info.value)
        assert viewer not in str(info.value)


@pytest.mark.parametrize("odoo_sandbox", ["16.0", "19.0"], indirect=True)
async def test_serialization_failure_is_retried(odoo_sandbox: OdooSandbox) -> None:
    async with OdooSandboxDriver(odoo_sandbox.url) as driver, client(odoo_sandbox) as odoo:
        await odoo.connect()
        # §9: Odoo retries 5 times itself; 5 injected failures surface one to us
        await driver.inject("serialization", model="res.partner", method="search_read", count=5)
        rows = await odoo.search_read("res.partner", [("name", "=", "Jane Doe")], ["name"])
        assert [r["name"] for r in rows] == ["Jane Doe"]


@pytest.mark.parametrize("odoo_sandbox", ["16.0", "18.0", "19.0"], indirect=True)
async def test_wrong_key_is_refused_with_the_fix(odoo_sandbox: OdooSandbox) -> None:
    async with client(odoo_sandbox, api_key="not-a-key") as odoo:
        with pytest.raises(OdooAuthenticationError) as info:
            await odoo.connect()
    assert info.value.reason == "api_key_refused"
    assert "New API Key" in str(info.value)
    assert ("expired" in info.value.message) is odoo_sandbox.world.profile.api_key_expiry


@pytest.mark.parametrize("odoo_sandbox", ["18.0", "19.0"], indirect=True)
async def test_expired_key_on_18_plus(odoo_sandbox: OdooSandbox) -> None:
    async with OdooSandboxDriver(odoo_sandbox.url) as driver:
        key = await driver.new_api_key(odoo_sandbox.login, expires_in=60)
        async with client(odoo_sandbox, api_key=key) as odoo:
            await odoo.connect()
        await driver.advance_clock(120)
    async with client(odoo_sandbox, api_key=key) as odoo:
        with pytest.raises(OdooAuthenticationError) as info:
            await odoo.connect()
    assert info.value.reason in ("api_key_refused", "api_key_expired")
    assert "expired" in str(info.value)
    assert key not in str(info.value)


@pytest.mark.parametrize("odoo_sandbox", ["17.0", "19.0"], indirect=True)
async def test_standard_plan_has_no_api(odoo_sandbox: OdooSandbox) -> None:
    async with OdooSandboxDriver(odoo_sandbox.url) as driver:
        await driver.set_plan("standard")
    async with client(odoo_sandbox) as odoo:
        with pytest.raises(OdooAuthenticationError) as info:
            await odoo.connect()
    assert info.value.reason == "no_api_access"
    assert "Custom plan" in str(info.value)
