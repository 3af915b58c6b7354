"""Which keys an event marks dirty (DESIGN.md §2: events only say *where to look*).

Pure functions from a typed webhook event (Shopify) or an automation-rule payload (Odoo) to
:class:`DirtyKeys`: queue identities to enqueue as they are, plus references (inventory items,
variants, Odoo products) that :mod:`engine.inbox` resolves to stock keys through the product
links inside the same transaction.  No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shopify_odoo.shopify.ids import gid
from shopify_odoo.shopify.webhook_events import (
    AppUninstalledEvent,
    BulkOperationFinishedEvent,
    CustomerEvent,
    FulfillmentEvent,
    InventoryItemEvent,
    InventoryLevelEvent,
    OrderEditedEvent,
    OrderEvent,
    ProductDeletedEvent,
    ProductEvent,
    RefundEvent,
    WebhookEvent,
)

# Job kinds these triggers enqueue (the engine's registry maps each to its handler).
STOCK = "stock"
ORDER = "order"
LINKS = "links"
ODOO_POLL = "odoo_poll"
#: a product's stock looked at again when the order cursor has passed a drop it holds (its own
#: kind, so an event about the product never merges into the delayed job: ``stock`` jobs keep
#: the time of their change, which time to correction is measured from)
STOCK_RECHECK = "stock_recheck"

#: Odoo models whose automation-rule webhooks mean "stock of this product may have changed"
ODOO_STOCK_MODELS = frozenset(
    {"stock.quant", "stock.move", "stock.move.line", "stock.picking", "product.product"}
)


def stock_key(odoo_product_id: int) -> tuple[str, str]:
    """The queue identity of one linked product's stock in every store."""
    return (STOCK, str(odoo_product_id))


def stock_recheck_key(odoo_product_id: int) -> tuple[str, str]:
    """A delayed second look at one product's stock (see ``STOCK_RECHECK``)."""
    return (STOCK_RECHECK, str(odoo_product_id))


def order_key(store: str, order_gid: str) -> tuple[str, str]:
    """The queue identity of one Shopify order (``<store>:<order GID>``)."""
    return (ORDER, f"{store}:{order_gid}")


def links_key(store: str) -> tuple[str, str]:
    """Re-read one store's catalogue for the product links."""
    return (LINKS, store)


@dataclass(frozen=True, slots=True)
class DirtyKeys:
    """What one event marks dirty."""

    keys: tuple[tuple[str, str], ...] = ()
    #: (store, inventory item GID): the stock key of the product linked to it
    inventory_items: tuple[tuple[str, str], ...] = ()
    #: (store, variant GID): the stock key of the product linked to it
    variants: tuple[tuple[str, str], ...] = ()
    #: Odoo product ids: their stock keys
    odoo_products: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.keys or self.inventory_items or self.variants or self.odoo_products)


def shopify_dirty(store: str, event: WebhookEvent) -> DirtyKeys:
    """The keys a verified Shopify delivery marks dirty."""
    if isinstance(event, OrderEvent):
        # the order itself (import, in-flight ledger) and the stock of every line's product,
        # so the other stores see the sale without waiting for a sweep
        return DirtyKeys(
            keys=(order_key(store, event.gid),),
            variants=tuple(
                (store, gid("ProductVariant", line.variant_id))
                for line in event.lines
                if line.variant_id is not None
            ),
        )
    if isinstance(event, OrderEditedEvent):
        return DirtyKeys(keys=(order_key(store, event.order_gid),))
    if isinstance(event, RefundEvent | FulfillmentEvent):
        return DirtyKeys(keys=(order_key(store, event.order_gid),))
    if isinstance(event, InventoryLevelEvent):
        # a merchant edit, a POS sale or our own write: the stock planner tells them apart
        return DirtyKeys(inventory_items=((store, event.inventory_item_gid),))
    if isinstance(event, InventoryItemEvent):
        return DirtyKeys(keys=(links_key(store),), inventory_items=((store, event.gid),))
    if isinstance(event, ProductEvent):
        return DirtyKeys(
            keys=(links_key(store),),
            variants=tuple((store, v.gid) for v in event.variants),
        )
    if isinstance(event, ProductDeletedEvent):
        return DirtyKeys(keys=(links_key(store),))
    if isinstance(
        event, CustomerEvent | BulkOperationFinishedEvent | AppUninstalledEvent
    ):  # customers come with their orders; bulk results are polled; uninstall is for a person
        return DirtyKeys()
    return DirtyKeys()


def odoo_dirty(payload: Mapping[str, Any]) -> DirtyKeys:
    """The keys an Odoo automation-rule webhook marks dirty (odoo-external-api.md §7.1).

    The payload is ``{"_model", "_id", ...fields read with load=None}``: a many2one is a bare
    id.  A stock model that carries ``product_id`` marks that product's stock dirty; without it
    (the rule sends no fields) the Odoo poller is asked to look now.
    """
    model = payload.get("_model")
    record_id = payload.get("_id")
    if not isinstance(model, str) or model not in ODOO_STOCK_MODELS:
        return DirtyKeys(keys=((ODOO_POLL, "now"),))
    if model == "product.product" and isinstance(record_id, int) and _is_id(record_id):
        return DirtyKeys(odoo_products=(record_id,))
    product = payload.get("product_id")
    if isinstance(product, list) and product:  # load="_classic_read" shape [id, name]
        product = product[0]
    if isinstance(product, int) and _is_id(product):
        return DirtyKeys(odoo_products=(product,))
    return DirtyKeys(keys=((ODOO_POLL, "now"),))


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
