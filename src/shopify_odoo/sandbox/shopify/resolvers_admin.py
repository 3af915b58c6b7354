"""Webhook subscriptions (§d.2, correction 13), bulk operations (§c), productSet (§f),
fulfillmentCreate (§e.2) and orderCancel (§e.5)."""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation
from typing import Any

from shopify_odoo.errors import TerminalError

from .bulk import check_query, spawn_bulk
from .clock import iso
from .gql import Ctx, field
from .ids import gid, gid_id
from .info import Info
from .inventory import emit_levels, item_body, set_quantity
from .model import (
    BulkOperation,
    FulfillmentOrder,
    Level,
    Order,
    Product,
    Variant,
    WebhookSubscription,
)
from .paging import Conn, paginate
from .storefront import cancel_order, emit_product, fulfil
from .views import lookup
from .webhooks import API_VERSION, TOPICS, topic_enum

BULK_TASKS: set[asyncio.Task[None]] = set()


def _ctx(info: Info) -> Ctx:
    ctx: Ctx = info.context
    return ctx


# ------------------------------------------------------------------ webhook subscriptions

field("WebhookSubscription", "id")(lambda s, _i: gid("WebhookSubscription", s.id))
field("WebhookSubscription", "legacyResourceId")(lambda s, _i: str(s.id))
field("WebhookSubscription", "topic")(lambda s, _i: s.topic)
field("WebhookSubscription", "uri")(lambda s, _i: s.uri)
field("WebhookSubscription", "format")(lambda s, _i: s.format)
field("WebhookSubscription", "includeFields")(lambda s, _i: list(s.include_fields))
field("WebhookSubscription", "filter")(lambda s, _i: s.filter)
field("WebhookSubscription", "name")(lambda s, _i: s.name)
# "The API version cannot be set per subscription" (correction 13)
field("WebhookSubscription", "apiVersion")(
    lambda s, _i: {"handle": API_VERSION, "displayName": API_VERSION, "supported": True}
)
field("WebhookSubscription", "createdAt")(lambda s, _i: iso(s.created_at))
field("WebhookSubscription", "updatedAt")(lambda s, _i: iso(s.updated_at))


@field("QueryRoot", "webhookSubscriptions")
def _subscriptions(_: Any, info: Info, **args: Any) -> Conn:
    store = _ctx(info).store
    topics = set(args.get("topics") or [])
    rows = [
        s
        for s in store.subscriptions.values()
        if (not topics or s.topic in topics) and (not args.get("uri") or s.uri == args["uri"])
    ]
    return paginate(_ctx(info), info, args, rows)


@field("QueryRoot", "webhookSubscription")
def _subscription(_: Any, info: Info, id: str) -> Any:
    found = lookup(_ctx(info).store, id)
    return found if isinstance(found, WebhookSubscription) else None


@field("Mutation", "webhookSubscriptionCreate")
def _subscription_create(
    _: Any, info: Info, topic: str, webhookSubscription: dict[str, Any]
) -> Any:
    ctx = _ctx(info)
    uri = webhookSubscription.get("uri")
    errors = []
    if not uri or not str(uri).startswith(("http://", "https://", "pubsub://", "arn:")):
        errors.append({"field": ["webhookSubscription", "uri"], "message": "Address is invalid"})
    if topic not in {topic_enum(t) for t in TOPICS}:
        # the enum accepts 222 topics; the sandbox emits only these (§d.1)
        errors.append(
            {
                "field": ["topic"],
                "message": f"The sandbox does not emit {topic}: supported topics are "
                + ", ".join(topic_enum(t) for t in TOPICS),
            }
        )
    if any(s.topic == topic and s.uri == uri for s in ctx.store.subscriptions.values()):
        errors.append(
            {
                "field": ["webhookSubscription", "uri"],
                "message": "Address for this topic has already been taken",
            }
        )
    if errors:
        return {"webhookSubscription": None, "userErrors": errors}
    now = ctx.world.now()
    sub = WebhookSubscription(
        id=ctx.world.new_id(),
        topic=topic,
        uri=str(uri),
        created_at=now,
        updated_at=now,
        format=webhookSubscription.get("format") or "JSON",
        include_fields=tuple(webhookSubscription.get("includeFields") or ()),
        filter=webhookSubscription.get("filter"),
        name=webhookSubscription.get("name"),
    )
    ctx.store.subscriptions[sub.id] = sub
    return {"webhookSubscription": sub, "userErrors": []}


@field("Mutation", "webhookSubscriptionDelete")
def _subscription_delete(_: Any, info: Info, id: str) -> Any:
    store = _ctx(info).store
    num = gid_id(id, "WebhookSubscription")
    if num is None or store.subscriptions.pop(num, None) is None:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
        }
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


# ------------------------------------------------------------------ bulk operations

