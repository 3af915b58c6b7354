"""The wire protocols: JSON-RPC ``/jsonrpc`` (16-19) and JSON-2 ``/json/2/<model>/<method>`` (19+).

Both expose one operation, ``execute(call, ids, params, context)``: ``ids is None`` calls an
``@api.model`` method, otherwise the ids are the recordset (§2.4).  Parameters always travel by
name: JSON-2 has no positional arguments (§1.5) and ``execute_kw`` passes its kwargs dict to the
method (§1.2), so one call shape serves both.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from typing import Any, Literal

import httpx

from shopify_odoo.odoo.errors import (
    ERROR_TABLE,
    OdooCall,
    OdooError,
    build_error,
    error_from_http_status,
    error_from_json2,
    error_from_jsonrpc,
    strip_html,
)

ProtocolName = Literal["jsonrpc", "json2"]
_TRANSPORT_RULES = {rule.key: rule for rule in ERROR_TABLE if rule.key.startswith("transport:")}


def transport_error(exc: httpx.HTTPError, *, odoo: str, call: OdooCall | None) -> OdooError:
    """httpx failures → the ``transport:*`` rows of the error table."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        key = "transport:connect"
    elif isinstance(exc, httpx.TimeoutException):
        key = "transport:timeout"
    else:
        key = "transport:network"
    error = build_error(
        _TRANSPORT_RULES[key],
        odoo=odoo,
        call=call,
        odoo_name="",
        odoo_message=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
        status=key,
    )
    error.__cause__ = exc
    return error


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


class HttpSession:
    """The httpx client shared by the protocols of one Odoo, with its label for messages."""

    def __init__(self, http: httpx.AsyncClient, label: str) -> None:
        self.http = http
        self.label = label
        #: every HTTP request sent (version probes and authentication included)
        self.requests = 0
        self._ids = itertools.count(1)

    async def post(
        self, path: str, *, body: Any, call: OdooCall | None, headers: Mapping[str, str] | None
    ) -> httpx.Response:
        self.requests += 1
        try:
            return await self.http.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise transport_error(exc, odoo=self.label, call=call) from exc

    async def get(self, path: str) -> httpx.Response:
        self.requests += 1
        try:
            return await self.http.get(path)
        except httpx.HTTPError as exc:
            raise transport_error(exc, odoo=self.label, call=None) from exc

    async def jsonrpc(self, path: str, params: Mapping[str, Any], *, call: OdooCall | None) -> Any:
        """One JSON-RPC 2.0 ``call`` (§1.3); errors arrive in an HTTP 200 body."""
        envelope = {"jsonrpc": "2.0", "method": "call", "params": params, "id": next(self._ids)}
        response = await self.post(path, body=envelope, call=call, headers=None)
        body = _json_body(response)
        if response.status_code != 200 or not isinstance(body, Mapping):
            if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
                raise error_from_jsonrpc(body["error"], odoo=self.label, call=call)
            raise error_from_http_status(
                response.status_code if response.status_code != 200 else 500,
                response.text,
                odoo=self.label,
                call=call,
                retry_after=_retry_after(response),
            )
        if "error" in body:
            raise error_from_jsonrpc(body["error"], odoo=self.label, call=call)
        # a method returning None has no "result" key at all (§1.3)
        return body.get("result")


class JsonRpc:
    """``POST /jsonrpc``, service ``object``, method ``execute_kw`` (§1.3)."""

    name: ProtocolName = "jsonrpc"

    def __init__(self, session: HttpSession, db: str, login: str, secret: str) -> None:
        self._session = session
        self._db = db
        self._login = login
        self._secret = secret
        self.uid: int | None = None

    async def authenticate(self) -> int | None:
        """``common.authenticate`` → uid, or ``None`` when refused (falsy, no fault: corr. 3)."""
        call = OdooCall("common", "authenticate")
        result = await self._session.jsonrpc(
            "/jsonrpc",
            {
                "service": "common",
                "method": "authenticate",
                "args": [self._db, self._login, self._secret, {}],
            },
            call=call,
        )
        if isinstance(result, int) and not isinstance(result, bool) and result > 0:
            self.uid = result
            return result
        return None

    async def execute(
        self,
        call: OdooCall,
        ids: list[int] | None,
        params: Mapping[str, Any],
        context: Mapping[str, Any],
    ) -> Any:
        assert self.uid is not None, "authenticate() first"
        args: list[Any] = [] if ids is None else [ids]
        kwargs = dict(params)
        if context:
            kwargs["context"] = dict(context)
        return await self._session.jsonrpc(
            "/jsonrpc",
            {
                "service": "object",
                "method": "execute_kw",
                "args": [self._db, self.uid, self._secret, call.model, call.method, args, kwargs],
            },
            call=call,
        )


class Json2:
    """``POST /json/2/<model>/<method>`` with ``Authorization: bearer <key>`` (§1.5)."""

    name: ProtocolName = "json2"

    def __init__(self, session: HttpSession, db: str, api_key: str) -> None:
        self._session = session
        self._headers = {
            "Authorization": f"bearer {api_key}",
            "X-Odoo-Database": db,
            "User-Agent": "shopify-odoo",
        }
        self.uid: int | None = None

    async def authenticate(self) -> int | None:
        """JSON-2 has no login step: ``res.users/context_get`` checks the key (§1.5)."""
        result = await self.execute(OdooCall("res.users", "context_get"), None, {}, {})
        uid = result.get("uid") if isinstance(result, Mapping) else None
        self.uid = uid if isinstance(uid, int) else 0
        return self.uid

    async def execute(
        self,
        call: OdooCall,
        ids: list[int] | None,
        params: Mapping[str, Any],
        context: Mapping[str, Any],
    ) -> Any:
        body: dict[str, Any] = dict(params)
        if ids is not None:
            body["ids"] = ids
        if context:
            body["context"] = dict(context)
        response = await self._session.post(
            f"/json/2/{call.model}/{call.method}", body=body, call=call, headers=self._headers
        )
        if response.status_code == 200:
            # the raw JSON value, no {"result": ...} wrapper; None → null (§1.5, §2.1)
            return _json_body(response) if response.content else None
        raise error_from_json2(
            response.status_code,
            _json_body(response)
            if "json" in response.headers.get("content-type", "")
            else strip_html(response.text)[:300],
            odoo=self._session.label,
            call=call,
            retry_after=_retry_after(response),
        )


Protocol = JsonRpc | Json2
