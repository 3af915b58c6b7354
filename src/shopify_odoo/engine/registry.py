"""Job kind → handler: the one handler the runner gives its :class:`queue.Worker`.

    registry = default_registry(rt)          # stock, order (ledger), links, odoo_poll
    registry.register("order", my_handler)   # the orders flow replaces the ledger-only one
    worker = Worker(rt.db, registry.dispatch)

An unknown kind is a :class:`TerminalError` naming it (parked for a person, never dropped).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from shopify_odoo.engine.dirty import LINKS, ODOO_POLL, ORDER, STOCK, STOCK_RECHECK
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.errors import TerminalError
from shopify_odoo.queue import Handler, Lease


@dataclass
class Registry:
    handlers: dict[str, Handler] = field(default_factory=dict)

    def register(self, kind: str, handler: Handler) -> None:
        """Handle jobs of ``kind`` with ``handler`` (replacing any earlier one)."""
        self.handlers[kind] = handler

    @property
    def kinds(self) -> Iterable[str]:
        return sorted(self.handlers)

    async def dispatch(self, lease: Lease) -> None:
        handler = self.handlers.get(lease.kind)
        if handler is None:
            known = ", ".join(self.kinds) or "none"
            raise TerminalError(
                f"Job ({lease.kind}, {lease.key}) has a kind no handler knows (known: {known}): "
                "upgrade the workers to the version that enqueued it, or purge the job with "
                f"shopify-odoo jobs purge"
            )
        await handler(lease)


def default_registry(rt: Runtime) -> Registry:
    """The engine's handlers: stock (micro-batched), order (in-flight ledger), links, odoo_poll."""
    from shopify_odoo.engine.inflight import order_ledger_handler
    from shopify_odoo.engine.links import links_handler
    from shopify_odoo.engine.odoo_poller import poll_handler
    from shopify_odoo.engine.stock import StockBatcher, stock_handler

    registry = Registry()
    stock = stock_handler(rt, StockBatcher(rt))
    registry.register(STOCK, stock)
    registry.register(STOCK_RECHECK, stock)  # same batcher: one pass at a time per product
    registry.register(ORDER, order_ledger_handler(rt))
    if any(s.orders.tax_rules for s in rt.settings.stores):
        # stores with order settings import their orders (engine.orders also feeds the ledger)
        from shopify_odoo.engine.orders import order_handler

        registry.register(ORDER, order_handler(rt))
    registry.register(LINKS, links_handler(rt))
    registry.register(ODOO_POLL, poll_handler(rt))
    return registry