field("BulkOperation", "id")(lambda b, _i: gid("BulkOperation", b.id))
field("BulkOperation", "status")(lambda b, _i: b.status)
field("BulkOperation", "errorCode")(lambda b, _i: b.error_code)
field("BulkOperation", "objectCount")(lambda b, _i: str(b.object_count))
field("BulkOperation", "rootObjectCount")(lambda b, _i: str(b.root_object_count))
field("BulkOperation", "fileSize")(lambda b, _i: None if b.file_size is None else str(b.file_size))
field("BulkOperation", "url")(lambda b, _i: b.url)
field("BulkOperation", "partialDataUrl")(lambda b, _i: None)
field("BulkOperation", "query")(lambda b, _i: b.query)
field("BulkOperation", "type")(lambda b, _i: "QUERY")
field("BulkOperation", "createdAt")(lambda b, _i: iso(b.created_at))
field("BulkOperation", "completedAt")(lambda b, _i: iso(b.completed_at) if b.completed_at else None)


@field("QueryRoot", "bulkOperation")
def _bulk_operation(_: Any, info: Info, id: str) -> Any:
    found = lookup(_ctx(info).store, id)
    return found if isinstance(found, BulkOperation) else None


@field("QueryRoot", "currentBulkOperation")
def _current_bulk(_: Any, info: Info, type: str = "QUERY") -> Any:
    ops = list(_ctx(info).store.bulk_operations.values())
    return ops[-1] if ops and type == "QUERY" else None


@field("Mutation", "bulkOperationRunQuery")
def _bulk_run(_: Any, info: Info, query: str, groupObjects: bool = False) -> Any:
    ctx = _ctx(info)
    problem = check_query(query)
    if problem:
        return {
            "bulkOperation": None,
            "userErrors": [{"code": "INVALID", "field": ["query"], "message": problem}],
        }
    running = [b for b in ctx.store.bulk_operations.values() if b.status in ("CREATED", "RUNNING")]
    if len(running) >= 5:  # up to five bulk queries at once from 2026-01 (§c)
        return {
            "bulkOperation": None,
            "userErrors": [
                {
                    "code": "OPERATION_IN_PROGRESS",
                    "field": None,
                    "message": "A bulk query operation for this app and shop is already in "
                    "progress",
                }
            ],
        }
    op = BulkOperation(id=ctx.world.new_id(), query=query, created_at=ctx.world.now())
    ctx.store.bulk_operations[op.id] = op
    ctx.effects.append(lambda: spawn_bulk(ctx.world, ctx.store, op, BULK_TASKS))
    return {"bulkOperation": op, "userErrors": []}


# ------------------------------------------------------------------ productSet (§f)


