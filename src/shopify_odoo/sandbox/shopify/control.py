"""Control API for tests and the demo, apart from the Admin API (issue 4 item 7):
``/_sandbox/...`` on its own port."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shopify_odoo.errors import TerminalError

from .ids import gid
from .model import QUANTITY_NAMES, Order
from .payloads import order_json
from .storefront import (
    Cart,
    CheckoutRefused,
    delete_product,
    edit_order,
    place_order,
    refund_lines,
    update_fulfillment,
)
from .webhooks import topic_enum
from .world import Store

if TYPE_CHECKING:
    from .server import ShopifySandbox


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, default=str).encode(), status_code=status, media_type="application/json"
    )


def levels_of(store: Store, sku: str) -> list[dict[str, Any]]:
    out = []
    for v in store.variants_by_sku(sku):
        for loc in store.locations:
            lvl = v.levels[loc.index] if loc.index < len(v.levels) else None
            if lvl is None:
                continue
            out.append(
                {
                    "location": loc.name,
                    "location_id": gid("Location", loc.id),
                    "inventory_item_id": gid("InventoryItem", v.item_id),
                    "active": lvl.active,
                    **{n: lvl.get(n) for n in QUANTITY_NAMES},
                }
            )
    return out


def store_state(store: Store, *, variants: bool = True) -> dict[str, Any]:
    state: dict[str, Any] = {
        "handle": store.handle,
        "plan": store.plan,
        "installed": store.installed,
        "bucket": store.bucket.status(),
        "locations": [
            {
                "id": gid("Location", loc.id),
                "name": loc.name,
                "role": loc.role,
                "fulfills_online_orders": loc.fulfills_online_orders,
                "is_fulfillment_service": loc.is_fulfillment_service,
                "active": loc.active,
            }
            for loc in store.locations
        ],
        "counts": {
            "products": len(store.products),
            "variants": len(store.variants),
            "orders": len(store.orders),
            "customers": len(store.customers),
        },
        "orders": [order_json(store, o) for o in store.orders.values()],
        "customers": [
            {"id": c.id, "email": c.email, "orders_count": c.orders_count}
            for c in store.customers.values()
        ],
        "subscriptions": [
            {"id": gid("WebhookSubscription", s.id), "topic": s.topic, "uri": s.uri}
            for s in store.subscriptions.values()
        ],
        "bulk_operations": [
            {"id": gid("BulkOperation", b.id), "status": b.status, "url": b.url}
            for b in store.bulk_operations.values()
        ],
    }
    if variants:
        state["variants"] = [
            {
                "id": gid("ProductVariant", v.id),
                "inventory_item_id": gid("InventoryItem", v.item_id),
                "product_id": gid("Product", v.product_id),
                "sku": v.sku,
                "barcode": v.barcode,
                "price": str(Decimal(v.price_cents) / 100),
                "levels": {
                    store.locations[i].name: {n: lvl.get(n) for n in QUANTITY_NAMES}
                    for i, lvl in enumerate(v.levels)
                    if lvl is not None and i < len(store.locations)
                },
            }
            for v in store.iter_variants()
        ]
    return state


def _cart(body: dict[str, Any]) -> Cart:
    lines = [(str(x["sku"]), int(x.get("quantity", 1))) for x in body.get("lines") or []]
    if not lines:
        raise TerminalError('an order needs lines: [{"sku": ..., "quantity": ...}]')
    kw: dict[str, Any] = {}
    for key in (
        "email",
        "first_name",
        "last_name",
        "presentment_currency",
        "taxes_included",
        "paid",
    ):
        if key in body:
            kw[key] = body[key]
    for key in ("tax_rate", "rate", "gift_card", "tip"):
        if key in body:
            kw[key] = Decimal(str(body[key]))
    if body.get("discount_code"):
        kw["discount_code"] = (
            body["discount_code"]["code"],
            Decimal(str(body["discount_code"]["percent"])),
        )
    if body.get("automatic_discount"):
        kw["automatic_discount"] = (
            body["automatic_discount"]["title"],
            Decimal(str(body["automatic_discount"]["percent"])),
        )
    if "shipping" in body:
        s = body["shipping"]
        kw["shipping"] = None if s is None else (s["title"], Decimal(str(s["price"])))
    return Cart(lines=lines, **kw)


def control_app(sandbox: ShopifySandbox, scenario: str) -> Starlette:
    world = sandbox.world

    async def body_of(request: Request) -> dict[str, Any]:
        raw = await request.body()
        data = json.loads(raw) if raw else {}
        return data if isinstance(data, dict) else {}

    def store_of(request: Request) -> Store:
        return sandbox.store(request.path_params["handle"])

    def order_of(request: Request) -> tuple[Store, Order]:
        store = store_of(request)
        oid = int(str(request.path_params["order_id"]).rsplit("/", 1)[-1])
        return store, store.orders[oid]

    async def info(_: Request) -> Response:
        return _json(sandbox.info())

    async def state(request: Request) -> Response:
        full = request.query_params.get("variants", "1") != "0"
        wanted = request.query_params.get("store")
        return _json(
            {
                "stores": [
                    store_state(s, variants=full)
                    for s in sandbox.stores
                    if not wanted or s.handle == wanted
                ],
                "deliveries": len(sandbox.outbox.log),
            }
        )

    async def seed(request: Request) -> Response:
        body = await body_of(request)
        chosen = body.get("scenario", scenario)
        for store in sandbox.stores:
            for attr in (
                "products",
                "variants",
                "items",
                "sku_index",
                "barcode_index",
                "orders",
                "customers",
                "adjustment_groups",
                "idempotency",
            ):
                getattr(store, attr).clear()
            store.variant_order.clear()
            store.product_order.clear()
            world.seed_catalogue(store, chosen)
        return _json({"scenario": chosen, "stores": [s.handle for s in sandbox.stores]})

    async def create_order(request: Request) -> Response:
        store = store_of(request)
        try:
            order = place_order(world, store, _cart(await body_of(request)))
        except CheckoutRefused as exc:
            return _json({"error": str(exc)}, 409)
        except TerminalError as exc:
            return _json({"error": str(exc)}, 400)
        return _json(
            {
                "id": order.id,
                "admin_graphql_api_id": gid("Order", order.id),
                "name": order.name,
                "order": order_json(store, order),
            },
            201,
        )

    async def stock(request: Request) -> Response:
        store = store_of(request)
        b = await body_of(request)
        try:
            delta = sandbox.set_stock(
                store.handle,
                b["sku"],
                b.get("location", "Main Warehouse"),
                int(b["quantity"]),
                b.get("name", "available"),
            )
        except (KeyError, LookupError) as exc:
            return _json({"error": str(exc)}, 404)
        return _json({"delta": delta, "levels": levels_of(store, b["sku"])})

    async def levels(request: Request) -> Response:
        return _json(levels_of(store_of(request), request.query_params.get("sku", "")))

    async def cancel(request: Request) -> Response:
        store, order = order_of(request)
        b = await body_of(request)
        try:
            sandbox.cancel_order(store.handle, order.id, restock=bool(b.get("restock", True)))
        except TerminalError as exc:
            return _json({"error": str(exc)}, 409)
        return _json(order_json(store, order))

    async def fulfil_order(request: Request) -> Response:
        store, order = order_of(request)
        b = await body_of(request)
        try:
            sandbox.fulfil_order(
                store.handle, order.id, company=b.get("company", "DHL"), number=b.get("number")
            )
        except TerminalError as exc:
            return _json({"error": str(exc)}, 409)
        return _json(order_json(store, order))

    async def deliver(request: Request) -> Response:
        store, order = order_of(request)
        b = await body_of(request)
        for f in order.fulfillments:
            update_fulfillment(world, store, order, f, b.get("shipment_status", "delivered"))
        return _json(order_json(store, order))

    async def refund(request: Request) -> Response:
        store, order = order_of(request)
        b = await body_of(request)
        try:
            refund_lines(
                world,
                store,
                order,
                [(int(x["line_item_id"]), int(x["quantity"])) for x in b.get("lines", [])],
                restock=bool(b.get("restock", True)),
            )
        except TerminalError as exc:
            return _json({"error": str(exc)}, 409)
        return _json(order_json(store, order))

    async def edit(request: Request) -> Response:
        store, order = order_of(request)
        b = await body_of(request)
        try:
            edit_order(world, store, order, int(b["line_item_id"]), int(b.get("remove", 1)))
        except TerminalError as exc:
            return _json({"error": str(exc)}, 409)
        return _json(order_json(store, order))

    async def drop_product(request: Request) -> Response:
        store = store_of(request)
        try:
            delete_product(
                world, store, int(str(request.path_params["product_id"]).rsplit("/", 1)[-1])
            )
        except TerminalError as exc:
            return _json({"error": str(exc)}, 404)
        return _json({"deleted": True})

    async def faults(request: Request) -> Response:
        store = store_of(request)
        b = await body_of(request)
        f = store.faults
        f.http_errors = int(b.get("http_errors", f.http_errors))
        f.http_status = int(b.get("http_status", f.http_status))
        f.slow_seconds = float(b.get("slow_seconds", f.slow_seconds))
        if "drain_bucket" in b:  # throttle knob: leave this many points in the bucket
            store.bucket.drain(float(b["drain_bucket"]))
        if "rate_limited" in b:
            store.rate_limited = bool(b["rate_limited"])
        if "same_organisation" in b:
            store.same_organisation = bool(b["same_organisation"])
        if b.get("expire_tokens"):
            for tok in store.tokens.values():
                if tok.expires_at is not None:
                    tok.expires_at = world.now()
        if "token_lifetime" in b:
            store.token_lifetime = float(b["token_lifetime"])
        return _json(
            {
                "http_errors": f.http_errors,
                "http_status": f.http_status,
                "slow_seconds": f.slow_seconds,
                "bucket": store.bucket.status(),
            }
        )

    async def subscribe(request: Request) -> Response:
        store = store_of(request)
        b = await body_of(request)
        from .model import WebhookSubscription

        topics = b.get("topics") or [b["topic"]]
        made = []
        for t in topics:
            sub = WebhookSubscription(
                world.new_id(), topic_enum(t) if "/" in t else t, b["uri"], world.now(), world.now()
            )
            store.subscriptions[sub.id] = sub
            made.append(gid("WebhookSubscription", sub.id))
        return _json({"subscriptions": made}, 201)

    async def uninstall(request: Request) -> Response:
        store = store_of(request)
        world.emit(
            store,
            "app/uninstalled",
            {
                "id": store.shop_id,
                "name": store.name,
                "domain": store.domain,
                "myshopify_domain": store.domain,
            },
            None,
        )
        store.installed = False
        store.tokens.clear()
        return _json({"uninstalled": store.handle})

    async def knobs(request: Request) -> Response:
        b = await body_of(request)
        k = sandbox.outbox.knobs
        for key in ("duplicate", "reorder_window", "drop_first"):
            if key in b:
                setattr(k, key, int(b[key]))
        for key in ("delay", "timeout"):
            if key in b:
                setattr(k, key, float(b[key]))
        if "retry_delays" in b:
            k.retry_delays = tuple(float(x) for x in b["retry_delays"])
        return _json(
            {
                "duplicate": k.duplicate,
                "reorder_window": k.reorder_window,
                "delay": k.delay,
                "drop_first": k.drop_first,
                "retry_delays": list(k.retry_delays),
                "timeout": k.timeout,
            }
        )

    async def drain(request: Request) -> Response:
        b = await body_of(request)
        await sandbox.drain(float(b.get("timeout", 30.0)))
        return _json({"pending": sandbox.outbox.pending})

    async def deliveries(_: Request) -> Response:
        return _json(
            [
                {
                    "webhook_id": d.webhook_id,
                    "store": d.store,
                    "topic": d.topic,
                    "uri": d.uri,
                    "status": d.status,
                    "attempts": d.attempts,
                    "responses": d.responses,
                }
                for d in sandbox.outbox.log
            ]
        )

    r = "/_sandbox/stores/{handle}"
    return Starlette(
        routes=[
            Route("/_sandbox/info", info),
            Route("/_sandbox/state", state),
            Route("/_sandbox/seed", seed, methods=["POST"]),
            Route(f"{r}/orders", create_order, methods=["POST"]),
            Route(f"{r}/orders/{{order_id:path}}/cancel", cancel, methods=["POST"]),
            Route(f"{r}/orders/{{order_id:path}}/fulfil", fulfil_order, methods=["POST"]),
            Route(f"{r}/orders/{{order_id:path}}/deliver", deliver, methods=["POST"]),
            Route(f"{r}/orders/{{order_id:path}}/refund", refund, methods=["POST"]),
            Route(f"{r}/orders/{{order_id:path}}/edit", edit, methods=["POST"]),
            Route(f"{r}/products/{{product_id:path}}/delete", drop_product, methods=["POST"]),
            Route(f"{r}/stock", stock, methods=["POST"]),
            Route(f"{r}/levels", levels),
            Route(f"{r}/faults", faults, methods=["POST"]),
            Route(f"{r}/webhooks", subscribe, methods=["POST"]),
            Route(f"{r}/uninstall", uninstall, methods=["POST"]),
            Route("/_sandbox/webhooks/knobs", knobs, methods=["POST"]),
            Route("/_sandbox/webhooks/drain", drain, methods=["POST"]),
            Route("/_sandbox/webhooks/deliveries", deliveries),
        ]
    )
