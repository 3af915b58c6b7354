"""A small fake Odoo behind ``httpx.MockTransport``, answering with Odoo's real envelopes.

Shapes: JSON-RPC success/error (§1.3, correction 5: HTTP 200, ``data`` = name, debug, message,
arguments, context; ``result`` omitted for None), JSON-2 raw values and error bodies
(correction 6), version dicts (correction 1), ``common.authenticate`` → False when refused
(correction 3).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Handler = Callable[[list[int] | None, dict[str, Any], dict[str, Any]], Any]


class Raise(Exception):
    """Raised by a handler: the fake answers with this Odoo exception."""

    def __init__(self, name: str, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status


def version_dict(text: str) -> dict[str, Any]:
    saas = text.startswith("saas~")
    core = text.removeprefix("saas~").split("+")[0]
    major, minor = (int(x) for x in core.split("."))
    edition = "e" if "+e" in text else ""
    first: Any = f"saas~{major}" if saas else major
    return {
        "server_version": text,
        "server_version_info": [first, minor, 0, "final", 0, edition],
        "server_serie": f"saas~{major}.{minor}" if saas else f"{major}.{minor}",
        "protocol_version": 1,
    }


def jsonrpc_error_body(name: str, message: str, *, code: int = 200, rid: Any = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": rid,
        "error": {
            "code": code,
            "message": "Odoo Server Error",
            "data": {
                "name": name,
                "debug": f"Traceback (most recent call last):\n  ...\n{name}: {message}\n",
                "message": message,
                "arguments": [message],
                "context": {},
            },
        },
    }


def json2_error_response(status: int, name: str, message: str) -> httpx.Response:
    body = {
        "name": name,
        "message": message,
        "arguments": [message],
        "context": {},
        "debug": f"Traceback (most recent call last):\n{name}: {message}\n",
    }
    return httpx.Response(status, json=body)


@dataclass
class FakeOdoo:
    version: str = "17.0"
    db: str = "acme"
    login: str = "bot"
    secrets: set[str] = field(default_factory=lambda: {"s3cret-key"})
    handlers: dict[tuple[str, str], Handler] = field(default_factory=dict)
    #: responses served before normal handling (error injection), in order
    injected: list[httpx.Response | Exception] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    calls: list[tuple[str, str, list[int] | None, dict[str, Any], dict[str, Any]]] = field(
        default_factory=list
    )
    uid: int = 2

    @property
    def major_minor(self) -> tuple[int, int]:
        info = version_dict(self.version)["server_version_info"]
        first = info[0]
        major = int(first.removeprefix("saas~")) if isinstance(first, str) else first
        return (major, info[1])

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def on(self, model: str, method: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers[(model, method)] = fn
            return fn

        return register

    # -- dispatch ------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if self.injected and (path == "/jsonrpc" or path.startswith("/json/2/")):
            item = self.injected.pop(0)
            if isinstance(item, Exception):
                raise item
            return item
        if path == "/web/webclient/version_info":
            body = json.loads(request.content)
            return httpx.Response(
                200, json={"jsonrpc": "2.0", "id": body["id"], "result": version_dict(self.version)}
            )
        if path == "/jsonrpc":
            return self._jsonrpc(json.loads(request.content))
        if path.startswith("/json/2/"):
            return self._json2(request)
        return httpx.Response(
            404,
            text="<html><body><h1>Not Found</h1></body></html>",
            headers={"content-type": "text/html"},
        )

    def _jsonrpc(self, body: dict[str, Any]) -> httpx.Response:
        rid = body["id"]
        params = body["params"]
        service, method, args = params["service"], params["method"], params["args"]
        if service == "common" and method == "version":
            return httpx.Response(
                200, json={"jsonrpc": "2.0", "id": rid, "result": version_dict(self.version)}
            )
        if service == "common" and method == "authenticate":
            db, login, secret, _env = args
            if db != self.db:
                return httpx.Response(
                    200,
                    json=jsonrpc_error_body(
                        "odoo.exceptions.AccessError", "Database not found.", rid=rid
                    ),
                )
            ok = login == self.login and secret in self.secrets
            return httpx.Response(
                200, json={"jsonrpc": "2.0", "id": rid, "result": self.uid if ok else False}
            )
        assert (service, method) == ("object", "execute_kw"), params
        db, uid, secret, model, meth, margs, kwargs = args
        if uid != self.uid or secret not in self.secrets:
            return httpx.Response(
                200,
                json=jsonrpc_error_body("odoo.exceptions.AccessDenied", "Access Denied", rid=rid),
            )
        ids = margs[0] if margs else None
        context = dict(kwargs.pop("context", {}) or {})
        try:
            result = self._dispatch(model, meth, ids, kwargs, context)
        except Raise as exc:
            return httpx.Response(200, json=jsonrpc_error_body(exc.name, exc.message, rid=rid))
        answer: dict[str, Any] = {"jsonrpc": "2.0", "id": rid}
        if result is not None:  # §1.3: None → "result" omitted
            answer["result"] = result
        return httpx.Response(200, json=answer)

    def _json2(self, request: httpx.Request) -> httpx.Response:
        if self.major_minor < (19, 0):
            return httpx.Response(
                404, text="<html>Not Found</html>", headers={"content-type": "text/html"}
            )
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer ") or auth[7:] not in self.secrets:
            return json2_error_response(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey")
        _, _, _, model, meth = request.url.path.split("/", 4)
        body = json.loads(request.content)
        ids = body.pop("ids", None)
        context = dict(body.pop("context", {}) or {})
        try:
            result = self._dispatch(model, meth, ids, body, context)
        except Raise as exc:
            return json2_error_response(exc.status, exc.name, exc.message)
        return httpx.Response(200, json=result)

    def _dispatch(
        self,
        model: str,
        method: str,
        ids: list[int] | None,
        kwargs: dict[str, Any],
        context: dict[str, Any],
    ) -> Any:
        self.calls.append((model, method, ids, dict(kwargs), context))
        if (model, method) == ("res.users", "context_get"):
            return {"lang": "en_US", "tz": "UTC", "uid": self.uid}
        handler = self.handlers.get((model, method))
        if handler is None:
            raise Raise(
                "werkzeug.exceptions.NotFound",
                f"The method '{model}.{method}' does not exist",
                status=404,
            )
        return handler(ids, kwargs, context)
