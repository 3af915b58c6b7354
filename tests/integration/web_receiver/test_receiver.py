"""The Shopify and Odoo webhook receivers against a real state database (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import select

from shopify_odoo.queue import complete_many, lease_many
from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import (
    errors_for_people,
    jobs,
    metric_events,
    product_links,
    webhook_inbox,
)
from shopify_odoo.store.types import utcnow

from .conftest import (
    ODOO_SECRET,
    US_CLIENT_SECRET,
    US_WEBHOOK_SECRET,
    level_body,
    order_body,
    shopify_headers,
)

EU = "/webhooks/shopify/eu"


async def inbox(db: Database) -> list[Any]:
    async with db.connect() as conn:
        return list((await conn.execute(select(webhook_inbox).order_by(webhook_inbox.c.id))).all())


async def job_keys(db: Database) -> set[tuple[str, str]]:
    async with db.connect() as conn:
        return {(r.kind, r.key) for r in await conn.execute(select(jobs.c.kind, jobs.c.key))}


async def link(db: Database, store: str, product_id: int, variant: int, item: int) -> None:
    now = utcnow()
    async with db.begin() as conn:
        await conn.execute(
            product_links.insert().values(
                store=store,
                odoo_product_id=product_id,
                variant_gid=f"gid://shopify/ProductVariant/{variant}",
                inventory_item_gid=f"gid://shopify/InventoryItem/{item}",
                sku="TSHIRT-M",
                matched_by="sku",
                status="linked",
                linked_at=now,
                updated_at=now,
            )
        )


async def test_valid_order_is_stored_and_its_keys_enqueued(
    client: httpx.AsyncClient, db: Database
) -> None:
    await link(db, "eu", 42, variant=808950810, item=39072856)
    body = order_body()
    headers = shopify_headers(body, topic="orders/create", webhook_id="w-1")
    response = await client.post(EU, content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"status": "stored"}
    [row] = await inbox(db)
    assert (row.delivery_id, row.store, row.topic, row.state) == (
        "w-1",
        "eu",
        "orders/create",
        "received",
    )
    assert row.body == body  # the raw bytes, exactly
    assert row.headers["x-shopify-webhook-id"] == "w-1"
    assert row.triggered_at is not None
    assert await job_keys(db) == {
        ("order", "eu:gid://shopify/Order/820982911946154500"),
        ("stock", "42"),
    }
    async with db.connect() as conn:
        kinds = {r.kind for r in await conn.execute(select(metric_events.c.kind))}
    assert kinds == {"webhook_received", "webhook_lag"}


async def test_inventory_level_marks_the_linked_product(
    client: httpx.AsyncClient, db: Database
) -> None:
    await link(db, "eu", 7, variant=1, item=39072856)
    body = level_body(item_id=39072856)
    r = await client.post(
        EU, content=body, headers=shopify_headers(body, topic="inventory_levels/update")
    )
    assert r.status_code == 200
    body = level_body(item_id=999)  # not linked: nothing to plan
    r = await client.post(
        EU, content=body, headers=shopify_headers(body, topic="inventory_levels/update")
    )
    assert r.status_code == 200
    assert await job_keys(db) == {("stock", "7")}
    assert len(await inbox(db)) == 2


async def test_tampered_body_is_refused_and_not_stored(
    client: httpx.AsyncClient, db: Database
) -> None:
    body = order_body()
    headers = shopify_headers(body, topic="orders/create")
    r = await client.post(
        EU, content=body.replace(b'"quantity": 2', b'"quantity": 9'), headers=headers
    )
    assert r.status_code == 401
    assert await inbox(db) == []
    assert await job_keys(db) == set()


async def test_wrong_secret_and_missing_header_are_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    body = order_body()
    wrong = shopify_headers(body, topic="orders/create", secret="not-the-secret")
    assert (await client.post(EU, content=body, headers=wrong)).status_code == 401
    # the other store's secret does not open this store
    other = shopify_headers(body, topic="orders/create", secret=US_WEBHOOK_SECRET)
    assert (await client.post(EU, content=body, headers=other)).status_code == 401
    missing = shopify_headers(body, topic="orders/create")
    del missing["X-Shopify-Hmac-Sha256"]
    assert (await client.post(EU, content=body, headers=missing)).status_code == 401
    garbage = shopify_headers(body, topic="orders/create")
    garbage["X-Shopify-Hmac-Sha256"] = "%%%not base64%%%"
    assert (await client.post(EU, content=body, headers=garbage)).status_code == 401
    assert await inbox(db) == []


async def test_rotated_secret_both_keys_accepted(client: httpx.AsyncClient, db: Database) -> None:
    body = order_body()
    for i, secret in enumerate((US_CLIENT_SECRET, US_WEBHOOK_SECRET)):
        headers = shopify_headers(
            body,
            topic="orders/create",
            secret=secret,
            shop="acme-us.myshopify.com",
            webhook_id=f"rot-{i}",
        )
        r = await client.post("/webhooks/shopify/us", content=body, headers=headers)
        assert r.status_code == 200, r.text
    assert [(r.delivery_id, r.store) for r in await inbox(db)] == [("rot-0", "us"), ("rot-1", "us")]


async def test_delivery_for_another_shop_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    body = order_body()
    headers = shopify_headers(body, topic="orders/create", shop="acme-us.myshopify.com")
    r = await client.post(EU, content=body, headers=headers)
    assert r.status_code == 401
    assert await inbox(db) == []


async def test_unknown_store_is_404(client: httpx.AsyncClient, db: Database) -> None:
    body = order_body()
    r = await client.post(
        "/webhooks/shopify/asia", content=body, headers=shopify_headers(body, topic="orders/create")
    )
    assert r.status_code == 404
    assert "asia" in r.json()["error"]
    assert await inbox(db) == []


async def test_oversize_body_is_413(client: httpx.AsyncClient, db: Database) -> None:
    big = b'{"pad": "' + b"x" * (64 * 1024) + b'"}'
    r = await client.post(EU, content=big, headers=shopify_headers(big, topic="orders/create"))
    assert r.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while reading
        for _ in range(70):
            yield b"x" * 1024

    headers = shopify_headers(b"", topic="orders/create")
    r = await client.post(EU, content=chunks(), headers=headers)
    assert r.status_code == 413
    assert await inbox(db) == []


async def test_duplicate_delivery_is_acknowledged_without_reenqueue(
    client: httpx.AsyncClient, db: Database
) -> None:
    body = order_body()
    headers = shopify_headers(body, topic="orders/create", webhook_id="dup-1")
    assert (await client.post(EU, content=body, headers=headers)).json() == {"status": "stored"}
    # the worker runs the job to completion
    async with db.begin() as conn:
        leases = await lease_many(conn, 10)
        await complete_many(conn, leases)
    assert len(leases) == 1
    r = await client.post(EU, content=body, headers=headers)
    assert r.status_code == 200
    assert r.json() == {"status": "duplicate"}
    assert len(await inbox(db)) == 1
    async with db.connect() as conn:
        states = [s for (s,) in await conn.execute(select(jobs.c.state))]
    assert states == []  # completed jobs are removed; nothing new was enqueued


async def test_concurrent_deliveries_with_duplicates(
    client: httpx.AsyncClient, db: Database
) -> None:
    async def send(i: int) -> str:
        body = order_body(order_id=1000 + i % 20)
        headers = shopify_headers(body, topic="orders/create", webhook_id=f"c-{i % 20}")
        r = await client.post(EU, content=body, headers=headers)
        assert r.status_code == 200
        return str(r.json()["status"])

    statuses = await asyncio.gather(*(send(i) for i in range(60)))
    assert statuses.count("stored") == 20
    assert statuses.count("duplicate") == 40
    assert len(await inbox(db)) == 20
    assert len(await job_keys(db)) == 20


async def test_signed_but_unparseable_is_kept_for_a_person(
    client: httpx.AsyncClient, db: Database
) -> None:
    for topic, body in (
        ("orders/create", b"{not json"),
        ("orders/create", b'{"no": "id"}'),
        ("shop/redact", b"{}"),
    ):
        r = await client.post(EU, content=body, headers=shopify_headers(body, topic=topic))
        assert r.status_code == 200
    rows = await inbox(db)
    assert [r.state for r in rows] == ["unparseable"] * 3
    assert rows[0].body == b"{not json"
    assert "not JSON" in rows[0].parse_error
    assert "shop/redact" in rows[2].parse_error
    assert await job_keys(db) == set()
    async with db.connect() as conn:
        errors = (await conn.execute(select(errors_for_people))).all()
        unparseable = (
            await conn.execute(
                select(metric_events).where(metric_events.c.kind == "webhook_unparseable")
            )
        ).all()
    assert len(errors) == 3
    assert len(unparseable) == 3
    assert {e.cause for e in errors} == {"webhook_payload"}
    assert all(e.store == "eu" and "eu" in e.message and e.next_step for e in errors)


async def test_odoo_webhook(client: httpx.AsyncClient, db: Database) -> None:
    payload = {
        "_model": "stock.move.line",
        "_id": 9,
        "_action": "Send Webhook Notification(#1)",
        "id": 9,
        "product_id": 31,
    }
    body = json.dumps(payload, sort_keys=True).encode()
    assert (await client.post("/webhooks/odoo", content=body)).status_code == 401
    assert (await client.post("/webhooks/odoo?token=nope", content=body)).status_code == 401
    r = await client.post(f"/webhooks/odoo?token={ODOO_SECRET}", content=body)
    assert r.status_code == 200
    product = json.dumps({"_model": "product.product", "_id": 55, "id": 55}).encode()
    r = await client.post(
        "/webhooks/odoo", content=product, headers={"X-Shopify-Odoo-Token": ODOO_SECRET}
    )
    assert r.status_code == 200
    bare = json.dumps({"_model": "stock.quant", "_id": 3, "id": 3}).encode()
    assert (
        await client.post(f"/webhooks/odoo?token={ODOO_SECRET}", content=bare)
    ).status_code == 200
    assert (
        await client.post(f"/webhooks/odoo?token={ODOO_SECRET}", content=b"[1]")
    ).status_code == 400
    assert await job_keys(db) == {("stock", "31"), ("stock", "55"), ("odoo_poll", "now")}


async def test_health_and_metrics(client: httpx.AsyncClient, db: Database) -> None:
    body = order_body()
    await client.post(EU, content=body, headers=shopify_headers(body, topic="orders/create"))
    health = await client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    text = metrics.text
    assert 'shopify_odoo_queue_jobs{state="pending"} 1.0' in text
    assert "shopify_odoo_webhooks_received 1.0" in text
    assert 'shopify_odoo_webhook_lag_seconds{quantile="0.99"}' in text
