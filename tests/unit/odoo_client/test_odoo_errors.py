"""Every row of the Odoo error table, produced from Odoo's real answers (STYLE.md §5)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shopify_odoo.errors import TerminalError, TransientError
from shopify_odoo.odoo import ERROR_TABLE, OdooClient, RetryPolicy
from shopify_odoo.odoo.errors import (
    OdooAccessDenied,
    OdooAccessError,
    OdooAuthenticationError,
    OdooConcurrencyError,
    OdooConnectionError,
    OdooError,
    OdooMissingError,
    OdooNotFound,
    OdooServerError,
    OdooTimeout,
    OdooUnavailable,
    OdooUserError,
    OdooValidationError,
    error_from_xmlrpc_fault,
)

from .fake import FakeOdoo, Raise

SECRET = "s3cret-key"

# Odoo exception name → (JSON-2 status per correction 6, expected class)
NAMED_ROWS: dict[str, tuple[int, type[OdooError]]] = {
    "odoo.exceptions.AccessError": (403, OdooAccessError),
    "odoo.exceptions.AccessDenied": (403, OdooAccessDenied),
    "odoo.exceptions.ValidationError": (422, OdooValidationError),
    "odoo.exceptions.UserError": (422, OdooUserError),
    "odoo.exceptions.RedirectWarning": (422, OdooUserError),
    "odoo.exceptions.MissingError": (404, OdooMissingError),
    "odoo.exceptions.LockError": (409, OdooConcurrencyError),
    "odoo.exceptions.ConcurrencyError": (500, OdooConcurrencyError),
    "psycopg2.errors.SerializationFailure": (500, OdooConcurrencyError),
    "psycopg2.extensions.TransactionRollbackError": (500, OdooConcurrencyError),
    "psycopg2.errors.DeadlockDetected": (500, OdooConcurrencyError),
    "psycopg2.errors.LockNotAvailable": (500, OdooConcurrencyError),
    "psycopg2.OperationalError": (500, OdooUnavailable),
    "werkzeug.exceptions.NotFound": (404, OdooNotFound),
    "werkzeug.exceptions.Unauthorized": (401, OdooAuthenticationError),
    "werkzeug.exceptions.UnprocessableEntity": (422, OdooServerError),
    "werkzeug.exceptions.BadRequest": (400, OdooServerError),
    "builtins": (500, OdooServerError),  # builtins.ValueError, builtins.TypeError, ...
}

HTTP_ROWS: dict[int, type[OdooError]] = {
    401: OdooAuthenticationError,
    403: OdooAuthenticationError,
    404: OdooNotFound,
    429: OdooUnavailable,
    500: OdooUnavailable,
    502: OdooUnavailable,
    503: OdooUnavailable,
    504: OdooUnavailable,
}

# XML-RPC faults of /xmlrpc/2 (correction 2): integer codes, faultString = message
XMLRPC_ROWS: dict[int, tuple[str, type[OdooError]]] = {
    1: ("Traceback (most recent call last):\n  ...\nValueError: Invalid field", OdooServerError),
    2: ("The operation cannot be completed", OdooUserError),
    3: ("Access Denied", OdooAccessDenied),
    4: ("You are not allowed to access 'Product' (product.product) records.", OdooAccessError),
}

TRANSPORT_ROWS: dict[str, tuple[Exception, type[OdooError]]] = {
    "connect": (httpx.ConnectError("connection refused"), OdooConnectionError),
    "timeout": (httpx.ReadTimeout("timed out"), OdooTimeout),
    "network": (httpx.RemoteProtocolError("peer closed connection"), OdooConnectionError),
}


def test_every_table_row_has_a_case_here() -> None:
    covered = (
        set(NAMED_ROWS)
        | {f"http:{s}" for s in HTTP_ROWS}
        | {f"xmlrpc:{c}" for c in XMLRPC_ROWS}
        | {f"transport:{k}" for k in TRANSPORT_ROWS}
    )
    assert covered == {row.key for row in ERROR_TABLE}
    for row in ERROR_TABLE:
        assert row.hint, row.key
        assert row.source, row.key


def _client(fake: FakeOdoo, **kw: Any) -> OdooClient:
    return OdooClient(
        "https://acme.example.com",
        fake.db,
        fake.login,
        api_key=SECRET,
        transport=fake.transport(),
        retry=RetryPolicy(attempts=1),
        **kw,
    )


async def _failing(fake: FakeOdoo, exc: Raise | None = None) -> OdooError:
    if exc is not None:

        def boom(ids: Any, kw: Any, ctx: Any) -> Any:
            raise exc

        fake.on("sale.order", "action_confirm")(boom)
    async with _client(fake) as client:
        await client.connect()
        with pytest.raises(OdooError) as info:
            await client.call("sale.order", "action_confirm", ids=[12, 13])
    return info.value


def _kind(cls: type[OdooError]) -> type[Exception]:
    return TransientError if issubclass(cls, TransientError) else TerminalError


@pytest.mark.parametrize("name", list(NAMED_ROWS))
async def test_jsonrpc_error_envelope_row(name: str) -> None:
    """§1.3 / correction 5: HTTP 200, ``error.data.name``; 17.0 speaks JSON-RPC."""
    odoo_name = "builtins.ValueError" if name == "builtins" else name
    expected = NAMED_ROWS[name][1]
    error = await _failing(FakeOdoo("17.0"), Raise(odoo_name, "Odoo says no"))
    assert type(error) is expected
    assert isinstance(error, _kind(expected))
    assert error.odoo_name == odoo_name
    assert error.odoo_message == "Odoo says no"
    assert error.call is not None
    assert error.call.model == "sale.order"
    assert error.call.ids == (12, 13)
    text = str(error)
    assert "sale.order.action_confirm on ids [12, 13]" in text
    assert '"Odoo says no"' in text
    assert error.hint
    assert error.hint in text
    assert SECRET not in text


@pytest.mark.parametrize("name", list(NAMED_ROWS))
async def test_json2_error_row(name: str) -> None:
    """Correction 6: real status codes, body ``name, message, arguments, context, debug``."""
    status, expected = NAMED_ROWS[name]
    odoo_name = "builtins.ValueError" if name == "builtins" else name
    error = await _failing(FakeOdoo("19.0"), Raise(odoo_name, "Odoo says no", status=status))
    assert type(error) is expected
    assert error.status == status
    assert error.odoo_message == "Odoo says no"


async def test_jsonrpc_error_code_zero_of_19_is_matched_by_name() -> None:
    """Correction 5: error.code is 0 from saas-18.1; never match on it."""
    fake = FakeOdoo("saas~18.1")
    body = {
        "jsonrpc": "2.0",
        "id": 9,
        "error": {
            "code": 0,
            "message": "Odoo Server Error",
            "data": {
                "name": "odoo.exceptions.UserError",
                "debug": "",
                "message": "no",
                "arguments": ["no"],
                "context": {},
            },
        },
    }
    async with _client(fake) as client:
        await client.connect()
        fake.injected.append(httpx.Response(200, json=body))
        with pytest.raises(OdooUserError):
            await client.call("sale.order", "action_confirm", ids=[1])


@pytest.mark.parametrize("status", list(HTTP_ROWS))
@pytest.mark.parametrize("version", ["17.0", "19.0"])
async def test_http_status_without_odoo_body_row(status: int, version: str) -> None:
    """Gateways and early errors answer text/html (§1.5, correction 6)."""
    fake = FakeOdoo(version)
    async with _client(fake) as client:
        await client.connect()
        fake.injected.append(
            httpx.Response(
                status,
                text=f"<html><h1>{status} gateway page</h1></html>",
                headers={"content-type": "text/html", "Retry-After": "7"},
            )
        )
        with pytest.raises(OdooError) as info:
            await client.call("product.product", "search_read", params={"domain": []})
    error = info.value
    assert type(error) is HTTP_ROWS[status]
    assert error.status == status
    assert "gateway page" in str(error)
    if status == 429:
        assert isinstance(error, TransientError)
        assert error.retry_after == 7.0


@pytest.mark.parametrize("code", list(XMLRPC_ROWS))
def test_xmlrpc_fault_row(code: int) -> None:
    message, expected = XMLRPC_ROWS[code]
    error = error_from_xmlrpc_fault(code, message, odoo="acme", call=None)
    assert type(error) is expected
    if code == 1:  # the traceback's last line is what a person reads
        assert '"ValueError: Invalid field"' in str(error)


@pytest.mark.parametrize(
    ("fault_code", "expected"),
    [
        ("warning -- UserError\n\nNo stock", OdooUserError),
        ("warning -- MissingError\n\nRecord does not exist", OdooMissingError),
        ("warning -- AccessError\n\nNot allowed", OdooAccessError),
        ("AccessDenied", OdooAccessDenied),
    ],
)
def test_legacy_xmlrpc_string_fault_codes(fault_code: str, expected: type[OdooError]) -> None:
    assert type(error_from_xmlrpc_fault(fault_code, "", odoo="", call=None)) is expected


def test_fault_1_with_serialization_traceback_is_transient() -> None:
    """§9 / §11.7: after Odoo's 5 retries the psycopg2 error surfaces as a fault-1 traceback."""
    text = (
        "Traceback (most recent call last):\n ...\npsycopg2.errors.SerializationFailure: "
        "could not serialize access due to concurrent update\n"
    )
    error = error_from_xmlrpc_fault(1, text, odoo="", call=None)
    assert isinstance(error, OdooConcurrencyError)
    assert error.replay_safe


async def test_builtins_error_with_serialization_text_is_transient() -> None:
    fake = FakeOdoo("17.0")
    error = await _failing(
        fake, Raise("builtins.Exception", "could not serialize access due to concurrent update")
    )
    assert isinstance(error, OdooConcurrencyError)


@pytest.mark.parametrize("kind", list(TRANSPORT_ROWS))
async def test_transport_row(kind: str) -> None:
    exc, expected = TRANSPORT_ROWS[kind]
    fake = FakeOdoo("17.0")
    async with _client(fake) as client:
        await client.connect()
        fake.injected.append(exc)
        with pytest.raises(OdooError) as info:
            await client.call("stock.quant", "read_group", params={})
    assert type(info.value) is expected
    assert info.value.replay_safe is (kind == "connect")
    assert isinstance(info.value.__cause__, httpx.HTTPError)
