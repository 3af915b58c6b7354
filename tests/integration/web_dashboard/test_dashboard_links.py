"""The product-links page searches and pages in the state database (SQLite and PostgreSQL):
the catalogues are read from Shopify and Odoo once (first visit, "Read catalogues again", a
manual link), never per page; a search by SKU, barcode or name (either side) gives ``limit``
variants at a time with a cursor to the next page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest

from shopify_odoo.config import settings_from_mapping
from shopify_odoo.engine import dashboard_stock
from shopify_odoo.engine.catalog import CatalogVariant
from shopify_odoo.engine.dashboard_stock import LinkBook, LinksPage
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.engine.links import LinkRun
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.store import migrate
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.store.tables import product_links
from shopify_odoo.store.types import utcnow
from shopify_odoo.sync.link_plan import LinkPolicy, ProblemKind
from shopify_odoo.sync.links import plan_links
from shopify_odoo.sync.model import OdooProduct, ShopifyVariant
from shopify_odoo.web.dashboard import create_site

from .conftest import TOKEN, config

PER_STORE = 150
#: Odoo has products for the first 120 SKUs only: the rest of each store are unmatched
IN_ODOO = 120
LINKED = 10


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no remote call expected, got {request.url}")


def variants() -> list[ShopifyVariant]:
    out = []
    for offset, store in ((0, "eu"), (1000, "us")):
        for n in range(PER_STORE):
            out.append(
                ShopifyVariant(
                    store,
                    f"gid://shopify/ProductVariant/{offset + n}",
                    f"gid://shopify/InventoryItem/{offset + n}",
                    f"CAP-{n:04d}",
                    barcode=f"4000{n:04d}",
                    product_title=f"Cap {n}",
                    variant_title="Blue" if n % 2 else "Red",
                )
            )
    return out


def products() -> list[OdooProduct]:
    return [
        OdooProduct(100 + n, f"CAP-{n:04d}", f"9000{n:04d}", f"Odoo cap model {n}")
        for n in range(IN_ODOO)
    ]


class Reads:
    """The two catalogue reads the page may make, counted."""

    def __init__(self) -> None:
        self.plans = 0
        self.products = 0

    async def plan_links_now(self, rt: Runtime, **kw: Any) -> LinkRun:
        self.plans += 1
        vs = variants()
        plan = plan_links(products(), vs, [], LinkPolicy())
        catalog = {
            (v.store, v.variant_gid): CatalogVariant(v, "gid://shopify/Product/1", ()) for v in vs
        }
        return LinkRun(plan, catalog, ("eu", "us"))

    async def odoo_products(self, client: Any, **kw: Any) -> list[OdooProduct]:
        self.products += 1
        return products()


@pytest.fixture
async def rt(tmp_path: Path, db_url: str) -> AsyncIterator[Runtime]:
    await migrate.upgrade(db_url)
    db: Database = await open_database(db_url)
    settings = settings_from_mapping(config(db_url, token=TOKEN))
    await register_stores(db, settings)
    transport = httpx.MockTransport(no_network)
    runtime = await Runtime.open(
        settings,
        db=db,
        shopify_transports={"eu": transport, "us": transport},
        odoo_transport=transport,
    )
    now = utcnow()
    async with db.begin() as conn:  # the first LINKED variants of eu are linked
        await conn.execute(
            product_links.insert(),
            [
                {
                    "store": "eu",
                    "odoo_product_id": 100 + n,
                    "variant_gid": f"gid://shopify/ProductVariant/{n}",
                    "inventory_item_gid": f"gid://shopify/InventoryItem/{n}",
                    "sku": f"CAP-{n:04d}",
                    "matched_by": "sku",
                    "status": "linked",
                    "linked_at": now,
                    "updated_at": now,
                }
                for n in range(LINKED)
            ],
        )
    try:
        yield runtime
    finally:
        runtime.owns_db = False
        await runtime.aclose()
        await db.dispose()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    r = Reads()
    monkeypatch.setattr(dashboard_stock, "plan_links_now", r.plan_links_now)
    monkeypatch.setattr(dashboard_stock, "odoo_products", r.odoo_products)
    return r


async def every_page(book: LinkBook, query: str, **kw: Any) -> list[LinksPage]:
    pages = [await book.search(query, **kw)]
    while pages[-1].next_after is not None:
        pages.append(await book.search(query, after=pages[-1].next_after, **kw))
    return pages


def skus(pages: Sequence[LinksPage]) -> list[tuple[str, str]]:
    return [(v.store, v.sku) for p in pages for v in p.variants]


async def test_pages_cover_the_catalogue_once_read_once(rt: Runtime, reads: Reads) -> None:
    book = LinkBook(rt)
    pages = await every_page(book, "", limit=40)
    assert (reads.plans, reads.products) == (1, 1)  # first visit: read once
    assert len(pages) == 8  # 300 variants, 40 a page
    assert all(len(p.variants) <= 40 for p in pages)
    gids = [(v.store, v.variant_gid) for p in pages for v in p.variants]
    assert gids == sorted({(v.store, v.variant_gid) for v in variants()})
    assert pages[0].read_at is not None
    assert pages[0].unlinked == 2 * PER_STORE - LINKED
    linked = [v for p in pages for v in p.variants if v.product_id is not None]
    assert {(v.sku, v.product_id, v.product_name) for v in linked} == {
        (f"CAP-{n:04d}", 100 + n, f"Odoo cap model {n}") for n in range(LINKED)
    }
    # later pages and searches never read the catalogues again (the runtime's transports
    # refuse any call too)
    await book.search("cap-0003")
    assert (reads.plans, reads.products) == (1, 1)
    await book.refresh()
    assert (reads.plans, reads.products) == (2, 2)


async def test_search_by_sku_barcode_name_and_linked_product(rt: Runtime, reads: Reads) -> None:
    book = LinkBook(rt)
    by_sku = await every_page(book, "cap-012", limit=5)  # case-insensitive substring
    assert skus(by_sku) == [(s, f"CAP-{n:04d}") for s in ("eu", "us") for n in range(120, 130)]
    assert len(by_sku) == 4
    assert skus(await every_page(book, "40000077")) == [("eu", "CAP-0077"), ("us", "CAP-0077")]
    assert skus(await every_page(book, "cap 149 / blue")) == [
        ("eu", "CAP-0149"),
        ("us", "CAP-0149"),
    ]
    # the linked Odoo product's name finds its variant (only eu's is linked)
    assert skus(await every_page(book, "odoo cap model 7")) == [("eu", "CAP-0007")]
    # LIKE wildcards are text, not patterns
    assert skus(await every_page(book, "%")) == []
    assert skus(await every_page(book, "cap_0")) == []
    unlinked = await every_page(book, "cap-000", unlinked_only=True)
    assert skus(unlinked) == [("us", f"CAP-{n:04d}") for n in range(10)]
    only_us = await every_page(book, "cap-0001", stores=["us"])
    assert skus(only_us) == [("us", "CAP-0001")]


async def test_problems_and_odoo_products_are_searched_too(rt: Runtime, reads: Reads) -> None:
    book = LinkBook(rt)
    found = await book.search("CAP-0140")
    assert {(p.store, p.kind) for p in found.problems} == {
        ("eu", ProblemKind.NO_ODOO_PRODUCT),
        ("us", ProblemKind.NO_ODOO_PRODUCT),
    }
    assert found.more_problems == 0
    assert found.products == ()  # no Odoo product CAP-0140
    found = await book.search("cap-000")
    assert [(p.id, p.default_code, p.linked) for p in found.products] == [
        (100 + n, f"CAP-{n:04d}", True) for n in range(10)
    ]
    everything = await book.search("CAP-01")
    unmatched = 2 * (PER_STORE - IN_ODOO)
    assert len(everything.problems) + everything.more_problems >= unmatched


async def test_links_page_has_a_next_page_link(rt: Runtime, reads: Reads) -> None:
    app = create_site(rt)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        url = "/dashboard/links?q=cap"
        seen: list[tuple[str, str]] = []
        for _ in range(10):
            page = await client.get(url, headers=headers)
            assert page.status_code == 200
            rows = re.findall(r'data-sku="([^"]+)" data-store="([^"]+)"', page.text)
            assert 0 < len(rows) <= dashboard_stock.PAGE_SIZE
            seen += rows
            match = re.search(r'id="next-page" href="([^"]+)"', page.text)
            if match is None:
                break
            url = match.group(1).replace("&amp;", "&")
        assert len(seen) == len(set(seen)) == 2 * PER_STORE
        assert reads.plans == 1


async def test_a_link_before_any_reading_leaves_no_partial_copy(rt: Runtime, reads: Reads) -> None:
    book = LinkBook(rt)
    await book.link("us", "CAP-0005", 105, actor="test")
    assert reads.plans == 1
    assert await book.read_at() is None  # the link read one store: not stored as the catalogue
    page = await book.search("cap-0005")
    assert reads.plans == 2  # the first visit reads everything
    assert [(v.store, v.product_id) for v in page.variants] == [("eu", 105), ("us", 105)]
    assert [p.id for p in page.products] == [105]
    # a link after the reading refreshes that store's rows (and only them)
    await book.link("us", "CAP-0006", 106, actor="test")
    page = await book.search("cap-0006")
    assert [(v.store, v.product_id) for v in page.variants] == [("eu", 106), ("us", 106)]
    assert len(skus(await every_page(book, ""))) == 2 * PER_STORE


async def test_two_processes_reading_at_once_keep_one_copy(
    rt: Runtime, reads: Reads, db_url: str
) -> None:
    other_db = await open_database(db_url)
    try:
        other = LinkBook(
            cast(Runtime, SimpleNamespace(db=other_db, odoo=rt.odoo, settings=rt.settings))
        )
        await asyncio.gather(LinkBook(rt).refresh(), other.refresh(), LinkBook(rt).refresh())
        assert reads.plans == 3
        assert len(skus(await every_page(LinkBook(rt), ""))) == 2 * PER_STORE
    finally:
        await other_db.dispose()
