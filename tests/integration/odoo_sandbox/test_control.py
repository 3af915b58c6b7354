"""Control API and driver: merchant simulator, faults, automation webhooks, keys, plans."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import xmlrpc.client
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shopify_odoo.sandbox.odoo import OdooSandbox, OdooSandboxDriver


def rpc(h: OdooSandbox, model: str, method: str, *args: Any, **kw: Any) -> Any:
    obj = xmlrpc.client.ServerProxy(f"{h.url}/xmlrpc/2/object")
    return obj.execute_kw(h.world.db, 2, h.password, model, method, list(args), kw)


async def on_hand(h: OdooSandbox, sku: str, location: str) -> float:
    rows = await asyncio.to_thread(
        rpc,
        h,
        "product.product",
        "search_read",
        [("default_code", "=", sku)],
        fields=["qty_available"],
        context={"location": location},
    )
    return float(rows[0]["qty_available"])


@pytest.mark.parametrize("odoo_sandbox", ["16.0", "17.0", "19.0"], indirect=True)
async def test_merchant_actions_recorded_like_odoo(
    odoo_sandbox: OdooSandbox, odoo_driver: OdooSandboxDriver
) -> None:
    h, d = odoo_sandbox, odoo_driver
    sku = "TSHIRT-0001-BLA-S"
    before = await on_hand(h, sku, "WH/Stock")
    await d.receive(sku, 10)
    assert await on_hand(h, sku, "WH/Stock") == before + 10
    await d.move(sku, 4, "WH/Stock", "SHOP/Stock")
    assert await on_hand(h, sku, "WH/Stock") == before + 6
    await d.count(sku, "SHOP/Stock", 1)
    assert await on_hand(h, sku, "SHOP/Stock") == 1
    moves = await d.read(
        "stock.move",
        [("product_id.default_code", "=", sku)],
        ["state", "is_inventory", "location_dest_id"],
    )
    assert all(m["state"] == "done" for m in moves)
    assert len(moves) == 3
    await d.count(sku, "SHOP/Stock", 0)
    assert await d.quant_tasks() >= 1  # §3.3: the zero quant vanishes, no write_date trace
    gone = await d.read(
        "stock.quant",
        [("product_id.default_code", "=", sku), ("location_id.complete_name", "=", "SHOP/Stock")],
    )
    assert gone == []
    await d.change_sku(sku, "TSHIRT-NEW")
    await d.archive("TSHIRT-NEW")
    found = await asyncio.to_thread(
        rpc, h, "product.product", "search", [("default_code", "=", "TSHIRT-NEW")]
    )
    assert found == []  # archived: hidden unless active_test False (§2.2)
    assert await d.read("product.product", [("default_code", "=", "TSHIRT-NEW")], ["active"])


@pytest.mark.parametrize("odoo_sandbox", ["17.0"], indirect=True)
async def test_deliver_with_tracking(
    odoo_sandbox: OdooSandbox, odoo_driver: OdooSandboxDriver
) -> None:
    h, d = odoo_sandbox, odoo_driver
    product = (await d.read("product.product", [("default_code", "like", "CAP")], ["id"], limit=1))[
        0
    ]["id"]

    def confirm() -> int:
        so = rpc(
            h,
            "sale.order",
            "create",
            {
                "partner_id": 7,
                "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]],
            },
        )
        rpc(h, "sale.order", "action_confirm", [so])
        return int(so)

    so = await asyncio.to_thread(confirm)
    name = (await d.read("sale.order", [("id", "=", so)], ["name"]))[0]["name"]
    await d.deliver(name, carrier="Standard Delivery", tracking="1Z999")
    picking = (
        await d.read(
            "stock.picking", [("sale_id", "=", so)], ["state", "carrier_tracking_ref", "carrier_id"]
        )
    )[0]
    assert picking["state"] == "done"
    assert picking["carrier_tracking_ref"] == "1Z999"


@pytest.mark.parametrize("odoo_sandbox", ["17.0"], indirect=True)
async def test_faults_and_call_counter(
    odoo_sandbox: OdooSandbox, odoo_driver: OdooSandboxDriver
) -> None:
    h, d = odoo_sandbox, odoo_driver
    await d.reset_calls()
    await d.inject("http_status", model="res.partner", method="search", status=503)
    with pytest.raises(xmlrpc.client.ProtocolError) as err:
        await asyncio.to_thread(rpc, h, "res.partner", "search", [])
    assert err.value.errcode == 503
    assert await asyncio.to_thread(rpc, h, "res.partner", "search", [])  # once only
    await d.inject("serialization", model="stock.quant", count=5)
    with pytest.raises(xmlrpc.client.Fault) as fault:
        await asyncio.to_thread(rpc, h, "stock.quant", "search_count", [])
    assert "could not serialize access due to concurrent update" in fault.value.faultString
    await d.inject("serialization", model="stock.quant", count=4)  # absorbed by 5 tries (§9)
    assert await asyncio.to_thread(rpc, h, "stock.quant", "search_count", []) > 0
    await d.inject("latency", method="search_count", seconds=0.3)
    started = asyncio.get_running_loop().time()
    await asyncio.to_thread(rpc, h, "stock.quant", "search_count", [])
    assert asyncio.get_running_loop().time() - started >= 0.3
    calls = await d.calls()
    assert calls[("stock.quant", "search_count")] == 3
    assert calls[("res.partner", "search")] == 1


@pytest.mark.parametrize("odoo_sandbox", ["17.0", "19.0"], indirect=True)
async def test_automation_webhook_posts_once(
    odoo_sandbox: OdooSandbox, odoo_driver: OdooSandboxDriver, unused_tcp_port: int
) -> None:
    """§7.1: {_model, _id, _action} + read(fields, load=None), JSON, once per record."""
    import uvicorn

    received: list[dict[str, Any]] = []

    async def hook(request: Request) -> Response:
        received.append(json.loads(await request.body()))
        return Response("ok")

    config = uvicorn.Config(
        Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
        host="127.0.0.1",
        port=unused_tcp_port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        url = f"http://127.0.0.1:{unused_tcp_port}/hook"
        await odoo_driver.add_webhook("stock.picking", url, fields=["state", "name"])
        await odoo_driver.receive("TSHIRT-0001-BLA-S", 3)
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        assert len(received) == 1
        body = received[0]
        assert body["_model"] == "stock.picking"
        assert body["state"] == "done"
        assert body["_action"] == "Send Webhook Notification(#1)"
        assert body["id"] == body["_id"]
        await odoo_driver.add_webhook(
            "stock.picking", url, trigger="on_write", trigger_fields=["carrier_tracking_ref"]
        )
        await odoo_driver.receive("TSHIRT-0001-BLA-S", 1)  # rule 2 watches tracking only

        def confirm() -> int:
            product = rpc(
                odoo_sandbox,
                "product.product",
                "search",
                [("default_code", "=", "TSHIRT-0001-BLA-S")],
            )[0]
            so = rpc(
                odoo_sandbox,
                "sale.order",
                "create",
                {
                    "partner_id": 7,
                    "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]],
                },
            )
            rpc(odoo_sandbox, "sale.order", "action_confirm", [so])
            return int(so)

        so = await asyncio.to_thread(confirm)
        picking = (await odoo_driver.read("stock.picking", [("sale_id", "=", so)], ["id"]))[0]
        await odoo_driver.deliver(picking["id"], tracking="TRACK-1")
        for _ in range(100):
            if len(received) >= 5:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        actions = [r["_action"] for r in received]
        assert actions.count("Send Webhook Notification(#1)") == 4
        assert actions.count("Send Webhook Notification(#2)") == 1
        tracked = next(r for r in received if r["_action"].endswith("(#2)"))
        assert tracked["_id"] == picking["id"]
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("odoo_sandbox", ["18.0"], indirect=True)
async def test_expiring_key_and_plan_gate(
    odoo_sandbox: OdooSandbox, odoo_driver: OdooSandboxDriver
) -> None:
    """§1.1: 18+ keys expire; Odoo Online Standard has no external API."""
    h, d = odoo_sandbox, odoo_driver
    key = await d.new_api_key("connector", expires_in=60)
    common = xmlrpc.client.ServerProxy(f"{h.url}/xmlrpc/2/common")
    uid = await asyncio.to_thread(common.authenticate, h.world.db, "connector", key, {})
    assert uid
    await d.advance_clock(120)
    assert await asyncio.to_thread(common.authenticate, h.world.db, "connector", key, {}) is False
    obj = xmlrpc.client.ServerProxy(f"{h.url}/xmlrpc/2/object")
    with pytest.raises(xmlrpc.client.Fault) as fault:
        await asyncio.to_thread(obj.execute_kw, h.world.db, uid, key, "res.partner", "search", [[]])
    assert fault.value.faultCode == 3
    assert fault.value.faultString == "Access Denied"
    await d.set_plan("standard")
    with pytest.raises(xmlrpc.client.Fault) as gate:
        await asyncio.to_thread(common.authenticate, h.world.db, "admin", "admin", {})
    assert gate.value.faultCode == 3
    assert "Custom" in gate.value.faultString


@pytest.mark.parametrize("odoo_sandbox", ["17.0"], indirect=True)
async def test_reseed_and_info(odoo_sandbox: OdooSandbox, odoo_driver: OdooSandboxDriver) -> None:
    assert set(odoo_sandbox.info()) == {"url", "db", "login", "password", "api_key", "version"}
    await odoo_driver.seed("demo", seed=3)
    count = len(await odoo_driver.read("product.product", [("default_code", "like", "-")], ["id"]))
    assert count >= 144
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{odoo_sandbox.url}/_sandbox/info")).json()["version"] == "17.0"


@pytest.mark.parametrize("odoo_sandbox", ["17.0"], indirect=True)
async def test_slow_call_keeps_its_start_as_write_date(
    odoo_sandbox: OdooSandbox, odoo_driver: OdooSandboxDriver
) -> None:
    """§3.6: write_date is the transaction start, so a slow call's records carry a time
    earlier than the moment they became visible (pollers need an overlap window)."""
    h = odoo_sandbox
    await odoo_driver.inject("latency", model="res.partner", method="create", seconds=2.2)
    before = h.world.utcnow()
    pid = await asyncio.to_thread(rpc, h, "res.partner", "create", {"name": "Slow"})
    visible_at = h.world.utcnow()
    row = (await odoo_driver.read("res.partner", [("id", "=", pid)], ["write_date"]))[0]
    written = dt.datetime.strptime(row["write_date"], "%Y-%m-%d %H:%M:%S")
    assert before <= written
    assert (visible_at - written).total_seconds() >= 2


@pytest.mark.parametrize("odoo_sandbox", ["17.0"], indirect=True)
async def test_standing_latency_until_cleared(
    odoo_sandbox: OdooSandbox, odoo_driver: OdooSandboxDriver
) -> None:
    """count=None: every matching call is slow (orders benchmark: 20 ms per call)."""
    h = odoo_sandbox
    await odoo_driver.inject("latency", seconds=0.05, count=None)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(3):
        await asyncio.to_thread(rpc, h, "res.partner", "search_count", [])
    assert loop.time() - started >= 0.15
    await odoo_driver.clear_faults()
    assert h.world.faults == []


@pytest.mark.parametrize("odoo_sandbox", ["16.0", "18.0"], indirect=True)
async def test_partial_delivery_and_new_product(
    odoo_sandbox: OdooSandbox, odoo_driver: OdooSandboxDriver
) -> None:
    """Merchant ships part of an order (backorder for the rest, §3.7) and adds a product."""
    h, d = odoo_sandbox, odoo_driver
    pid = await d.create_product("NEW-0001", "New Thing", 12.5, barcode="2999999999994")
    await d.receive("NEW-0001", 5)
    assert await on_hand(h, "NEW-0001", "WH/Stock") == 5

    def confirm() -> str:
        so = rpc(
            h,
            "sale.order",
            "create",
            {"partner_id": 7, "order_line": [[0, 0, {"product_id": pid, "product_uom_qty": 3}]]},
        )
        rpc(h, "sale.order", "action_confirm", [so])
        return str(rpc(h, "sale.order", "read", [so], ["name"])[0]["name"])

    name = await asyncio.to_thread(confirm)
    first = await d.deliver(name, tracking="PART-1", quantities={"NEW-0001": 1})
    pickings = await d.read(
        "stock.picking", [("origin", "=", name)], ["state", "backorder_id", "carrier_tracking_ref"]
    )
    done = next(p for p in pickings if p["id"] == first)
    rest = next(p for p in pickings if p["id"] != first)
    assert done["state"] == "done"
    assert done["carrier_tracking_ref"] == "PART-1"
    assert rest["backorder_id"][0] == first
    assert rest["state"] == "assigned"
    assert await on_hand(h, "NEW-0001", "WH/Stock") == 4
    await d.deliver(name)  # the backorder, in full
    assert await on_hand(h, "NEW-0001", "WH/Stock") == 2
