"""``/admin/oauth/access_token`` (issue 10 item 4, §h, correction 20)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from shopify_odoo.sandbox.shopify import SandboxDriver, ShopifySandbox

INVALID = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


async def _shop(http: httpx.AsyncClient, store: dict[str, Any], token: str) -> httpx.Response:
    return await http.post(
        store["graphql_url"],
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": token},
    )


async def test_client_credentials_json_and_form(shopify_sandbox: ShopifySandbox) -> None:
    store = shopify_sandbox.info()["stores"][0]
    url = f"{store['admin_url']}/admin/oauth/access_token"
    creds = {
        "grant_type": "client_credentials",
        "client_id": store["client_id"],
        "client_secret": store["client_secret"],
    }
    async with httpx.AsyncClient() as http:
        as_json = (await http.post(url, json=creds)).json()
        as_form = (await http.post(url, data=creds)).json()
        assert as_json["expires_in"] == 86399
        assert "refresh_token" not in as_json
        assert set(as_json) == {"access_token", "scope", "expires_in"}
        assert "write_inventory" in as_json["scope"]
        assert as_form["access_token"] != as_json["access_token"]
        assert (await _shop(http, store, as_json["access_token"])).status_code == 200
        wrong = await http.post(url, data={**creds, "client_secret": "nope"})
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "invalid_client"


@pytest.mark.shopify_sandbox(stores=1, token_lifetime=0.3)
async def test_expired_token_answers_401_and_a_new_one_works(
    shopify_sandbox: ShopifySandbox,
) -> None:
    store = shopify_sandbox.info()["stores"][0]
    url = f"{store['admin_url']}/admin/oauth/access_token"
    creds = {
        "grant_type": "client_credentials",
        "client_id": store["client_id"],
        "client_secret": store["client_secret"],
    }
    async with httpx.AsyncClient() as http:
        token = (await http.post(url, json=creds)).json()["access_token"]
        assert (await _shop(http, store, token)).status_code == 200
        await asyncio.sleep(0.4)
        expired = await _shop(http, store, token)
        assert expired.status_code == 401
        assert expired.json() == INVALID
        fresh = (await http.post(url, json=creds)).json()["access_token"]
        assert (await _shop(http, store, fresh)).status_code == 200
        assert (
            await _shop(http, store, store["access_token"])
        ).status_code == 200  # legacy shpat_ never expires


async def test_shop_not_permitted(shopify_sandbox: ShopifySandbox) -> None:
    store = shopify_sandbox.info()["stores"][0]
    async with SandboxDriver(shopify_sandbox.control_url) as driver:
        await driver.faults(store["handle"], same_organisation=False)
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            f"{store['admin_url']}/admin/oauth/access_token",
            json={
                "grant_type": "client_credentials",
                "client_id": store["client_id"],
                "client_secret": store["client_secret"],
            },
        )
    assert resp.json() == {
        "error": "shop_not_permitted",
        "error_description": "Client credentials cannot be performed on this shop.",
    }


async def test_authorization_code_then_refresh(shopify_sandbox: ShopifySandbox) -> None:
    store = shopify_sandbox.info()["stores"][0]
    async with httpx.AsyncClient() as http:
        redirect = await http.get(
            f"{store['admin_url']}/admin/oauth/authorize",
            params={
                "client_id": store["client_id"],
                "scope": "read_products,write_inventory",
                "redirect_uri": "https://app.example/auth/callback",
                "state": "nonce-1",
            },
        )
        assert redirect.status_code == 302
        params = dict(parse_qsl(urlsplit(redirect.headers["location"]).query))
        assert params["state"] == "nonce-1"
        assert params["shop"] == "shop1.myshopify.com"
        message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "hmac")
        assert hmac.compare_digest(
            params["hmac"],
            hmac.new(store["client_secret"].encode(), message.encode(), hashlib.sha256).hexdigest(),
        )
        token_url = f"{store['admin_url']}/admin/oauth/access_token"
        got = (
            await http.post(
                token_url,
                json={
                    "client_id": store["client_id"],
                    "client_secret": store["client_secret"],
                    "code": params["code"],
                    "expiring": 1,
                },
            )
        ).json()
        assert got["scope"] == "read_products,write_inventory"
        assert got["expires_in"] == 3600
        assert got["refresh_token"]
        reused = await http.post(
            token_url,
            json={
                "client_id": store["client_id"],
                "client_secret": store["client_secret"],
                "code": params["code"],
            },
        )
        assert reused.status_code == 400
        refreshed = (
            await http.post(
                token_url,
                json={
                    "client_id": store["client_id"],
                    "client_secret": store["client_secret"],
                    "grant_type": "refresh_token",
                    "refresh_token": got["refresh_token"],
                },
            )
        ).json()
        assert refreshed["access_token"] != got["access_token"]
        assert refreshed["refresh_token"] != got["refresh_token"]
        assert (await _shop(http, store, refreshed["access_token"])).status_code == 200
