"""Issue 10, Must show 3 (dashboard part): with client credentials tokens obtained at run time,
and again after Shopify refused them, no token, secret or key is rendered on any page."""

from __future__ import annotations

from pathlib import Path

import httpx

from shopify_odoo.sandbox.shopify import SandboxDriver
from shopify_odoo.web.dashboard import create_site

from .harness import config_settings, credentials_rig

D = "/dashboard"
DASH_TOKEN = "dash-bearer-token-for-tests"
PAGES = ("/", "/locations", "/links", "/stock?sku=TSHIRT-0001-BLA-M", "/stores/shop1/orders",
         "/jobs", "/cutover", "/cutover/spot-check", "/audit")  # fmt: skip


async def test_no_token_on_any_dashboard_page(tmp_path: Path) -> None:
    async with credentials_rig(tmp_path, stores=1) as rig:
        data = rig.config()
        data["dashboard"] = {"token": DASH_TOKEN}
        rt = await rig.runtime(config_settings(data))
        app = create_site(rt)
        headers = {"Authorization": f"Bearer {DASH_TOKEN}"}
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client,
        ):
            store = rig.shop.stores[0]

            async def pages() -> list[str]:
                texts = []
                for path in PAGES:
                    page = await client.get(D + path, headers=headers, follow_redirects=True)
                    assert page.status_code in (200, 502), (path, page.status_code)
                    texts.append(page.text)
                return texts

            texts = await pages()
            assert store.grants, "the pages read Shopify with a client credentials token"
            issued = set(store.tokens)  # the legacy token and every token granted so far
            async with SandboxDriver(rig.shop.control_url) as driver:
                await driver.faults(store.handle, expire_tokens=True, same_organisation=False)
            texts += await pages()  # 401, then the grant is refused: errors on the pages
            issued |= set(store.tokens)
            secrets = [store.client_secret, rig.token_key, rig.odoo.api_key, *issued]
            assert len(secrets) >= 5
            for text in texts:
                for secret in secrets:
                    assert secret not in text
            assert any("shop_not_permitted" in t for t in texts)