def _cents(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(Decimal(str(value)) * 100)
    except InvalidOperation:
        return None


@field("Mutation", "productSet")
def _product_set(
    _: Any,
    info: Info,
    input: dict[str, Any],
    synchronous: bool = True,
    identifier: dict[str, Any] | None = None,
) -> Any:
    ctx = _ctx(info)
    store, world = ctx.store, ctx.world
    product: Product | None = None
    if identifier and identifier.get("id"):
        product = store.products.get(gid_id(identifier["id"], "Product") or 0)
        if product is None:
            return {
                "product": None,
                "userErrors": [
                    {
                        "code": "PRODUCT_DOES_NOT_EXIST",
                        "field": ["identifier", "id"],
                        "message": "Product does not exist",
                    }
                ],
            }
    elif identifier and identifier.get("handle"):
        product = next(
            (p for p in store.products.values() if p.handle == identifier["handle"]), None
        )
    created = product is None
    now = world.now()
    if product is None:
        if not input.get("title"):
            return {
                "product": None,
                "userErrors": [
                    {
                        "code": "MISSING_FIELD_REQUIRED",
                        "field": ["input", "title"],
                        "message": "Title can't be blank",
                    }
                ],
            }
        product = Product(
            world.new_id(),
            input["title"],
            input.get("handle") or input["title"].lower().replace(" ", "-"),
            (),
            [],
            now,
            now,
        )
        store.products[product.id] = product
        store.product_order.append(product.id)
    for key, attr in (
        ("title", "title"),
        ("handle", "handle"),
        ("status", "status"),
        ("vendor", "vendor"),
        ("productType", "product_type"),
        ("descriptionHtml", "description_html"),
    ):
        if input.get(key) is not None:
            setattr(product, attr, input[key])
    if input.get("tags") is not None:
        product.tags = tuple(input["tags"])
    if input.get("productOptions") is not None:
        product.option_names = tuple(o.get("name") or "" for o in input["productOptions"])
    touched: list[tuple[Variant, Level]] = []
    items_changed: list[Variant] = []
    if input.get("variants") is not None:
        # list fields are replaced: missing variants are deleted (§f)
        keep: list[int] = []
        for pos, vin in enumerate(input["variants"], start=1):
            v = (
                store.variants.get(gid_id(vin.get("id"), "ProductVariant") or 0)
                if vin.get("id")
                else None
            )
            opts = tuple(o.get("name") or "" for o in vin.get("optionValues") or [])
            sku = vin.get("sku") or (vin.get("inventoryItem") or {}).get("sku")
            if v is None:
                v = Variant(
                    world.new_id(),
                    world.new_id(),
                    product.id,
                    sku or "",
                    vin.get("barcode"),
                    opts,
                    _cents(vin.get("price")) or 0,
                    _cents(vin.get("compareAtPrice")),
                    pos,
                    now,
                    now,
                    [None] * len(store.locations),
                )
                store.variants[v.id] = v
                store.items[v.item_id] = v
                store.variant_order.append(v.id)
                store.index_variant(v)
            else:
                if sku is not None and sku != v.sku:
                    store.unindex_variant(v)
                    v.sku = sku
                    store.index_variant(v)
                    items_changed.append(v)
                v.options = opts or v.options
                if vin.get("price") is not None:
                    v.price_cents = _cents(vin["price"]) or 0
                if "compareAtPrice" in vin:
                    v.compare_at_cents = _cents(vin["compareAtPrice"])
                if vin.get("barcode") is not None:
                    v.barcode = vin["barcode"]
                v.position = pos
                v.updated_at = now
            if vin.get("inventoryPolicy"):
                v.policy_continue = vin["inventoryPolicy"] == "CONTINUE"
            for q in vin.get("inventoryQuantities") or []:
                loc = store.location(gid_id(q.get("locationId"), "Location") or 0)
                if loc is None:
                    continue
                lvl = v.levels[loc.index]
                if lvl is None:
                    lvl = Level(loc.id, now, now)
                    v.levels[loc.index] = lvl
                set_quantity(lvl, q.get("name") or "available", q["quantity"])  # no CAS here (§f)
                lvl.updated_at = now
                touched.append((v, lvl))
            keep.append(v.id)
        for vid in product.variant_ids:
            if vid not in keep and vid in store.variants:
                gone = store.variants.pop(vid)
                store.items.pop(gone.item_id, None)
                store.unindex_variant(gone)
        product.variant_ids = keep
    product.updated_at = now
    emit_product(world, store, product.id, created)
    for v in items_changed:
        world.emit(store, "inventory_items/update", item_body(v), None)
    emit_levels(world, store, touched)
    return {"product": product, "userErrors": []}


# ------------------------------------------------------------------ fulfillmentCreate (§e.2)


@field("Mutation", "fulfillmentCreate")
def _fulfillment_create(
    _: Any, info: Info, fulfillment: dict[str, Any], message: str | None = None
) -> Any:
    ctx = _ctx(info)
    store = ctx.store
    requests: list[tuple[FulfillmentOrder, list[tuple[int, int]] | None]] = []
    order: Order | None = None
    for i, group in enumerate(fulfillment["lineItemsByFulfillmentOrder"]):
        fo = lookup(store, group["fulfillmentOrderId"])
        if not isinstance(fo, FulfillmentOrder):
            return {
                "fulfillment": None,
                "userErrors": [
                    {
                        "field": [
                            "fulfillment",
                            "lineItemsByFulfillmentOrder",
                            str(i),
                            "fulfillmentOrderId",
                        ],
                        "message": "Fulfillment order does not exist.",
                    }
                ],
            }
        if order is not None and fo.order_id != order.id:
            return {
                "fulfillment": None,
                "userErrors": [
                    {
                        "field": ["fulfillment"],
                        "message": "All fulfillment orders must belong to the same order.",
                    }
                ],
            }
        order = store.orders[fo.order_id]
        lines = group.get("fulfillmentOrderLineItems")
        requests.append(
            (
                fo,
                None
                if lines is None
                else [
                    (gid_id(x["id"], "FulfillmentOrderLineItem") or 0, x["quantity"]) for x in lines
                ],
            )
        )
    if order is None:
        return {
            "fulfillment": None,
            "userErrors": [{"field": ["fulfillment"], "message": "No fulfillment orders given."}],
        }
    tracking = fulfillment.get("trackingInfo") or {}
    numbers = list(
        tracking.get("numbers") or ([tracking["number"]] if tracking.get("number") else [])
    )
    urls = list(tracking.get("urls") or ([tracking["url"]] if tracking.get("url") else []))
    try:
        f = fulfil(
            ctx.world,
            store,
            order,
            requests,
            company=tracking.get("company"),
            numbers=numbers,
            urls=urls,
        )
    except TerminalError as exc:
        return {
            "fulfillment": None,
            "userErrors": [{"field": ["fulfillment"], "message": str(exc)}],
        }
    return {"fulfillment": f, "userErrors": []}


# ------------------------------------------------------------------ orderCancel (§e.5)


@field("Mutation", "orderCancel")
def _order_cancel(_: Any, info: Info, orderId: str, restock: bool, reason: str, **_kw: Any) -> Any:
    ctx = _ctx(info)
    order = lookup(ctx.store, orderId)
    if not isinstance(order, Order):
        err = {"code": "NOT_FOUND", "field": ["orderId"], "message": "Order does not exist"}
        return {
            "orderCancelUserErrors": [err],
            "userErrors": [{"field": err["field"], "message": err["message"]}],
        }
    try:
        cancel_order(ctx.world, ctx.store, order, restock=restock, reason=reason.lower())
    except TerminalError as exc:
        err = {"code": "INVALID", "field": ["orderId"], "message": str(exc)}
        return {
            "orderCancelUserErrors": [err],
            "userErrors": [{"field": err["field"], "message": err["message"]}],
        }
    return {"orderCancelUserErrors": [], "userErrors": []}
