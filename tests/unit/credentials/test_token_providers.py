"""Token providers against a scripted token endpoint (fact sheet §h, correction 20)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from shopify_odoo.config import settings_from_mapping
from shopify_odoo.config.credentials import token_key_problem
from shopify_odoo.errors import ConfigError, TerminalError, TransientError
from shopify_odoo.shopify.auth import (
    ClientCredentialsProvider,
    MemoryTokenStore,
    OAuthProvider,
    StaticTokenProvider,
    TokenRecord,
    missing_scopes,
)
from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.store.tokens import TokenCipher

SECRET = "shpss_client_secret_value"
TOKEN_URL = "https://eu-shop.myshopify.com/admin/oauth/access_token"


@dataclass
class Clock:
    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class TokenEndpoint:
    """Answers token requests from a script; records every request body."""

    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    issued: int = 0
    delay: float = 0.0

    def ok(self, lifetime: int | None = 86399, refresh: bool = False) -> None:
        self.answers.append((200, {"lifetime": lifetime, "refresh": refresh}))

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if self.delay:
            await asyncio.sleep(self.delay)
        status, spec = self.answers.pop(0) if self.answers else (200, {"lifetime": 86399})
        if status != 200:
            return httpx.Response(status, json=spec)
        self.issued += 1
        answer: dict[str, Any] = {
            "access_token": f"shpca_token_{self.issued:04d}",
            "scope": "write_products,write_inventory,read_locations,read_orders",
        }
        if spec.get("lifetime") is not None:
            answer["expires_in"] = spec["lifetime"]
        if spec.get("refresh"):
            answer["refresh_token"] = f"shprt_refresh_{self.issued:04d}"
        return httpx.Response(200, json=answer)


def cc_provider(endpoint: TokenEndpoint, clock: Clock) -> ClientCredentialsProvider:
    return ClientCredentialsProvider(
        store="eu",
        shop_domain="eu-shop.myshopify.com",
        token_url=TOKEN_URL,
        client_id="cid",
        client_secret=SECRET,
        transport=httpx.MockTransport(endpoint),
        clock=clock,
    )


async def test_client_credentials_token_before_first_call_and_before_expiry() -> None:
    endpoint, clock = TokenEndpoint(), Clock()
    provider = cc_provider(endpoint, clock)
    first = await provider.get_token()
    assert endpoint.bodies == [
        {"client_id": "cid", "client_secret": SECRET, "grant_type": "client_credentials"}
    ]
    clock.now += 86399 - 301  # outside the 5 min margin: the same token
    assert await provider.get_token() == first
    clock.now += 2  # inside the margin: renewed before it expires, once for 20 callers
    tokens = await asyncio.gather(*(provider.get_token() for _ in range(20)))
    assert len(set(tokens)) == 1
    assert tokens[0] != first
    assert endpoint.issued == 2
    assert provider.current is not None
    assert provider.current.scopes[0] == "write_products"
    await provider.aclose()


async def test_401_renews_once_and_stale_reports_are_ignored() -> None:
    endpoint, clock = TokenEndpoint(), Clock()
    endpoint.delay = 0.01
    provider = cc_provider(endpoint, clock)
    refused = await provider.get_token()
    results = await asyncio.gather(*(provider.invalidate(refused) for _ in range(10)))
    assert all(results)
    assert endpoint.issued == 2  # ten workers saw the 401, one renewal
    assert await provider.get_token() != refused
    await provider.aclose()


async def test_wrong_client_secret_is_terminal_naming_store_and_fix() -> None:
    endpoint, clock = TokenEndpoint(), Clock()
    endpoint.answers.append(
        (401, {"error": "invalid_client", "error_description": "Client authentication failed"})
    )
    provider = cc_provider(endpoint, clock)
    with pytest.raises(TerminalError) as info:
        await provider.get_token()
    text = str(info.value)
    assert "store eu (eu-shop.myshopify.com)" in text
    assert "invalid_client" in text
    assert "check client_id and client_secret of store eu" in text
    assert SECRET not in text
    # the workers that follow get the same answer without asking Shopify again, for a while
    for _ in range(5):
        with pytest.raises(TerminalError, match="invalid_client"):
            await provider.get_token()
    assert len(endpoint.bodies) == 1
    clock.now += 31  # the secret may have been fixed meanwhile: asked again
    assert (await provider.get_token()).startswith("shpca_token")
    assert len(endpoint.bodies) == 2
    await provider.aclose()


async def test_shop_not_permitted_points_to_oauth() -> None:
    endpoint, clock = TokenEndpoint(), Clock()
    endpoint.answers.append(
        (
            400,
            {
                "error": "shop_not_permitted",
                "error_description": "Client credentials cannot be performed on this shop.",
            },
        )
    )
    provider = cc_provider(endpoint, clock)
    with pytest.raises(TerminalError) as info:
        await provider.get_token()
    assert "not in the same organisation" in str(info.value)
    assert "/auth/install?shop=eu-shop.myshopify.com" in str(info.value)
    await provider.aclose()


async def test_endpoint_down_keeps_a_token_that_has_not_expired(
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoint, clock = TokenEndpoint(), Clock()
    provider = cc_provider(endpoint, clock)
    first = await provider.get_token()
    endpoint.answers += [(503, {}), (503, {})]
    clock.now += 86399 - 60  # inside the margin, not expired
    with caplog.at_level(logging.WARNING):
        assert await provider.get_token() == first
    assert "still valid" in caplog.text
    assert first not in caplog.text
    clock.now += 120  # expired: nothing to fall back on, retried later
    with pytest.raises(TransientError):
        await provider.get_token()
    assert await provider.get_token() != first  # the endpoint is back
    await provider.aclose()


def oauth_provider(endpoint: TokenEndpoint, clock: Clock, refresh: str | None) -> OAuthProvider:
    initial = TokenRecord(
        "shpat_offline_initial", "oauth", issued_at=clock(), refresh_token=refresh
    )
    return OAuthProvider(
        initial=initial,
        store="us",
        shop_domain="us-shop.myshopify.com",
        token_url=TOKEN_URL,
        client_id="cid",
        client_secret=SECRET,
        tokens=MemoryTokenStore(),
        transport=httpx.MockTransport(endpoint),
        clock=clock,
    )


async def test_oauth_refresh_rotates_the_refresh_token() -> None:
    endpoint, clock = TokenEndpoint(), Clock()
    provider = oauth_provider(endpoint, clock, "shprt_from_config")
    assert await provider.get_token() == "shpat_offline_initial"
    assert endpoint.bodies == []  # the configured token is used as it is
    endpoint.ok(lifetime=3600, refresh=True)
    assert await provider.invalidate("shpat_offline_initial")
    assert endpoint.bodies[-1]["grant_type"] == "refresh_token"
    assert endpoint.bodies[-1]["refresh_token"] == "shprt_from_config"
    renewed = await provider.get_token()
    clock.now += 3600 - 100  # inside the margin of the 60 min token: refreshed proactively
    endpoint.ok(lifetime=3600, refresh=True)
    assert await provider.get_token() != renewed
    assert endpoint.bodies[-1]["refresh_token"] == "shprt_refresh_0001"
    await provider.aclose()


async def test_oauth_refused_refresh_names_reinstall() -> None:
    endpoint, clock = TokenEndpoint(), Clock()
    provider = oauth_provider(endpoint, clock, "shprt_spent")
    await provider.get_token()
    endpoint.answers.append((400, {"error": "invalid_grant", "error_description": "used"}))
    with pytest.raises(TerminalError) as info:
        await provider.invalidate("shpat_offline_initial")
    assert "/auth/install?shop=us-shop.myshopify.com" in str(info.value)
    assert "shprt_spent" not in str(info.value)
    without = oauth_provider(TokenEndpoint(), Clock(), None)
    await without.get_token()
    assert await without.invalidate("shpat_offline_initial") is False  # nothing to renew with
    await provider.aclose()
    await without.aclose()


async def test_client_turns_a_second_401_into_the_providers_remedy() -> None:
    endpoint, clock = TokenEndpoint(), Clock()
    provider = cc_provider(endpoint, clock)

    def graphql(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("access_token"):
            raise AssertionError("token requests go through the provider's own transport")
        return httpx.Response(
            401,
            json={
                "errors": "[API] Invalid API key or access token (unrecognized login or wrong "
                "password)"
            },
        )

    client = ShopifyClient(
        "eu", "eu-shop.myshopify.com", provider, transport=httpx.MockTransport(graphql)
    )
    async with client:
        with pytest.raises(TerminalError) as info:
            await client.shop()
    text = str(info.value)
    assert "store eu (eu-shop.myshopify.com)" in text
    assert "client credentials token (HTTP 401)" in text
    assert "check client_id and client_secret of store eu" in text
    assert endpoint.issued == 2  # the first token, one renewal, then the terminal error
    assert "shpca_token" not in text


def test_reprs_hide_values() -> None:
    record = TokenRecord("shpat_visible?", "oauth", refresh_token="shprt_visible?")
    assert "visible" not in repr(record)
    assert "visible" not in repr(StaticTokenProvider("shpat_visible?"))
    assert "visible" not in repr(TokenCipher(Fernet.generate_key().decode()))


def test_cipher_round_trip_and_key_change() -> None:
    key = Fernet.generate_key().decode()
    blob = TokenCipher(key).encrypt("shpca_secret")
    assert b"shpca_secret" not in blob
    assert TokenCipher(key).decrypt(blob) == "shpca_secret"
    assert TokenCipher(Fernet.generate_key().decode()).decrypt(blob) is None
    with pytest.raises(ConfigError, match="SHOPIFY_ODOO_TOKEN_KEY"):
        TokenCipher("not-a-key")


def test_write_scopes_imply_read_scopes() -> None:
    granted = ["write_products", "read_inventory", "read_locations"]
    assert missing_scopes(granted, ["read_products", "write_inventory", "read_locations"]) == [
        "write_inventory"
    ]


def _settings(**extra: Any) -> Any:
    return settings_from_mapping(
        {
            "odoo": {"url": "https://x.odoo.com", "database": "x", "login": "a", "api_key": "k"},
            "stores": [
                {"handle": "eu", "shop_domain": "eu.myshopify.com", "client_id": "c",
                 "client_secret": "s"},
                {"handle": "us", "shop_domain": "us.myshopify.com", "access_token": "shpat_x",
                 "webhook_secret": "w"},
            ],
            "location_map": [
                {"store": h, "shopify_location": "Main", "odoo_locations": ["WH/Stock"]}
                for h in ("eu", "us")
            ],
            **extra,
        }
    )  # fmt: skip


def test_token_key_is_required_by_the_renewing_modes_only() -> None:
    problem = token_key_problem(_settings())
    assert problem is not None
    assert '"eu"' in problem.message
    assert '"us"' not in problem.message
    assert "SHOPIFY_ODOO_TOKEN_KEY" in problem.fix
    assert token_key_problem(_settings(), ["us"]) is None
    key = Fernet.generate_key().decode()
    settings = _settings(token_key=key)
    assert token_key_problem(settings) is None
    assert key in settings.secret_values()  # redacted from logs like every secret


def test_a_malformed_token_key_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError) as info:
        _settings(token_key="short-and-wrong")
    assert "token_key" in str(info.value)
    assert "Fernet.generate_key" in str(info.value)
    assert "short-and-wrong" not in str(info.value)
