"""A done Odoo delivery becomes exactly one Shopify fulfillment even when the pass dies between
Shopify's ``fulfillmentCreate`` and our commit, when Shopify's answer is lost, or when another
pass of the same order fulfils it while this one is between its reads and its create.

``fulfillmentCreate`` takes no idempotency key in 2026-04 (fact sheet §a.6: ``@idempotent`` only
on mutations whose description says so; §e.2), so the connector reads before it creates: the
plan is made from the order read at the start of the pass, and the fulfillment order is read
again right before each create.  Every case ships 1 of 2 units, so a second create would still
be accepted by Shopify (the line has 1 left) and would fulfil a unit nobody shipped.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shopify_odoo.engine import orders as orders_module
from shopify_odoo.engine.order_fulfillment import FulfillmentOrderChanged
from shopify_odoo.engine.order_poller import poll_pickings
from shopify_odoo.engine.orders import OrderSync
from shopify_odoo.errors import TransientError
from shopify_odoo.sandbox.shopify.model import Order
from shopify_odoo.sandbox.shopify.storefront import Cart
from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.store.tables import order_links

from .harness import OrderEngine, order_engine
from .test_delivery_versions import import_one, pickings_of, ship_as_a_person

SKU = "TSHIRT-0001-BLA-M"
EXCL = {"tax_rate": Decimal("0.15"), "taxes_included": False}
CARRIERS = [{"odoo_carrier": "Express Delivery", "company": "DHL Express"}]


async def _one_unit_shipped(oe: OrderEngine) -> tuple[Order, int]:
    """An order of 2 units whose delivery shipped 1 (the other on a backorder), polled."""
    order = oe.place(Cart(lines=[(SKU, 2)], **EXCL))
    so_id = await import_one(oe, order)
    [picking] = await pickings_of(oe, so_id)
    [product] = await oe.rt.odoo.search("product.product", [("default_code", "=", SKU)])
    await ship_as_a_person(oe, picking["id"], {product: 1}, "TRACK-1")
    assert await poll_pickings(oe.rt) == 1
    return order, picking["id"]


def _fulfilled_units(oe: OrderEngine, order: Order) -> list[int]:
    return [sum(q for _i, _li, q in f.lines) for f in oe.store().orders[order.id].fulfillments]


async def _recorded(oe: OrderEngine, order: Order) -> list[int]:
    async with oe.rt.db.connect() as conn:
        value: Any = (
            await conn.execute(
                select(order_links.c.pickings).where(
                    order_links.c.shopify_order_gid == f"gid://shopify/Order/{order.id}"
                )
            )
        ).scalar_one()
    return sorted((value or {}).get("sent") or [])


async def _settles(oe: OrderEngine, order: Order, picking_id: int) -> None:
    """Later passes (the job retried, a webhook) send nothing more and record the picking."""
    for _ in range(2):
        [result] = await oe.import_orders(order)
        result.raise_for_problem()
    assert _fulfilled_units(oe, order) == [1]
    assert await _recorded(oe, order) == [picking_id]


async def test_a_crash_between_shopifys_create_and_our_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with order_engine(tmp_path, carriers=CARRIERS) as oe:
        order, picking_id = await _one_unit_shipped(oe)

        async def die(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError("the worker was killed before it committed")

        with monkeypatch.context() as patch:
            patch.setattr(orders_module, "write_recorded", die)
            with pytest.raises(RuntimeError, match="killed"):
                await oe.import_orders(order)
        assert _fulfilled_units(oe, order) == [1]  # Shopify has it, we never recorded it
        assert await _recorded(oe, order) == []
        await _settles(oe, order, picking_id)


async def test_shopifys_answer_to_the_create_is_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with order_engine(tmp_path, carriers=CARRIERS) as oe:
        order, picking_id = await _one_unit_shipped(oe)
        real = ShopifyClient.create_fulfillment

        async def lost(self: ShopifyClient, *args: Any, **kwargs: Any) -> Any:
            await real(self, *args, **kwargs)  # Shopify creates it...
            raise TransientError("fulfillmentCreate timed out (ReadTimeout)", cause="timeout")

        with monkeypatch.context() as patch:
            patch.setattr(ShopifyClient, "create_fulfillment", lost)
            [result] = await oe.import_orders(order)
        with pytest.raises(TransientError, match="timed out"):
            result.raise_for_problem()  # the job is retried
        assert _fulfilled_units(oe, order) == [1]
        await _settles(oe, order, picking_id)


async def test_another_pass_fulfils_while_this_one_is_between_its_reads_and_its_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E.g. a pass that outlived its lease: the queue gave the key to another worker, which
    ran a whole pass while this one was still reading Odoo after reading the order."""
    async with order_engine(tmp_path, carriers=CARRIERS) as oe:
        order, picking_id = await _one_unit_shipped(oe)
        key = f"shop1:gid://shopify/Order/{order.id}"
        other = OrderSync(oe.rt)
        real_read = orders_module.read_recorded
        ran: list[bool] = []

        async def read_then_let_the_other_pass_run(*args: Any, **kwargs: Any) -> Any:
            # this pass has read the order, the deliveries and what is recorded: now the
            # other one runs from start to end
            recorded = await real_read(*args, **kwargs)
            if not ran:
                ran.append(True)
                [other_result] = (await other.process([key])).values()
                other_result.raise_for_problem()
                assert _fulfilled_units(oe, order) == [1]
            return recorded

        monkeypatch.setattr(orders_module, "read_recorded", read_then_let_the_other_pass_run)
        [result] = await oe.import_orders(order)
        assert ran == [True]
        with pytest.raises(FulfillmentOrderChanged, match="changed since this pass read"):
            result.raise_for_problem()  # transient: the job is retried with a fresh read
        assert _fulfilled_units(oe, order) == [1]  # not [1, 1]
        await _settles(oe, order, picking_id)
