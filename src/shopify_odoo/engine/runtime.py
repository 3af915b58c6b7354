"""``Runtime``: the one object a process builds from ``Settings`` and hands to every service.

It holds the settings, the state database, one :class:`ShopifyClient` per configured store and
one :class:`OdooClient`, plus the resolved topology (location map → Shopify location GIDs and
Odoo location ids, see :mod:`engine.topology`), read once and cached::

    async with await Runtime.open(settings) as rt:
        shop = rt.shop("eu")            # ShopifyClient of store "eu"
        rows = await rt.odoo.search_read(...)
        topo = await rt.topology()      # StockPolicy + resolved locations, cached

Tests and the demo inject transports (``httpx.ASGITransport`` of an in-process sandbox, or
``MockTransport``) and a clock; nothing here opens a socket until a client is used.

Stable API (used by the runner, the demo, the orders flow):

* ``Runtime.open(settings, *, db=None, shopify_transports=None, odoo_transport=None,
  clock=utcnow, connect_odoo=False) -> Runtime``
* ``rt.settings``, ``rt.db``, ``rt.odoo``, ``rt.shops`` (handle → client), ``rt.shop(handle)``,
  ``rt.clock()``, ``await rt.topology(refresh=False)``, ``await rt.aclose()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Self

import httpx

from shopify_odoo.config import Settings, StoreSettings
from shopify_odoo.engine.credentials import token_cipher, token_provider
from shopify_odoo.errors import ConfigError
from shopify_odoo.odoo import OdooClient
from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.store.tokens import TokenCipher
from shopify_odoo.store.types import utcnow

if TYPE_CHECKING:
    from shopify_odoo.engine.topology import Topology


def shopify_client(
    store: StoreSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    db: Database | None = None,
    cipher: TokenCipher | None = None,
) -> ShopifyClient:
    """The client of ``store``; tokens of client credentials / OAuth stores live in ``db``."""
    return ShopifyClient(
        store.handle,
        store.shop_domain,
        token_provider(store, db=db, cipher=cipher, transport=transport),
        admin_url=store.admin_url,
        api_version=store.api_version,
        transport=transport,
    )


def odoo_client(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> OdooClient:
    o = settings.odoo
    if not o.database or not o.login:
        raise ConfigError(
            f"Odoo at {o.url}: the database name and the login are needed to connect; set "
            "odoo.database and odoo.login in the configuration (or SHOPIFY_ODOO_ODOO__DATABASE "
            "and SHOPIFY_ODOO_ODOO__LOGIN) and run the command again"
        )
    return OdooClient(
        o.url,
        o.database,
        o.login,
        api_key=o.api_key,
        password=o.password,
        # the client speaks JSON-RPC and JSON-2; every server that offers XML-RPC offers
        # JSON-RPC on the same port (odoo-external-api.md §1), so xmlrpc maps to jsonrpc
        protocol="jsonrpc" if o.protocol == "xmlrpc" else o.protocol,
        timeout=o.timeout,
        transport=transport,
        max_in_flight=8,
    )


@dataclass(eq=False)
class Runtime:
    """Settings, database and clients of one process.  Build with :meth:`open`."""

    settings: Settings
    db: Database
    odoo: OdooClient
    shops: dict[str, ShopifyClient]
    clock: Callable[[], datetime] = utcnow
    owns_db: bool = True
    _topology: Topology | None = field(default=None, repr=False)
    _topology_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        db: Database | None = None,
        shopify_transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        odoo_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
        connect_odoo: bool = False,
    ) -> Runtime:
        """Build the clients (no network call unless ``connect_odoo``) and open the database
        (unless ``db`` is given; then the caller keeps owning it)."""
        transports = dict(shopify_transports or {})
        cipher = token_cipher(settings)  # ConfigError when a store needs the key and it is unset
        odoo = odoo_client(settings, transport=odoo_transport)
        owns = db is None
        database = db if db is not None else await open_database(settings.database_url)
        shops = {
            s.handle: shopify_client(
                s, transport=transports.get(s.handle), db=database, cipher=cipher
            )
            for s in settings.stores
        }
        rt = cls(settings, database, odoo, shops, clock=clock, owns_db=owns)
        if connect_odoo:
            try:
                await odoo.connect()
            except BaseException:
                await rt.aclose()
                raise
        return rt

    def shop(self, handle: str) -> ShopifyClient:
        """The client of store ``handle``; a ConfigError names the configured stores if absent."""
        try:
            return self.shops[handle]
        except KeyError:
            known = ", ".join(sorted(self.shops)) or "none"
            raise ConfigError(
                f'Store "{handle}" is not configured (configured stores: {known}): add it under '
                "[[stores]] in the configuration or use one of those handles"
            ) from None

    async def topology(self, *, refresh: bool = False) -> Topology:
        """The location map resolved against both systems (cached; ``refresh`` re-reads)."""
        from shopify_odoo.engine.topology import resolve_topology

        async with self._topology_lock:
            if self._topology is None or refresh:
                self._topology = await resolve_topology(self)
            return self._topology

    def set_topology(self, topology: Topology) -> None:
        """Use ``topology`` as given (tests and benchmarks that already know the ids)."""
        self._topology = topology

    async def aclose(self) -> None:
        for shop in self.shops.values():
            await shop.aclose()
        await self.odoo.aclose()
        if self.owns_db:
            await self.db.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


@asynccontextmanager
async def command_runtime(settings: Settings, db: Database) -> AsyncIterator[Runtime]:
    """A Runtime on ``db`` (which the caller keeps owning) for one command, with every
    configured store registered in the state database (links and the inbox refer to it); the
    GraphQL points the command spent are recorded when it ends."""
    from shopify_odoo.engine.inbox import register_stores

    await register_stores(db, settings)
    rt = await Runtime.open(settings, db=db)
    try:
        yield rt
        await record_points(rt)
    finally:
        rt.owns_db = False
        await rt.aclose()


async def record_points(rt: Runtime) -> None:
    """Write the GraphQL points each store's client has spent (``status`` sums them)."""
    from shopify_odoo.engine import metrics

    used = {h: c.budget.points_used for h, c in rt.shops.items() if c.budget.points_used > 0}
    if used:
        async with rt.db.begin() as conn:
            for handle, points in sorted(used.items()):
                await metrics.record(conn, metrics.SHOPIFY_POINTS, points, store=handle)
