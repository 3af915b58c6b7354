"""JSON-RPC (§1.3): ``POST /jsonrpc`` (common/object/db) and the web-client session routes
(§1.4, correction 16): ``/web/session/authenticate``, ``/web/dataset/call_kw[/<path>]``,
``/web/webclient/version_info``; 19's ``GET /web/version`` (correction 1)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .dispatch import Dispatcher
from .errors import AccessDenied, serialize_exception

SESSION_COOKIE = "session_id"


def _envelope(req_id: Any, result: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"jsonrpc": "2.0", "id": req_id}
    if result is not None:  # §1.3: a None result omits the key
        out["result"] = result
    return out


def error_envelope(dispatcher: Dispatcher, req_id: Any, exc: BaseException) -> dict[str, Any]:
    """§1.3 + correction 5: code 200 (0 from saas-18.1), "Odoo Server Error", data with
    exactly name/debug/message/arguments/context; HTTP 200."""
    return {
        "jsonrpc": "2.0",
        "id": req_id,
        "error": {
            "code": dispatcher.world.profile.jsonrpc_error_code,
            "message": "Odoo Server Error",
            "data": serialize_exception(exc),
        },
    }


def session_expired(req_id: Any) -> dict[str, Any]:
    """§1.3: code 100 "Odoo Session Expired" for session routes."""
    return {
        "jsonrpc": "2.0",
        "id": req_id,
        "error": {
            "code": 100,
            "message": "Odoo Session Expired",
            "data": {
                "name": "odoo.http.SessionExpiredException",
                "debug": "",
                "message": "Session expired",
                "arguments": ["Session expired"],
                "context": {},
            },
        },
    }


class JsonRpc:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        #: session id → uid (the web client's cookie sessions)
        self.sessions: dict[str, int] = {}

    async def _parse(self, request: Request) -> tuple[Any, dict[str, Any]]:
        payload = json.loads(await request.body() or b"{}")
        return payload.get("id"), dict(payload.get("params") or {})

    def _reply(self, body: dict[str, Any], cookie: str | None = None) -> Response:
        response = JSONResponse(body, status_code=200)
        if cookie:
            response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax")
        return response

    async def jsonrpc(self, request: Request, faults: Any) -> Response:
        req_id: Any = None
        try:
            req_id, params = await self._parse(request)
            service, method = params.get("service"), params.get("method")
            args = list(params.get("args") or [])
            model = args[3] if service == "object" and len(args) > 4 else None
            name = args[4] if service == "object" and len(args) > 4 else method
            early = await faults(model, name)
            if early is not None:
                return early  # type: ignore[no-any-return]
            result = self._dispatch(str(service), str(method), args)
        except Exception as exc:
            return self._reply(error_envelope(self.dispatcher, req_id, exc))
        return self._reply(_envelope(req_id, result))

    def _dispatch(self, service: str, method: str, args: list[Any]) -> Any:
        d = self.dispatcher
        world = d.world
        if service == "common":
            if method == "version":
                return world.profile.version_dict()
            if method in ("login", "authenticate"):
                world.calls[("common", method)] += 1
                return d.authenticate(args[0], args[1], args[2]) or False
            raise Exception(f'Method not available "{method}"')
        if service == "object":
            if method == "execute_kw":
                return d.execute_kw(*args[:5], *(args[5:7]))
            if method == "execute":
                db, uid, password, model, name = args[:5]
                return d.execute_kw(db, uid, password, model, name, list(args[5:]), {})
            raise Exception(f'Method not available "{method}"')
        if service == "db":
            if method == "list":
                return [world.db]
            if method == "server_version":
                return world.profile.version_dict()["server_version"]
            raise AccessDenied()
        raise Exception(f"No such service: {service}")

    # -- web session routes (§1.4) -----------------------------------------------------------
    async def authenticate(self, request: Request) -> Response:
        req_id: Any = None
        d = self.dispatcher
        try:
            req_id, params = await self._parse(request)
            d.world.calls[("web.session", "authenticate")] += 1
            # §1.4: API keys are refused on this interactive route (I-75331)
            uid = d.authenticate(
                params.get("db", ""),
                params.get("login", ""),
                params.get("password", ""),
                allow_key=False,
            )
            if not uid:
                raise AccessDenied()
        except Exception as exc:
            return self._reply(error_envelope(d, req_id, exc))
        sid = secrets.token_hex(20)
        self.sessions[sid] = uid
        return self._reply(_envelope(req_id, self.session_info(uid)), cookie=sid)

    def session_info(self, uid: int) -> dict[str, Any]:
        """Correction 16: the stable keys of ``ir.http.session_info()``."""
        world = self.dispatcher.world
        user = world.table("res.users").rows[uid]
        env = world.env(uid)
        version = world.profile.version_dict()
        return {
            "uid": uid,
            "is_system": env.has_group("base.group_system"),
            "is_admin": env.has_group("base.group_erp_manager"),
            "user_context": {"lang": user["lang"], "tz": user["tz"], "uid": uid},
            "db": world.db,
            "server_version": version["server_version"],
            "server_version_info": version["server_version_info"],
            "name": user["name"],
            "username": user["login"],
            "partner_id": user["partner_id"],
            "web.base.url": "http://127.0.0.1",
            "user_companies": {
                "current_company": user["company_id"],
                "allowed_companies": {str(c): {"id": c} for c in user["company_ids"]},
            },
        }

    async def call_kw(self, request: Request, faults: Any) -> Response:
        req_id: Any = None
        d = self.dispatcher
        try:
            req_id, params = await self._parse(request)
            uid = self.sessions.get(request.cookies.get(SESSION_COOKIE, ""))
            if uid is None:
                return self._reply(session_expired(req_id))
            model, method = params.get("model", ""), params.get("method", "")
            early = await faults(model, method)
            if early is not None:
                return early  # type: ignore[no-any-return]
            result = d.call(
                uid, model, method, list(params.get("args") or []), dict(params.get("kwargs") or {})
            )
        except Exception as exc:
            return self._reply(error_envelope(d, req_id, exc))
        return self._reply(_envelope(req_id, result))

    async def version_info(self, request: Request) -> Response:
        req_id, _ = await self._parse(request)
        return self._reply(_envelope(req_id, self.dispatcher.world.profile.version_dict()))

    async def web_version(self, request: Request) -> Response:
        """Correction 1: 19's ``GET /web/version`` and ``/json/version``."""
        profile = self.dispatcher.world.profile
        if not profile.at_least(19, 0):
            return Response("<h1>Not Found</h1>", status_code=404, media_type="text/html")
        return JSONResponse({"version_info": profile.version_info(), "version": profile.text})

    async def destroy(self, request: Request) -> Response:
        self.sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        req_id, _ = await self._parse(request)
        return self._reply(_envelope(req_id, None))
