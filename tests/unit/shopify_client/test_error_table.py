"""Every row of the Shopify error table (STYLE.md §5), through httpx.MockTransport."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from shopify_odoo.errors import ShopifyOdooError, TerminalError, TransientError
from shopify_odoo.shopify.auth import StaticTokenProvider
from shopify_odoo.shopify.budget import StoreBudget
from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.shopify.errors import GRAPHQL_CODES, HTTP_STATUS, Kind, UserErrorsError
from shopify_odoo.shopify.limiter import SAFETY_MARGIN

from .fakes import THROTTLED_BODY, FakeClock, FakeShopify, cost, make_client

SHOP = {
    "shop": {
        "id": "gid://shopify/Shop/1",
        "name": "EU",
        "myshopifyDomain": "eu-shop.myshopify.com",
        "currencyCode": "EUR",
        "ianaTimezone": "Europe/Paris",
        "plan": {"publicDisplayName": "Basic", "shopifyPlus": False, "partnerDevelopment": False},
    }
}
TOKEN = "shpat_test_token"


def answering(*responses: Any) -> FakeShopify:
    """A fake whose Shop operation answers each response in turn (the last one repeats)."""
    fake = FakeShopify()
    queue = list(responses)

    @fake.on("Shop")
    def _(variables: dict[str, Any]) -> Any:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return fake


async def run(fake: FakeShopify, **kw: Any) -> Any:
    async with make_client(fake, **kw) as client:
        return await client.shop()


def assert_no_token(error: BaseException) -> None:
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error.args)


@pytest.mark.parametrize("status", sorted(HTTP_STATUS))
async def test_every_http_status_row(status: int) -> None:
    rule = HTTP_STATUS[status]
    headers = {"Retry-After": "0.5"} if status == 429 else {}
    fake = answering(httpx.Response(status, json={"errors": "x"}, headers=headers))
    if status == 401:
        fake.token = "another"  # the fake refuses our token with 401
    expected = TransientError if rule.kind is Kind.TRANSIENT else TerminalError
    with pytest.raises(expected) as info:
        await run(fake, max_retries=1)
    assert info.value.cause == rule.cause
    assert "store eu" in str(info.value)
    assert_no_token(info.value)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, TerminalError), (422, TerminalError), (501, TransientError), (599, TransientError)],
)
async def test_statuses_outside_the_table_fall_back_by_class(
    status: int, kind: type[ShopifyOdooError]
) -> None:
    with pytest.raises(kind):
        await run(answering(httpx.Response(status, text="no")))


async def test_network_error_is_transient() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = ShopifyClient(
        "eu",
        "eu-shop.myshopify.com",
        StaticTokenProvider(TOKEN),
        transport=httpx.MockTransport(refuse),
    )
    async with client:
        with pytest.raises(TransientError) as info:
            await client.shop()
    assert info.value.cause == "network"
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_timeout_is_transient() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = ShopifyClient(
        "eu",
        "eu-shop.myshopify.com",
        StaticTokenProvider(TOKEN),
        transport=httpx.MockTransport(slow),
    )
    async with client:
        with pytest.raises(TransientError) as info:
            await client.shop()
    assert info.value.cause == "timeout"
    assert (await client.budget.state()).in_flight == 0


async def test_429_waits_retry_after_then_succeeds() -> None:
    clock = FakeClock()
    fake = answering(httpx.Response(429, headers={"Retry-After": "2"}), SHOP)
    shop = await run(fake, clock=clock)
    assert shop.currency == "EUR"
    assert clock.sleeps
    assert sum(clock.sleeps) == pytest.approx(2.0)


async def test_throttled_in_a_200_body_backs_off_and_retries() -> None:
    clock = FakeClock()
    fake = answering(THROTTLED_BODY, SHOP)
    shop = await run(fake, clock=clock)
    assert shop.name == "EU"
    # (requested 50 - currentlyAvailable 20) / restoreRate 100 = 0.3 s (correction 4),
    # then the safety margin of the limiter
    assert sum(clock.sleeps) == pytest.approx(0.3 + SAFETY_MARGIN / 100)
    assert len(fake.requests) == 2


async def test_throttled_every_time_becomes_transient_with_retry_after() -> None:
    with pytest.raises(TransientError) as info:
        await run(answering(THROTTLED_BODY), max_retries=2)
    assert info.value.cause == "throttled"
    assert info.value.retry_after == pytest.approx(0.3)


def error_body(code: str | None, message: str = "boom", **ext: Any) -> dict[str, Any]:
    extensions: dict[str, Any] = dict(ext)
    if code is not None:
        extensions["code"] = code
    return {"errors": [{"message": message, "extensions": extensions}], "extensions": cost()}


@pytest.mark.parametrize("code", sorted(c for c in GRAPHQL_CODES if c != "THROTTLED"))
async def test_every_graphql_code_row(code: str) -> None:
    rule = GRAPHQL_CODES[code]
    expected = TransientError if rule.kind is Kind.TRANSIENT else TerminalError
    with pytest.raises(expected) as info:
        await run(answering(error_body(code)))
    assert info.value.cause == rule.cause
    assert "store eu" in str(info.value)


async def test_access_denied_names_the_missing_scope_and_the_store() -> None:
    body = error_body(
        "ACCESS_DENIED",
        "Access denied for inventoryItems field. Required access: `read_inventory` access scope.",
        requiredAccess="`read_inventory` access scope.",
    )
    with pytest.raises(TerminalError) as info:
        await run(answering(body))
    message = str(info.value)
    assert info.value.cause == "missing_scope"
    assert "read_inventory" in message
    assert "store eu" in message
    assert "shopify-odoo check" in message


async def test_graphql_validation_error_is_terminal_our_bug() -> None:
    body = error_body("undefinedField", "Field 'foo' doesn't exist on type 'QueryRoot'")
    with pytest.raises(TerminalError) as info:
        await run(answering(body))
    assert info.value.cause == "invalid_query"
    assert "doesn't exist" in str(info.value)


async def test_error_without_code_is_terminal() -> None:
    with pytest.raises(TerminalError) as info:
        await run(answering(error_body(None, 'Parse error on "}"')))
    assert info.value.cause == "invalid_query"


async def test_body_that_is_not_json_is_transient() -> None:
    with pytest.raises(TransientError) as info:
        await run(answering(httpx.Response(200, text="<html>gateway</html>")))
    assert info.value.cause == "bad_response"


async def test_user_errors_are_surfaced_with_field_and_code() -> None:
    fake = FakeShopify()

    @fake.on("WebhookSubscriptionCreate")
    def _(variables: dict[str, Any]) -> Any:
        return {
            "webhookSubscriptionCreate": {
                "webhookSubscription": None,
                "userErrors": [
                    {"field": ["webhookSubscription", "uri"], "message": "Address is invalid"}
                ],
            }
        }

    async with make_client(fake) as client:
        with pytest.raises(UserErrorsError) as info:
            await client.create_webhook_subscription("ORDERS_CREATE", "ftp://nope")
    assert info.value.user_errors[0].field == ("webhookSubscription", "uri")
    assert "webhookSubscription.uri" in str(info.value)
    assert "Address is invalid" in str(info.value)


class RenewingProvider:
    """Hands out token v1, then v2 after an invalidate (like a client-credentials provider)."""

    def __init__(self) -> None:
        self.tokens = ["shpat_old_token", TOKEN]
        self.renewals = 0

    async def get_token(self) -> str:
        return self.tokens[0]

    async def invalidate(self, token: str) -> bool:
        if token == self.tokens[0] and len(self.tokens) > 1:
            self.tokens.pop(0)
            self.renewals += 1
            return True
        return False

    def describe(self) -> str:
        return "client-credentials token"


async def test_401_renews_the_token_once_and_retries() -> None:
    fake = answering(SHOP)
    provider = RenewingProvider()
    client = ShopifyClient(
        "eu", "eu-shop.myshopify.com", provider, transport=httpx.MockTransport(fake)
    )
    async with client:
        shop = await client.shop()
    assert shop.name == "EU"
    assert provider.renewals == 1
    assert [h["X-Shopify-Access-Token"] for h in fake.headers] == ["shpat_old_token", TOKEN]


async def test_401_after_renewal_is_terminal_naming_store_and_fix() -> None:
    fake = answering(SHOP)
    fake.token = "nobody-has-this"
    provider = RenewingProvider()
    client = ShopifyClient(
        "eu", "eu-shop.myshopify.com", provider, transport=httpx.MockTransport(fake)
    )
    async with client:
        with pytest.raises(TerminalError) as info:
            await client.shop()
    message = str(info.value)
    assert "store eu" in message
    assert "client-credentials token" in message
    assert "renew the credentials" in message
    assert "shpat_old_token" not in message
    assert TOKEN not in message
    assert len(fake.requests) == 2  # one renewal, one retry, no more


async def test_version_mismatch_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    fake = answering(SHOP)
    fake.api_version = "2026-07"
    caplog.set_level(logging.WARNING)
    async with make_client(fake) as client:
        await client.shop()
        await client.shop()
    warnings = [r for r in caplog.records if "2026-07" in r.getMessage()]
    assert len(warnings) == 1
    assert TOKEN not in caplog.text


async def test_request_shape_pins_version_and_sends_token_header_only() -> None:
    fake = answering(SHOP)
    async with make_client(fake) as client:
        await client.shop()
    assert client.endpoint == "https://eu-shop.myshopify.com/admin/api/2026-04/graphql.json"
    assert fake.headers[0]["X-Shopify-Access-Token"] == TOKEN
    assert fake.requests[0]["operationName"] == "Shop"


async def test_admin_url_override_for_the_sandbox() -> None:
    client = ShopifyClient(
        "eu",
        "eu-shop.myshopify.com",
        StaticTokenProvider(TOKEN),
        admin_url="http://127.0.0.1:8123/",
        budget=StoreBudget("eu"),
    )
    async with client:
        assert client.endpoint == "http://127.0.0.1:8123/admin/api/2026-04/graphql.json"
