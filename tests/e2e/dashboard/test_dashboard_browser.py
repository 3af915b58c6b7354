"""The dashboard as a person drives it, in Debian's chromium, against both sandboxes.

One connector (receiver, worker, pollers and the dashboard on one port) runs for the whole
walk-through: refuse access without login, log in, map a new location, link a SKU by hand,
reprocess the order that was parked for it, watch a SKU's stock change after a storefront
order, run a cutover dry-run and enable the location.  A screenshot of every page is kept
under the artefacts folder (printed by the ``artifacts_dir`` fixture).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shopify_odoo.store.tables import order_links
from tests.e2e.dashboard.harness import PASSWORD, Env, add_variant, connector_with_dashboard

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NEW_SKU = "NEWCAP-SHOP"
ODOO_SKU = "NEWCAP-ODOO"


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(0.25)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    async with connector_with_dashboard(tmp_path / "connector") as e:
        yield e


@pytest.fixture
async def browser_page(chromium_path: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 1000})
            page = await context.new_page()
            page.set_default_timeout(15_000)
            page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
            yield page
        finally:
            await browser.close()


async def order_state(env: Env, store: str, name: str) -> str | None:
    o = order_links.c
    async with env.db.connect() as conn:
        row = (
            await conn.execute(select(o.state).where(o.store == store, o.order_name == name))
        ).first()
    return None if row is None else str(row.state)


async def shown(page: Any, store: str, location: str) -> int:
    cell = page.locator(
        f'section[data-pool] tr[data-store="{store}"][data-location="{location}"] td.shown'
    )
    return int((await cell.inner_text()).strip())


async def test_dashboard_walkthrough(env: Env, browser_page: Any, artifacts_dir: Path) -> None:
    shots = artifacts_dir / "dashboard"
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\ndashboard screenshots: {shots}")
    try:
        await walkthrough(env, browser_page, shots)
    except BaseException:
        # what the browser showed when it went wrong, for the person reading the failure
        await browser_page.screenshot(path=str(shots / "failure.png"), full_page=True)
        (shots / "failure.html").write_text(await browser_page.content(), encoding="utf-8")
        raise


async def walkthrough(env: Env, page: Any, shots: Path) -> None:
    s1, s2 = env.stores
    d = env.dashboard

    started = time.monotonic()

    async def snap(name: str) -> None:
        await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        print(f"  {time.monotonic() - started:5.1f}s {name}")

    # a variant nobody linked: Shopify's SKU differs from Odoo's, so the link planner
    # cannot match it; a storefront order for it is parked
    product_id = await env.odoo.create_product(ODOO_SKU, "New Cap", 12.0)
    await env.odoo.receive(ODOO_SKU, 10, "WH/Stock")
    add_variant(env.sandboxes, s1, NEW_SKU, available=5)
    parked = await env.shopify.place_order(
        s1, [(NEW_SKU, 1)], email="new@example.com", tax_rate=0.21
    )
    parked_name = parked["name"]

    # 1. closed without login
    response = await page.goto(f"{d}/stores/{s1}/orders")
    assert response is not None
    assert "/dashboard/login" in page.url
    await page.wait_for_selector("text=Log in to the dashboard")
    await snap("01-login")
    await page.fill("input[name=name]", "tester")
    await page.fill("input[name=password]", "not the password")
    await page.click("button[type=submit]")
    assert "Wrong password or token" in await page.inner_text("#login-error")

    # 2. log in: back where we were going, then the overview
    await page.fill("input[name=name]", "tester")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{d}/stores/{s1}/orders")
    await page.goto(f"{d}/")
    table = await page.inner_text("#sides")
    assert table.count("● up") == 3  # both stores and Odoo answer
    await snap("02-overview")

    # 3. map a new location: store 1's Retail Store is listed unmapped; first a bad buffer
    await page.goto(f"{d}/locations")
    await page.click(f'a[data-map="{s1}|Retail Store"]')
    form = page.locator("#row-form")
    assert await form.locator("input[name=shopify_location]").input_value() == "Retail Store"
    assert not await form.locator("input[name=enabled]").is_checked()
    await form.locator("select[name=type]").select_option("retail")
    await form.locator("input[name=odoo_locations]").fill("SHOP/Stock")
    await form.locator("input[name=pool]").fill("retail")
    await form.locator("input[name=buffer]").fill("-1")
    await form.locator("button[type=submit]").click()
    problems = await page.inner_text("#problems")
    assert ".buffer" in problems
    assert "is out of range. Use a value >= 0" in problems
    await page.locator("#row-form input[name=buffer]").fill("0")
    await page.locator("#row-form button[type=submit]").click()
    await page.wait_for_selector("text=the engine uses it now")
    assert f"{s1}" in await page.inner_text("#map")
    mapped = page.locator(f"#shopify-{s1} li", has_text="Retail Store")
    assert "unmapped" not in (await mapped.get_attribute("class") or "")
    await snap("03-locations")

    # 4. link the new variant by hand (its order is parked meanwhile)
    assert await eventually(
        lambda: _is(order_state(env, s1, parked_name), "parked"), "the order to be parked"
    )
    await page.goto(f"{d}/links?q=NEWCAP")
    row = page.locator(f'#variants tr[data-sku="{NEW_SKU}"]')
    assert "not linked" in await row.inner_text()
    # the planner's finding with its fix, and the Odoo product to pick (by its id)
    assert NEW_SKU in await page.inner_text("#link-problems")
    odoo_row = page.locator("#odoo-products tr", has_text=ODOO_SKU)
    assert (await odoo_row.locator("td").first.inner_text()).strip() == str(product_id)
    await snap("04-links-unlinked")
    await row.locator("input[name=product_id]").fill(str(product_id))
    await row.locator("button", has_text="link").click()
    await page.wait_for_selector(f'text=Linked SKU "{NEW_SKU}"')
    assert "manual" in await page.locator(f'#variants tr[data-sku="{NEW_SKU}"]').inner_text()
    await snap("04-links-linked")

    # 5. reprocess the parked order: it is imported now
    await page.goto(f"{d}/stores/{s1}/orders")
    parked_row = page.locator(f'#orders tr[data-order="{parked_name}"]')
    assert await parked_row.get_attribute("data-state") == "parked"
    await snap("05-orders-parked")
    problem = page.locator("table.problems tr", has_text=parked_name).first
    await problem.locator("button", has_text="Reprocess").click()
    await page.wait_for_selector("text=queued again")
    assert await eventually(
        lambda: _is(order_state(env, s1, parked_name), "imported"), "the order to be imported"
    )
    await page.reload()
    assert await parked_row.get_attribute("data-state") == "imported"
    await snap("05-orders-imported")

    # 6. the stock of one SKU follows a storefront order in the other store
    sku = await _catalogue_sku(env, "Main Warehouse", minimum=5)
    await page.goto(f"{d}/stock?sku={sku}")
    before = await shown(page, s2, "Main Warehouse")
    assert before >= 3
    assert await shown(page, s1, "Main Warehouse") == before
    await snap("06-stock-before")
    await env.shopify.place_order(s1, [(sku, 2)], email="buyer@example.com", tax_rate=0.21)

    async def store2_dropped() -> bool:
        await page.reload()
        return await shown(page, s2, "Main Warehouse") == before - 2

    assert await eventually(store2_dropped, "store 2 to show 2 fewer units")
    await snap("06-stock-after")

    # 7. cutover: dry run of the new location, then enable it.  Odoo counts 7 more units of
    # one SKU at the shop than Shopify shows there: the engine leaves the location alone
    # until it is enabled
    retail_sku, pilot_sku = await _catalogue_skus(env, "Retail Store", count=2)
    await env.odoo.receive(retail_sku, 7, "SHOP/Stock")
    await env.odoo.receive(pilot_sku, 4, "SHOP/Stock")
    await page.goto(f"{d}/cutover")
    row = page.locator(f'#cutover-rows tr[data-row="{s1}|Retail Store"]')
    assert "not enabled" in await row.inner_text()
    await row.locator("a.dry-run").click()
    summary = await page.inner_text("#dry-summary")
    changes = int(summary.split()[0])
    assert changes > 0
    dry_row = page.locator(f'#dry-run table tbody tr[data-sku="{retail_sku}"]')
    cells = [c.strip() for c in (await dry_row.inner_text()).split("\t")]
    dry_shown, dry_target = int(cells[4]), int(cells[5])
    assert dry_target == dry_shown + 7
    levels = await env.shopify.levels(s1, retail_sku)
    assert _available(levels, "Retail Store") == dry_shown  # the dry run wrote nothing
    pilot_row = page.locator(f'#dry-run table tbody tr[data-sku="{pilot_sku}"]')
    pilot_target = int([c.strip() for c in (await pilot_row.inner_text()).split("\t")][5])
    await snap("07-cutover-dry-run")

    # a pilot group of one SKU is pushed there; the rest of the location stays as it was
    await page.fill("#pilot-form textarea[name=skus]", pilot_sku)
    await page.click("#pilot-form button[type=submit]")
    await page.wait_for_selector("text=1 level(s) written for 1 SKU(s)")
    assert _available(await env.shopify.levels(s1, pilot_sku), "Retail Store") == pilot_target
    assert _available(await env.shopify.levels(s1, retail_sku), "Retail Store") == dry_shown
    assert "cutover.pilot" in await page.inner_text("#switches")
    await page.check(f'#cutover-rows input[value="{s1}|Retail Store"]')
    await page.click("#enable-chosen")
    await page.wait_for_selector("text=Enabled 1 location(s)")
    assert "enabled" in await row.locator("td.state").inner_text()
    switches = await page.inner_text("#switches")
    assert "cutover.enable" in switches
    assert "tester (password)" in switches

    async def written() -> bool:
        now = await env.shopify.levels(s1, retail_sku)
        return _available(now, "Retail Store") == dry_target

    assert await eventually(written, "the enabled location's level to be written")
    await snap("08-cutover-enabled")
    await page.goto(f"{d}/cutover/spot-check")
    assert await page.locator("#spot tbody tr").count() > 0
    await snap("09-spot-check")
    await page.goto(f"{d}/audit")
    audit = await page.inner_text("#audit")
    for action in ("location_map.save", "link.manual", "problem.reprocess", "cutover.enable"):
        assert action in audit
    await snap("10-audit")
    await page.goto(f"{d}/jobs")
    await snap("11-jobs")
    # the corrections made meanwhile are on the overview's chart
    await page.goto(f"{d}/")
    assert await page.locator("#ttc-chart polyline").count() == 3
    await snap("12-overview-end")


async def _is(value: Awaitable[Any], wanted: Any) -> bool:
    return (await value) == wanted


async def _catalogue_skus(env: Env, location: str, *, count: int) -> list[str]:
    """``count`` catalogue SKUs of store 1 with a level at ``location``."""
    state = await env.shopify.state(env.stores[0])
    found = [
        str(v["sku"])
        for v in state["stores"][0]["variants"]
        if v["sku"] != NEW_SKU and (v.get("levels") or {}).get(location) is not None
    ]
    assert len(found) >= count, f"fewer than {count} SKUs stocked at {location}"
    return found[:count]


async def _catalogue_sku(env: Env, location: str, *, minimum: int) -> str:
    """A catalogue SKU of store 1 stocked at ``location`` with at least ``minimum`` units."""
    state = await env.shopify.state(env.stores[0])
    for v in state["stores"][0]["variants"]:
        level = (v.get("levels") or {}).get(location)
        if v["sku"] != NEW_SKU and level is not None and int(level["available"]) >= minimum:
            return str(v["sku"])
    raise AssertionError(f"no catalogue SKU stocked at {location}")


def _available(levels: list[dict[str, Any]], location: str) -> int | None:
    for lv in levels:
        if lv.get("location") == location:
            return int(lv["available"])
    return None
