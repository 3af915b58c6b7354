"""Queries over the shop, locations, products, variants, inventory items and levels (§a.1)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from . import search
from .clock import iso
from .gql import Ctx, attrs, field, python_type
from .ids import gid
from .info import Info
from .model import QUANTITY_NAMES, Level, Location, Product, Variant
from .paging import Conn, paginate, paginate_ids
from .views import TYPE_NAMES, Item, LevelRef, ShopView, level_gid, lookup
from .world import PLANS, Store, cents

for _cls, _name in TYPE_NAMES.items():
    python_type(_cls, _name)

MAX_INPUT = 250  # general input-array limit (correction 12)


def _ctx(info: Info) -> Ctx:
    ctx: Ctx = info.context
    return ctx


def input_size_error(n: int) -> GraphQLError:
    # correction 12: top-level error, no data for the field
    return GraphQLError(
        f"The input array size of {n} is greater than the maximum allowed of {MAX_INPUT}.",
        extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
    )


# ------------------------------------------------------------------ root


@field("QueryRoot", "shop")
def _shop(_: Any, info: Info) -> ShopView:
    return ShopView(_ctx(info).store)


@field("QueryRoot", "node")
def _node(_: Any, info: Info, id: str) -> Any:
    return lookup(_ctx(info).store, id)


@field("QueryRoot", "nodes")
def _nodes(_: Any, info: Info, ids: list[str]) -> list[Any]:
    if len(ids) > MAX_INPUT:
        raise input_size_error(len(ids))
    store = _ctx(info).store
    return [lookup(store, i) for i in ids]


def _typed(kind: type) -> Any:
    def resolve(_: Any, info: Info, id: str, **_kw: Any) -> Any:
        found = lookup(_ctx(info).store, id)
        return found if isinstance(found, kind) else None

    return resolve


field("QueryRoot", "product")(_typed(Product))
field("QueryRoot", "productVariant")(_typed(Variant))
field("QueryRoot", "inventoryItem")(_typed(Item))
field("QueryRoot", "inventoryLevel")(_typed(LevelRef))


@field("QueryRoot", "location")
def _location(_: Any, info: Info, id: str | None = None) -> Any:
    store = _ctx(info).store
    if id is None:
        return store.locations[0]  # the shop's default location
    found = lookup(store, id)
    return found if isinstance(found, Location) else None


def _location_value(loc: Location, name: str) -> Any:
    return {
        "name": loc.name,
        "id": loc.id,
        "active": loc.active,
        "created_at": loc.created_at,
    }.get(name, search.UNKNOWN)


@field("QueryRoot", "locations")
def _locations(_: Any, info: Info, **args: Any) -> Conn:
    store = _ctx(info).store
    expr = search.parse(args.get("query") or "")
    # "Returns only active locations by default" (§a.8)
    locs = [
        loc
        for loc in store.locations
        if (loc.active or args.get("includeInactive"))
        and search.matches(expr, loc, _location_value)
    ]
    return paginate(_ctx(info), info, args, locs)


def _variant_value(store: Store) -> Any:
    def get(v: Variant, name: str) -> Any:
        if name == "sku":
            return v.sku
        if name == "barcode":
            return v.barcode
        if name in ("updated_at", "created_at"):
            return v.updated_at if name == "updated_at" else v.created_at
        if name == "id":
            return v.id
        if name in ("product_id",):
            return v.product_id
        if name in ("title", "product_status", "status"):
            p = store.products[v.product_id]
            return p.title if name == "title" else p.status
        if name == "inventory_quantity":
            return _total_available(v)
        return search.UNKNOWN

    return get


def _candidates(store: Store, expr: search.Expr | None) -> list[Variant] | None:
    skus = search.equality_values(expr, "sku")
    if skus is not None:
        out = [v for s in skus for v in store.variants_by_sku(s)]
        out.sort(key=lambda v: v.id)
        return out
    codes = search.equality_values(expr, "barcode")
    if codes is not None:
        ids = sorted({i for c in codes for i in store.barcode_index.get(c, ())})
        return [store.variants[i] for i in ids if i in store.variants]
    return None


def _variant_conn(info: Info, args: dict[str, Any], wrap: bool) -> Conn:
    ctx = _ctx(info)
    store = ctx.store
    query = args.get("query") or ""
    if not query and not args.get("sortKey"):
        conn = paginate_ids(ctx, info, args, store.iter_variants)
    else:
        expr = search.parse(query)
        cands = _candidates(store, expr)
        get = _variant_value(store)
        source = cands if cands is not None else store.iter_variants()
        rows = [v for v in source if search.matches(expr, v, get)]
        conn = paginate(ctx, info, args, rows, presorted=True)
    if wrap:
        conn.items = [(c, Item(v)) for c, v in conn.items]
    return conn


@field("QueryRoot", "productVariants")
def _product_variants(_: Any, info: Info, **args: Any) -> Conn:
    return _variant_conn(info, args, wrap=False)


@field("QueryRoot", "inventoryItems")
def _inventory_items(_: Any, info: Info, **args: Any) -> Conn:
    return _variant_conn(info, args, wrap=True)


def _product_value(p: Product, name: str) -> Any:
    return {
        "title": p.title,
        "handle": p.handle,
        "status": p.status,
        "updated_at": p.updated_at,
        "created_at": p.created_at,
        "id": p.id,
        "vendor": p.vendor,
        "product_type": p.product_type,
    }.get(name, search.UNKNOWN)


@field("QueryRoot", "products")
def _products(_: Any, info: Info, **args: Any) -> Conn:
    ctx = _ctx(info)
    store = ctx.store
    query = args.get("query") or ""

    def stream(after: int) -> Any:
        from bisect import bisect_right

        for pid in store.product_order[bisect_right(store.product_order, after) :]:
            p = store.products.get(pid)
            if p is not None:
                yield p

    if not query and not args.get("sortKey"):
        return paginate_ids(ctx, info, args, stream)
    expr = search.parse(query)
    skus = search.equality_values(expr, "sku")
    if skus is not None:
        pids = sorted({v.product_id for s in skus for v in store.variants_by_sku(s)})
        rows = [store.products[p] for p in pids]
    else:
        rows = [p for p in stream(0) if search.matches(expr, p, _product_value)]
    return paginate(ctx, info, args, rows, presorted=True)


# ------------------------------------------------------------------ Shop


def _plan(s: ShopView, _i: Any) -> dict[str, Any]:
    name = PLANS[s.store.plan][2]
    return {
        "displayName": name,
        "partnerDevelopment": False,
        "publicDisplayName": name,
        "shopifyPlus": s.store.plan in ("plus", "enterprise"),
    }


field("Shop", "plan")(_plan)
field("Shop", "id")(lambda s, _i: gid("Shop", s.store.shop_id))
field("Shop", "name")(lambda s, _i: s.store.name)
field("Shop", "email", "contactEmail")(lambda s, _i: f"owner@{s.store.domain}")
field("Shop", "myshopifyDomain")(lambda s, _i: s.store.domain)
field("Shop", "currencyCode")(lambda s, _i: s.store.currency)
field("Shop", "enabledPresentmentCurrencies")(lambda s, _i: [s.store.currency, "USD", "GBP"])
field("Shop", "ianaTimezone")(lambda s, _i: "Etc/UTC")
field("Shop", "taxesIncluded")(lambda s, _i: True)
field("Shop", "createdAt", "updatedAt")(lambda s, _i: iso(1_700_000_000))
field("Shop", "url")(lambda s, _i: s.store.base_url or f"https://{s.store.domain}")

# ------------------------------------------------------------------ Location

attrs(
    "Location",
    {
        "name": "name",
        "isActive": "active",
        "fulfillsOnlineOrders": "fulfills_online_orders",
        "isFulfillmentService": "is_fulfillment_service",
    },
)
field("Location", "id")(lambda loc, _i: gid("Location", loc.id))
field("Location", "legacyResourceId")(lambda loc, _i: str(loc.id))
field("Location", "createdAt", "updatedAt")(lambda loc, _i: iso(loc.created_at))
field("Location", "activatable")(lambda loc, _i: not loc.active)
field("Location", "deactivatable", "deletable")(lambda loc, _i: False)
field("Location", "deactivatedAt")(lambda loc, _i: None)
field("Location", "hasActiveInventory", "shipsInventory")(lambda loc, _i: True)
field("Location", "isPrimary")(lambda loc, _i: loc.index == 0)
field("Location", "hasUnfulfilledOrders")(
    lambda loc, info: any(
        fo.location_id == loc.id and fo.status in ("OPEN", "IN_PROGRESS")
        for o in _ctx(info).store.orders.values()
        for fo in o.fulfillment_orders
    )
)
field("Location", "address")(
    lambda loc, _i: {
        "address1": "1 Rue du Dépôt",
        "address2": None,
        "city": loc.city,
        "country": "France",
        "countryCode": loc.country_code,
        "formatted": ["1 Rue du Dépôt", f"69000 {loc.city}", "France"],
        "phone": None,
        "province": None,
        "provinceCode": None,
        "zip": "69000",
    }
)


@field("Location", "fulfillmentService")
def _fs(loc: Location, _info: Any) -> dict[str, Any] | None:
    if not loc.is_fulfillment_service:
        return None
    return {
        "id": gid("FulfillmentService", loc.id),
        "handle": "sandbox-3pl",
        "serviceName": loc.name,
        "inventoryManagement": True,
        "location": loc,
        "callbackUrl": None,
        "trackingSupport": True,
        "requiresShippingMethod": False,
        "fulfillmentOrdersOptIn": True,
        "type": "THIRD_PARTY",
    }


@field("Location", "inventoryLevel")
def _loc_level(loc: Location, info: Info, inventoryItemId: str, **_: Any) -> Any:
    item = lookup(_ctx(info).store, inventoryItemId)
    if not isinstance(item, Item):
        return None
    lvl = item.v.levels[loc.index] if loc.index < len(item.v.levels) else None
    return LevelRef(item.v, lvl) if lvl and lvl.active else None


@field("Location", "inventoryLevels")
def _loc_levels(loc: Location, info: Info, **args: Any) -> Conn:
    ctx = _ctx(info)

    def stream(after: int) -> Any:
        for v in ctx.store.iter_variants(after):
            lvl = v.levels[loc.index] if loc.index < len(v.levels) else None
            if lvl is not None and (lvl.active or args.get("includeInactive")):
                yield _LevelById(v, lvl)

    conn = paginate_ids(ctx, info, args, stream)
    conn.items = [(c, LevelRef(r.v, r.level)) for c, r in conn.items]
    return conn


class _LevelById:
    """Levels of one location paged in variant order (cursor = variant id)."""

    __slots__ = ("level", "v")

    def __init__(self, v: Variant, level: Level) -> None:
        self.v, self.level = v, level

    @property
    def id(self) -> int:
        return self.v.id


# ------------------------------------------------------------------ Product

attrs(
    "Product",
    {
        "title": "title",
        "handle": "handle",
        "status": "status",
        "vendor": "vendor",
        "productType": "product_type",
        "descriptionHtml": "description_html",
    },
)
field("Product", "id")(lambda p, _i: gid("Product", p.id))
field("Product", "legacyResourceId")(lambda p, _i: str(p.id))
field("Product", "tags")(lambda p, _i: list(p.tags))
field("Product", "createdAt")(lambda p, _i: iso(p.created_at))
field("Product", "updatedAt")(lambda p, _i: iso(p.updated_at))
field("Product", "publishedAt")(lambda p, _i: iso(p.created_at) if p.status == "ACTIVE" else None)
field("Product", "tracksInventory")(lambda p, _i: True)
field("Product", "hasOnlyDefaultVariant")(lambda p, _i: not p.option_names)
field("Product", "variantsCount")(lambda p, _i: {"count": len(p.variant_ids), "precision": "EXACT"})


@field("Product", "totalInventory")
def _total_inventory(p: Product, info: Info) -> int:
    store = _ctx(info).store
    return sum(_total_available(store.variants[v]) for v in p.variant_ids if v in store.variants)


@field("Product", "variants")
def _product_variants_of(p: Product, info: Info, **args: Any) -> Conn:
    store = _ctx(info).store
    rows = [store.variants[v] for v in p.variant_ids if v in store.variants]
    return paginate(_ctx(info), info, args, rows, key=lambda v: (v.position, v.id))


@field("Product", "options")
def _options(p: Product, info: Info, first: int | None = None) -> list[dict[str, Any]]:
    store = _ctx(info).store
    out = []
    for i, name in enumerate(p.option_names):
        values: list[str] = []
        for vid in p.variant_ids:
            v = store.variants.get(vid)
            if v and i < len(v.options) and v.options[i] not in values:
                values.append(v.options[i])
        out.append(
            {
                "id": gid("ProductOption", p.id * 10 + i),
                "name": name,
                "position": i + 1,
                "values": values,
                "optionValues": [
                    {
                        "id": gid("ProductOptionValue", p.id * 100 + i * 10 + j),
                        "name": val,
                        "hasVariants": True,
                    }
                    for j, val in enumerate(values)
                ],
            }
        )
    return out[:first] if first else out


# ------------------------------------------------------------------ ProductVariant


def _total_available(v: Variant) -> int:
    """``inventoryQuantity``: total sellable quantity over locations (§a.1)."""
    return sum(lvl.available for lvl in v.levels if lvl is not None and lvl.active)


attrs(
    "ProductVariant", {"sku": "sku", "barcode": "barcode", "position": "position", "title": "title"}
)
attrs("ProductVariant", {"taxable": "taxable"})
field("ProductVariant", "id")(lambda v, _i: gid("ProductVariant", v.id))
field("ProductVariant", "legacyResourceId")(lambda v, _i: str(v.id))
field("ProductVariant", "price")(lambda v, _i: str(cents(v.price_cents)))
field("ProductVariant", "compareAtPrice")(
    lambda v, _i: None if v.compare_at_cents is None else str(cents(v.compare_at_cents))
)
field("ProductVariant", "inventoryPolicy")(
    lambda v, _i: "CONTINUE" if v.policy_continue else "DENY"
)
field("ProductVariant", "inventoryQuantity", "sellableOnlineQuantity")(
    lambda v, _i: _total_available(v)
)
field("ProductVariant", "availableForSale")(
    lambda v, _i: v.policy_continue or _total_available(v) > 0
)
field("ProductVariant", "inventoryItem")(lambda v, _i: Item(v))
field("ProductVariant", "product")(lambda v, info: _ctx(info).store.products.get(v.product_id))
field("ProductVariant", "createdAt")(lambda v, _i: iso(v.created_at))
field("ProductVariant", "updatedAt")(lambda v, _i: iso(v.updated_at))


@field("ProductVariant", "displayName")
def _display_name(v: Variant, info: Info) -> str:
    p = _ctx(info).store.products.get(v.product_id)
    return f"{p.title if p else ''} - {v.title}"


@field("ProductVariant", "selectedOptions")
def _selected(v: Variant, info: Info) -> list[dict[str, str]]:
    p = _ctx(info).store.products.get(v.product_id)
    names = p.option_names if p else ()
    return [{"name": n, "value": val} for n, val in zip(names, v.options, strict=False)]


# ------------------------------------------------------------------ InventoryItem

field("InventoryItem", "id")(lambda it, _i: gid("InventoryItem", it.v.item_id))
field("InventoryItem", "legacyResourceId")(lambda it, _i: str(it.v.item_id))
field("InventoryItem", "sku")(lambda it, _i: it.v.sku)
field("InventoryItem", "tracked")(lambda it, _i: it.v.tracked)
field("InventoryItem", "requiresShipping")(lambda it, _i: it.v.requires_shipping)
field("InventoryItem", "unitCost")(lambda it, _i: None)
field("InventoryItem", "createdAt")(lambda it, _i: iso(it.v.created_at))
field("InventoryItem", "updatedAt")(lambda it, _i: iso(it.v.updated_at))
field("InventoryItem", "variant")(lambda it, _i: it.v)
field("InventoryItem", "duplicateSkuCount")(
    lambda it, info: len(_ctx(info).store.sku_index.get(it.v.sku, ())) - 1
)
field("InventoryItem", "locationsCount")(
    lambda it, _i: {"count": sum(1 for lv in it.v.levels if lv and lv.active), "precision": "EXACT"}
)


@field("InventoryItem", "variants")
def _item_variants(it: Item, info: Info, **args: Any) -> Conn:
    return paginate(_ctx(info), info, args, [it.v])


@field("InventoryItem", "inventoryLevel")
def _item_level(it: Item, info: Info, locationId: str, **args: Any) -> Any:
    loc = lookup(_ctx(info).store, locationId)
    if not isinstance(loc, Location) or loc.index >= len(it.v.levels):
        return None
    lvl = it.v.levels[loc.index]
    if lvl is None or not (lvl.active or args.get("includeInactive")):
        return None
    return LevelRef(it.v, lvl)


@field("InventoryItem", "inventoryLevels")
def _item_levels(it: Item, info: Info, **args: Any) -> Conn:
    rows = [
        LevelRef(it.v, lvl)
        for lvl in it.v.levels
        if lvl is not None and (lvl.active or args.get("includeInactive"))
    ]
    return paginate(_ctx(info), info, args, rows, presorted=True)


# ------------------------------------------------------------------ InventoryLevel

field("InventoryLevel", "id")(lambda r, _i: level_gid(r.level, r.v.item_id))
field("InventoryLevel", "isActive")(lambda r, _i: r.level.active)
field("InventoryLevel", "canDeactivate")(lambda r, _i: r.level.committed == 0)
field("InventoryLevel", "item")(lambda r, _i: Item(r.v))
field("InventoryLevel", "location")(lambda r, info: _ctx(info).store.location(r.level.location_id))
field("InventoryLevel", "createdAt")(lambda r, _i: iso(r.level.created_at))
field("InventoryLevel", "updatedAt")(lambda r, _i: iso(r.level.updated_at))


class Qty:
    """One named quantity; id and updatedAt are built only when selected."""

    __slots__ = ("item_id", "level", "name", "quantity")

    def __init__(self, level: Level, item_id: int, name: str) -> None:
        self.level, self.item_id, self.name = level, item_id, name
        self.quantity = level.get(name)


field("InventoryQuantity", "id")(
    lambda q, _i: (
        f"gid://shopify/InventoryQuantity/{q.level.location_id}?inventory_item_id={q.item_id}&name={q.name}"
    )
)
field("InventoryQuantity", "updatedAt")(lambda q, _i: iso(q.level.updated_at))


@field("InventoryLevel", "quantities")
def _quantities(r: LevelRef, _info: Any, names: list[str]) -> list[Qty]:
    if len(names) > MAX_INPUT:
        raise input_size_error(len(names))
    for name in names:
        if name not in QUANTITY_NAMES:
            raise GraphQLError(
                f"The quantity name '{name}' is not valid. "
                f"Valid names: {', '.join(QUANTITY_NAMES)}."
            )
    return [Qty(r.level, r.v.item_id, name) for name in names]
