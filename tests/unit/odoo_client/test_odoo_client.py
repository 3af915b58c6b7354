"""OdooClient over httpx.MockTransport: protocol choice, request shapes, authentication
failures, retries, the in-flight limit, batching and grouped reads."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest

from shopify_odoo.errors import ConfigError
from shopify_odoo.odoo import OdooClient, RetryPolicy
from shopify_odoo.odoo.errors import (
    OdooAuthenticationError,
    OdooConcurrencyError,
    OdooTimeout,
    OdooUnavailable,
)

from .fake import FakeOdoo, Raise, json2_error_response, jsonrpc_error_body

SECRET = "s3cret-key"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def client_for(
    fake: FakeOdoo,
    *,
    api_key: str | None = SECRET,
    password: str | None = None,
    url: str = "https://acme.example.com",
    **kw: Any,
) -> OdooClient:
    return OdooClient(
        url,
        fake.db,
        fake.login,
        api_key=api_key,
        password=password,
        transport=fake.transport(),
        **kw,
    )


@pytest.mark.parametrize(
    ("version", "api_key", "password", "protocol"),
    [
        ("16.0", SECRET, None, "jsonrpc"),
        ("17.0+e", SECRET, None, "jsonrpc"),
        ("saas~17.1+e", SECRET, None, "jsonrpc"),
        ("18.0", SECRET, None, "jsonrpc"),
        ("19.0", SECRET, None, "json2"),
        ("19.0", None, SECRET, "jsonrpc"),  # password: JSON-2 needs a key (§1.5)
        ("saas~19.1+e", SECRET, None, "json2"),
    ],
)
async def test_auto_protocol_by_version_and_credentials(
    version: str, api_key: str | None, password: str | None, protocol: str
) -> None:
    fake = FakeOdoo(version)
    fake.on("res.partner", "search")(lambda ids, kw, ctx: [7])
    async with client_for(fake, api_key=api_key, password=password) as client:
        assert await client.search("res.partner", [("name", "=", "x")]) == [7]
        assert client.protocol == protocol
        assert client.version is not None
        assert str(client.version) == version
        assert client.uid == 2


async def test_jsonrpc_request_shape_execute_kw() -> None:
    """§1.2/§1.3: object.execute_kw(db, uid, key, model, method, [ids], kwargs+context)."""
    fake = FakeOdoo("16.0")
    fake.on("sale.order", "action_confirm")(lambda ids, kw, ctx: True)
    async with client_for(fake, context={"allowed_company_ids": [1]}) as client:
        await client.call("sale.order", "action_confirm", ids=[4, 5], context={"lang": "fr_FR"})
    body = json.loads(fake.requests[-1].content)
    assert body["method"] == "call"
    assert body["jsonrpc"] == "2.0"
    assert body["params"]["service"] == "object"
    assert body["params"]["method"] == "execute_kw"
    assert body["params"]["args"] == [
        "acme",
        2,
        SECRET,
        "sale.order",
        "action_confirm",
        [[4, 5]],
        {"context": {"allowed_company_ids": [1], "lang": "fr_FR"}},
    ]


async def test_json2_request_shape_named_arguments_and_bearer() -> None:
    """§1.5: POST /json/2/<model>/<method>, bearer key, X-Odoo-Database, named args only."""
    fake = FakeOdoo("19.0")
    fake.on("product.product", "search_read")(lambda ids, kw, ctx: [{"id": 1}])
    async with client_for(fake) as client:
        rows = await client.search_read("product.product", [("id", "=", 1)], ["id"], limit=5)
    assert rows == [{"id": 1}]
    request = fake.requests[-1]
    assert request.url.path == "/json/2/product.product/search_read"
    assert request.headers["authorization"] == f"bearer {SECRET}"
    assert request.headers["x-odoo-database"] == "acme"
    assert json.loads(request.content) == {"domain": [["id", "=", 1]], "fields": ["id"], "limit": 5}


async def test_none_result_is_none_on_both_protocols() -> None:
    """§1.3: JSON-RPC omits ``result`` for None; JSON-2 answers ``null``."""
    for version in ("17.0", "19.0"):
        fake = FakeOdoo(version)
        fake.on("stock.quant", "action_apply_inventory")(lambda ids, kw, ctx: None)
        async with client_for(fake) as client:
            assert await client.call("stock.quant", "action_apply_inventory", ids=[1]) is None


async def test_version_falls_back_to_common_version() -> None:
    fake = FakeOdoo("saas~17.1+e")
    original = fake.handle

    def no_webclient(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/web/webclient/version_info":
            return httpx.Response(404, text="<html>nope</html>")
        return original(request)

    async with OdooClient(
        "https://x.example.com",
        "acme",
        "bot",
        api_key=SECRET,
        transport=httpx.MockTransport(no_webclient),
    ) as client:
        version = await client.detect_version()
    assert version.tuple == (17, 1)
    assert version.saas


# -- authentication failures (issue 10 item 5, §1.1) -----------------------------------------


async def test_password_refused_says_so_and_suggests_api_key_on_online() -> None:
    fake = FakeOdoo("17.0", secrets={"right"})
    async with client_for(
        fake, api_key=None, password="wrong-pass", url="https://acme.odoo.com"
    ) as client:
        with pytest.raises(OdooAuthenticationError) as info:
            await client.connect()
    error = info.value
    assert error.reason == "password_refused"
    text = str(error)
    assert 'password of login "bot" was refused' in text
    assert "API key" in text
    assert "Custom plan" in text
    assert "wrong-pass" not in text


async def test_api_key_refused_on_17_does_not_mention_expiry() -> None:
    fake = FakeOdoo("17.0", secrets={"other"})
    async with client_for(fake) as client:
        with pytest.raises(OdooAuthenticationError) as info:
            await client.connect()
    assert info.value.reason == "api_key_refused"
    assert "expired" not in info.value.message
    assert "New API Key" in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("version", ["18.0", "19.0"])
async def test_api_key_refused_on_18_plus_names_expiry(version: str) -> None:
    """§1.1: keys expire from 18.0; Odoo cannot tell expired from wrong (same refusal)."""
    fake = FakeOdoo(version, secrets={"other"})
    async with client_for(fake) as client:
        with pytest.raises(OdooAuthenticationError) as info:
            await client.connect()
    assert info.value.reason == "api_key_refused"
    assert "expired" in info.value.message


async def test_api_key_expired_message_is_recognised() -> None:
    fake = FakeOdoo("19.0")
    fake.injected.append(
        json2_error_response(401, "werkzeug.exceptions.Unauthorized", "The API key has expired")
    )
    async with client_for(fake) as client:
        with pytest.raises(OdooAuthenticationError) as info:
            await client.connect()
    assert info.value.reason == "api_key_expired"
    assert "has expired" in str(info.value)


async def test_plan_without_external_api_is_named() -> None:
    """§1.1: One App Free / Standard plans have no external API."""
    fake = FakeOdoo("19.0")
    fake.injected.append(
        httpx.Response(403, text="<html>Forbidden</html>", headers={"content-type": "text/html"})
    )
    async with client_for(fake, url="https://acme.odoo.com") as client:
        with pytest.raises(OdooAuthenticationError) as info:
            await client.connect()
    assert info.value.reason == "no_api_access"
    assert "Custom plan" in str(info.value)


async def test_unknown_database_is_named() -> None:
    fake = FakeOdoo("16.0")
    async with OdooClient(
        "https://acme.example.com", "nope", "bot", api_key=SECRET, transport=fake.transport()
    ) as client:
        with pytest.raises(OdooAuthenticationError) as info:
            await client.connect()
    assert info.value.reason == "database_not_found"
    assert 'database "nope"' in str(info.value)


async def test_jsonrpc_disabled_on_19_suggests_api_key() -> None:
    """§1.3: recent masters answer 404 on /jsonrpc object/authenticate."""
    fake = FakeOdoo("19.0")
    fake.injected.append(httpx.Response(404, text="<html>Not Found</html>"))
    async with client_for(fake, api_key=None, password="pw") as client:
        with pytest.raises(OdooAuthenticationError) as info:
            await client.connect()
    assert info.value.reason == "jsonrpc_disabled"
    assert "JSON-2" in str(info.value)


def test_settings_problems_are_listed_together() -> None:
    with pytest.raises(ConfigError) as info:
        OdooClient("acme.odoo.com", "", "", protocol="json2")
    assert len(info.value.problems) == 5
    assert all("odoo" in p.lower() or "json2" in p for p in info.value.problems)


def test_secrets_never_in_repr() -> None:
    client = OdooClient("https://a.example.com", "db", "bot", api_key=SECRET)
    assert SECRET not in repr(client)
    assert "api_key" in repr(client)


async def test_secrets_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeOdoo("17.0")
    fake.on("res.partner", "read")(lambda ids, kw, ctx: [])
    caplog.set_level(logging.DEBUG)
    async with client_for(fake, sleep=Sleeps()) as client:
        fake.injected.append(httpx.Response(503, text="busy"))  # during authentication
        await client.connect()
        fake.injected.append(httpx.Response(503, text="busy"))
        await client.read("res.partner", [1], ["name"])
    dump = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "odoo_retry" in dump
    assert SECRET not in dump


# -- retries ---------------------------------------------------------------------------------


async def test_read_is_retried_after_503_with_backoff() -> None:
    fake = FakeOdoo("17.0")
    fake.on("product.product", "search_read")(lambda ids, kw, ctx: [{"id": 3}])
    sleeps = Sleeps()
    async with client_for(fake, sleep=sleeps, retry=RetryPolicy(attempts=4, base=1.0)) as client:
        await client.connect()
        fake.injected += [httpx.Response(503, text="a"), httpx.ReadTimeout("slow")]
        assert await client.search_read("product.product", [], ["id"]) == [{"id": 3}]
    assert len(sleeps.delays) == 2
    assert 0 <= sleeps.delays[0] <= 1.0
    assert 0 <= sleeps.delays[1] <= 2.0


async def test_retry_after_header_is_honoured() -> None:
    fake = FakeOdoo("17.0")
    fake.on("res.partner", "search")(lambda ids, kw, ctx: [])
    sleeps = Sleeps()
    async with client_for(fake, sleep=sleeps) as client:
        await client.connect()
        fake.injected.append(httpx.Response(429, text="slow down", headers={"Retry-After": "3"}))
        await client.search("res.partner", [])
    assert sleeps.delays == [3.0]


async def test_write_is_not_resent_after_a_timeout() -> None:
    """A timed-out write may have committed: raise for the queue to re-plan."""
    fake = FakeOdoo("17.0")
    fake.on("sale.order", "create")(lambda ids, kw, ctx: [1])
    sleeps = Sleeps()
    async with client_for(fake, sleep=sleeps) as client:
        await client.connect()
        fake.injected.append(httpx.WriteTimeout("slow"))
        with pytest.raises(OdooTimeout):
            await client.create("sale.order", [{"partner_id": 1}])
    assert sleeps.delays == []
    assert not [c for c in fake.calls if c[1] == "create"]


async def test_write_is_resent_after_serialization_failure() -> None:
    """§9: Odoo rolled back; resending cannot apply twice."""
    fake = FakeOdoo("17.0")
    attempts: list[int] = []

    def create(ids: Any, kw: dict[str, Any], ctx: Any) -> list[int]:
        attempts.append(1)
        if len(attempts) == 1:
            raise Raise(
                "psycopg2.errors.SerializationFailure",
                "could not serialize access due to concurrent update",
            )
        return [10 + i for i in range(len(kw["vals_list"]))]

    fake.on("stock.quant", "create")(create)
    async with client_for(fake, sleep=Sleeps()) as client:
        assert await client.create("stock.quant", [{"a": 1}, {"a": 2}]) == [10, 11]
    assert len(attempts) == 2


async def test_transient_error_after_all_attempts_is_raised() -> None:
    fake = FakeOdoo("17.0")
    sleeps = Sleeps()
    async with client_for(fake, sleep=sleeps, retry=RetryPolicy(attempts=3)) as client:
        await client.connect()
        fake.injected += [httpx.Response(502, text="bad gateway")] * 3
        with pytest.raises(OdooUnavailable) as info:
            await client.search("res.partner", [])
    assert len(sleeps.delays) == 2
    assert "retried automatically" in str(info.value)


async def test_lock_error_of_19_is_retried() -> None:
    fake = FakeOdoo("19.0")
    fake.on("stock.quant", "write")(lambda ids, kw, ctx: True)
    async with client_for(fake, sleep=Sleeps()) as client:
        await client.connect()
        fake.injected.append(json2_error_response(409, "odoo.exceptions.LockError", "locked"))
        await client.write("stock.quant", [1], {"inventory_quantity": 3})
    assert [c[1] for c in fake.calls].count("write") == 1


async def test_concurrency_error_surfaces_typed_when_not_replayable() -> None:
    fake = FakeOdoo("17.0")
    async with client_for(fake, sleep=Sleeps(), retry=RetryPolicy(attempts=1)) as client:
        await client.connect()
        fake.injected.append(
            httpx.Response(
                200,
                json=jsonrpc_error_body(
                    "psycopg2.errors.SerializationFailure", "could not serialize access"
                ),
            )
        )
        with pytest.raises(OdooConcurrencyError):
            await client.write("stock.quant", [1], {"x": 1})


# -- concurrency limit, batching, grouping ---------------------------------------------------


async def test_at_most_max_in_flight_calls() -> None:
    fake = FakeOdoo("17.0")
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        if request.url.path == "/jsonrpc" and b"execute_kw" in request.content:
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            body = json.loads(request.content)
            ids = body["params"]["args"][5][0]
            return httpx.Response(
                200, json={"jsonrpc": "2.0", "id": body["id"], "result": [{"id": i} for i in ids]}
            )
        return fake.handle(request)

    async with OdooClient(
        "https://a.example.com",
        "acme",
        "bot",
        api_key=SECRET,
        transport=httpx.MockTransport(handler),
        max_in_flight=3,
    ) as client:
        rows = await client.read("res.partner", list(range(1, 101)), ["id"], chunk_size=5)
    assert [r["id"] for r in rows] == list(range(1, 101))
    assert peak == 3


async def test_read_chunks_and_drops_missing_ids() -> None:
    """Correction 9: read silently drops ids that do not exist."""
    fake = FakeOdoo("17.0")
    fake.on("res.partner", "read")(
        lambda ids, kw, ctx: [{"id": i, "name": f"p{i}"} for i in ids if i != 5]
    )
    async with client_for(fake) as client:
        rows = await client.read("res.partner", [9, 5, 1, 9, 3], ["name"], chunk_size=2)
    assert [r["id"] for r in rows] == [9, 1, 3]
    reads = [c for c in fake.calls if c[1] == "read"]
    assert sorted(len(c[2] or []) for c in reads) == [2, 2]  # 4 distinct ids
    assert all(c[3] == {"fields": ["name"]} for c in reads)


async def test_create_sends_lists_of_vals_in_chunks() -> None:
    fake = FakeOdoo("19.0")
    counter = iter(range(100, 10_000))
    fake.on("res.partner", "create")(lambda ids, kw, ctx: [next(counter) for _ in kw["vals_list"]])
    async with client_for(fake) as client:
        ids = await client.create("res.partner", [{"name": str(i)} for i in range(7)], chunk_size=3)
    assert ids == list(range(100, 107))
    assert [len(c[3]["vals_list"]) for c in fake.calls if c[1] == "create"] == [3, 3, 1]
    assert all(c[2] is None for c in fake.calls if c[1] == "create")  # @api.model: no ids


async def test_search_read_all_pages_by_id() -> None:
    fake = FakeOdoo("17.0")
    records = [{"id": i} for i in range(1, 12)]

    def search_read(ids: Any, kw: dict[str, Any], ctx: Any) -> list[dict[str, Any]]:
        last = next(v for f, op, v in kw["domain"] if f == "id" and op == ">")
        return [r for r in records if r["id"] > last][: kw["limit"]]

    fake.on("res.partner", "search_read")(search_read)
    async with client_for(fake) as client:
        rows = await client.search_read_all("res.partner", [], ["id"], page_size=4)
    assert rows == records
    assert len([c for c in fake.calls if c[1] == "search_read"]) == 3


async def test_read_group_16_to_18_shape_is_normalised() -> None:
    """Correction 11: 16-18 read_group(lazy=False) keys aggregates by field name."""
    fake = FakeOdoo("17.0")
    fake.on("stock.quant", "read_group")(
        lambda ids, kw, ctx: [
            {
                "product_id": [5, "[A] A"],
                "location_id": [8, "WH/Stock"],
                "__count": 2,
                "quantity": 7.0,
                "reserved_quantity": 1.0,
                "__domain": [],
            },
            {
                "product_id": [6, "[B] B"],
                "location_id": False,
                "__count": 1,
                "quantity": 2.0,
                "reserved_quantity": False,
                "__domain": [],
            },
        ]
    )
    async with client_for(fake) as client:
        rows = await client.read_group(
            "stock.quant",
            [],
            ["product_id", "location_id"],
            ["quantity:sum", "reserved_quantity:sum"],
        )
    assert rows == [
        {
            "product_id": 5,
            "location_id": 8,
            "quantity:sum": 7.0,
            "reserved_quantity:sum": 1.0,
            "__count": 2,
        },
        {
            "product_id": 6,
            "location_id": False,
            "quantity:sum": 2.0,
            "reserved_quantity:sum": 0,
            "__count": 1,
        },
    ]
    _, method, _, kwargs, _ = fake.calls[-1]
    assert method == "read_group"
    assert kwargs == {
        "domain": [],
        "groupby": ["product_id", "location_id"],
        "fields": ["quantity:sum", "reserved_quantity:sum"],
        "lazy": False,
    }


async def test_formatted_read_group_on_19() -> None:
    """Correction 11: 19 formatted_read_group keys specs verbatim, __count on request."""
    fake = FakeOdoo("19.0")
    fake.on("stock.quant", "formatted_read_group")(
        lambda ids, kw, ctx: [
            {"product_id": [5, "A"], "quantity:sum": 4.0, "__count": 1, "__extra_domain": []},
        ]
    )
    async with client_for(fake) as client:
        rows = await client.read_group(
            "stock.quant", [("x", "=", 1)], ["product_id"], ["quantity:sum"], limit=10
        )
    assert rows == [{"product_id": 5, "quantity:sum": 4.0, "__count": 1}]
    kwargs = fake.calls[-1][3]
    assert kwargs == {
        "domain": [["x", "=", 1]],
        "groupby": ["product_id"],
        "aggregates": ["quantity:sum", "__count"],
        "limit": 10,
    }
