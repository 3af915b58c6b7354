"""Issue 10, Must show 2: the OAuth install flow against the Shopify sandbox, and the callback
refusing a wrong ``hmac``, a wrong, replayed, expired or foreign ``state``, and a shop domain
that is not ``*.myshopify.com``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from starlette.applications import Starlette

from shopify_odoo.config import Settings, settings_from_mapping
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.sandbox.shopify import ShopifySandbox
from shopify_odoo.shopify.auth import NEEDED_SCOPES
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.store.migrate import upgrade_database
from shopify_odoo.store.tokens import token_statuses
from shopify_odoo.web.app import create_app
from shopify_odoo.web.oauth import OAuthFlow, OAuthStates, callback_hmac

CONNECTOR = "http://connector.test"


def oauth_settings(tmp_path: Path, sandbox: ShopifySandbox) -> Settings:
    return settings_from_mapping(
        {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'state.db'}",
            "token_key": Fernet.generate_key().decode(),
            "odoo": {
                "url": "http://odoo.invalid",
                "database": "db",
                "login": "admin",
                "api_key": "k",
            },
            "stores": [
                {
                    "handle": s.handle,
                    "shop_domain": s.domain,
                    "admin_url": s.base_url,
                    "auth": "oauth",
                    "client_id": s.client_id,
                    "client_secret": s.client_secret,
                    "redirect_url": f"{CONNECTOR}/auth/callback",
                }
                for s in sandbox.stores
            ],
            "location_map": [
                {"store": s.handle, "shopify_location": "Main Warehouse", "odoo_locations": ["X"]}
                for s in sandbox.stores
            ],
        }
    )


@dataclass
class Connector:
    settings: Settings
    db: Database
    sandbox: ShopifySandbox
    http: httpx.AsyncClient  # the merchant's browser on the connector (keeps cookies)

    async def authorize(self, shop: str) -> dict[str, str]:
        """/auth/install, then the sandbox's authorize page: the callback's query."""
        start = await self.http.get("/auth/install", params={"shop": shop})
        assert start.status_code == 302, start.text
        target = start.headers["location"]
        query = dict(parse_qsl(urlsplit(target).query))
        assert query["scope"] == ",".join(NEEDED_SCOPES)
        assert query["redirect_uri"] == f"{CONNECTOR}/auth/callback"
        async with httpx.AsyncClient() as shopify:
            approved = await shopify.get(target)
        assert approved.status_code == 302
        back = urlsplit(approved.headers["location"])
        assert f"{back.scheme}://{back.netloc}{back.path}" == f"{CONNECTOR}/auth/callback"
        return dict(parse_qsl(back.query))

    async def callback(self, params: dict[str, str]) -> httpx.Response:
        return await self.http.get(f"/auth/callback?{urlencode(params)}")

    def secret(self, shop: str) -> str:
        return next(s.client_secret for s in self.sandbox.stores if s.domain == shop)

    def resign(self, params: dict[str, str]) -> dict[str, str]:
        """The same parameters with a valid hmac (to test the other checks on their own)."""
        out = {k: v for k, v in params.items() if k != "hmac"}
        out["hmac"] = callback_hmac(self.secret(params["shop"]), out)
        return out


@pytest.fixture
async def connector(
    tmp_path: Path, shopify_sandbox: ShopifySandbox, request: pytest.FixtureRequest
) -> AsyncIterator[Connector]:
    settings = oauth_settings(tmp_path, shopify_sandbox)
    db = await open_database(settings.database_url)
    await upgrade_database(db)
    await register_stores(db, settings)
    ttl = getattr(request, "param", None)
    if ttl is None:
        app = create_app(settings, db)
    else:
        app = Starlette(routes=OAuthFlow(settings, db, states=OAuthStates(ttl=ttl)).routes())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=CONNECTOR
    ) as http:
        yield Connector(settings, db, shopify_sandbox, http)
    await db.dispose()


def _secrets(sandbox: ShopifySandbox) -> list[str]:
    found: list[str] = []
    for store in sandbox.stores:
        found += [store.client_secret, *store.tokens, *store.refresh_tokens]
    return found


@pytest.mark.shopify_sandbox(stores=2, token_lifetime=2)
async def test_install_stores_tokens_that_refresh(
    connector: Connector, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shop = "shop1.myshopify.com"
    answer = await connector.callback(await connector.authorize(shop))
    assert answer.status_code == 200, answer.text
    assert "Connector installed on shop1.myshopify.com" in answer.text
    assert "Missing scopes" not in answer.text
    status = (await token_statuses(connector.db))["shop1"]
    assert status.mode == "oauth"
    assert status.has_refresh_token
    assert status.expires_at is not None
    assert set(NEEDED_SCOPES) <= set(status.scopes.split(","))

    rt = await Runtime.open(connector.settings, db=connector.db)
    try:
        before = await rt.shop("shop1").shop()
        refreshes = len(connector.sandbox.store("shop1").refresh_tokens)
        await asyncio.sleep(2.1)  # the offline token expires; its refresh token renews it
        after = await rt.shop("shop1").shop()
        assert before.name == after.name
        grants = connector.sandbox.store("shop1").grants
        assert [kind for _, kind in grants] == ["offline"] * len(grants)
        assert len(grants) >= 2  # the code exchange, then refreshes (one per expiry)
        assert grants[-1][0] - grants[-2][0] >= 1.6
        assert len(connector.sandbox.store("shop1").refresh_tokens) == refreshes  # rotated
        with pytest.raises(Exception, match="no OAuth token yet") as info:
            await rt.shop("shop2").shop()  # never installed
        assert "/auth/install?shop=shop2.myshopify.com" in str(info.value)
    finally:
        rt.owns_db = False
        await rt.aclose()
    for value in _secrets(connector.sandbox):
        assert value not in caplog.text
        assert value not in answer.text


async def test_wrong_hmac_is_refused(connector: Connector) -> None:
    params = await connector.authorize("shop1.myshopify.com")
    forged = {**params, "hmac": "0" * 64}
    answer = await connector.callback(forged)
    assert answer.status_code == 403
    assert "hmac" in answer.text
    tampered = {**params, "code": "another-code"}  # hmac no longer matches the parameters
    assert (await connector.callback(tampered)).status_code == 403
    signed_elsewhere = {**params, "hmac": callback_hmac("not-the-secret", params)}
    assert (await connector.callback(signed_elsewhere)).status_code == 403
    assert await token_statuses(connector.db) == {}
    # the genuine callback still works: refusals did not use the state up
    assert (await connector.callback(params)).status_code == 200


async def test_wrong_or_replayed_state_is_refused(connector: Connector) -> None:
    params = await connector.authorize("shop1.myshopify.com")
    wrong = connector.resign({**params, "state": "made-up-state"})
    answer = await connector.callback(wrong)
    assert answer.status_code == 403
    assert "unknown or already used" in answer.text
    missing = connector.resign({k: v for k, v in params.items() if k != "state"})
    assert (await connector.callback(missing)).status_code == 403
    assert (await connector.callback(params)).status_code == 200
    replay = await connector.callback(params)
    assert replay.status_code == 403
    assert "unknown or already used" in replay.text


async def test_state_of_another_shop_or_browser_is_refused(connector: Connector) -> None:
    first = await connector.authorize("shop1.myshopify.com")
    # shop2's genuine callback signed by shop2, carrying the state issued for shop1
    second = await connector.authorize("shop2.myshopify.com")
    crossed = connector.resign({**second, "state": first["state"]})
    answer = await connector.callback(crossed)
    assert answer.status_code == 403
    assert "issued for another shop" in answer.text
    # a state issued to another browser (cookie) is refused
    third = await connector.authorize("shop1.myshopify.com")
    connector.http.cookies.clear()
    other_browser = await connector.callback(third)
    assert other_browser.status_code == 403
    assert "not the one given to this browser" in other_browser.text


@pytest.mark.parametrize("connector", [0.3], indirect=True)
async def test_expired_state_is_refused(connector: Connector) -> None:
    params = await connector.authorize("shop1.myshopify.com")
    await asyncio.sleep(0.4)
    answer = await connector.callback(params)
    assert answer.status_code == 403
    assert "expired" in answer.text


@pytest.mark.parametrize(
    "shop",
    [
        "evil.example.com",
        "shop1.myshopify.com.evil.example",
        "shop1.myshopify.co",
        "",
        "unknown-shop.myshopify.com",  # well-formed, but not a store of this connector
    ],
)
async def test_shop_that_is_not_a_configured_myshopify_domain_is_refused(
    connector: Connector, shop: str
) -> None:
    assert (await connector.http.get("/auth/install", params={"shop": shop})).status_code == 400
    genuine = await connector.authorize("shop1.myshopify.com")
    params: dict[str, Any] = {**genuine, "shop": shop}
    params["hmac"] = callback_hmac(connector.secret("shop1.myshopify.com"), params)
    answer = await connector.callback(params)
    assert answer.status_code == 400
    assert ("not a *.myshopify.com" in answer.text) or ("not a store of this" in answer.text)
    assert await token_statuses(connector.db) == {}


async def test_a_code_refused_by_shopify_is_reported_without_secrets(connector: Connector) -> None:
    params = await connector.authorize("shop1.myshopify.com")
    store = connector.sandbox.store("shop1")
    store.auth_codes.pop(params["code"])  # the code was already used (or has expired)
    answer = await connector.callback(params)
    assert answer.status_code == 502
    assert "Shopify refused the authorization code" in answer.text
    assert "/auth/install?shop=shop1.myshopify.com" in answer.text
    assert store.client_secret not in answer.text
    assert await token_statuses(connector.db) == {}
