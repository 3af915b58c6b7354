"""JSON-2 (§1.5, correction 6): ``POST /json/2/<model>/<method>`` with a bearer API key,
named arguments only, real HTTP statuses and the error body keyed
``name, message, arguments, context, debug``."""

from __future__ import annotations

import inspect
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .dispatch import Dispatcher
from .errors import (
    AccessError,
    BadRequest,
    NotFound,
    OdooError,
    Unauthorized,
    UnprocessableEntity,
    debug_text,
    dotted_name,
)

_HTML_404 = "<!doctype html><title>404 Not Found</title><h1>Not Found</h1>"


def _error(exc: BaseException) -> Response:
    if isinstance(exc, OdooError):
        status = exc.json2_status
        arguments: list[Any] = list(exc.args)
    elif isinstance(exc, (NotFound, UnprocessableEntity, Unauthorized, BadRequest)):
        status = exc.code
        arguments = [str(exc), status]  # correction 6: werkzeug → [message, code]
    else:
        status, arguments = 500, list(exc.args)
    body = {
        "name": dotted_name(exc),
        "message": str(exc),
        "arguments": arguments,
        "context": {},
        "debug": debug_text(exc),
    }
    return JSONResponse(body, status_code=status)


class Json2:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    async def handle(self, request: Request, faults: Any) -> Response:
        d = self.dispatcher
        world = d.world
        if not world.profile.has_json2:  # §1.5: saas 18.4 / 19.0 onwards
            return Response(_HTML_404, status_code=404, media_type="text/html")
        model_name = request.path_params["model"]
        method = request.path_params["method"]
        db_header = request.headers.get("x-odoo-database")
        if db_header is not None and db_header != world.db:
            return Response(_HTML_404, status_code=404, media_type="text/html")
        try:
            auth = request.headers.get("authorization", "")
            scheme, _, key = auth.partition(" ")
            uid = d.key_uid(key.strip()) if scheme.lower() == "bearer" else None
            if uid is None:
                raise Unauthorized("Invalid apikey")
            d.check_plan()
        except Exception as exc:
            return _error(exc)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return Response(
                "<h1>415 Unsupported Media Type</h1>", status_code=415, media_type="text/html"
            )
        raw = await request.body()
        early = await faults(model_name, method)
        if early is not None:
            return early  # type: ignore[no-any-return]
        try:
            try:
                body = json.loads(raw or b"{}")
            except ValueError as exc:
                raise BadRequest(f"Invalid JSON data: {exc}") from exc
            if not isinstance(body, dict):
                raise BadRequest("Invalid JSON data: a JSON object is expected")
            result = self._call(uid, model_name, method, body)
        except Exception as exc:
            return _error(exc)
        return JSONResponse(result, status_code=200)  # §1.5: the raw value, no wrapper

    def _call(self, uid: int, model_name: str, method: str, body: dict[str, Any]) -> Any:
        d = self.dispatcher
        if model_name not in d.world.models:
            raise NotFound(f"the model '{model_name}' does not exist")
        try:
            spec = d.resolve(model_name, method)
        except AttributeError as exc:
            raise NotFound(str(exc)) from exc
        except AccessError:
            raise
        ids = body.pop("ids", None)
        context = body.pop("context", None) or {}
        if spec.model_level and ids:
            raise UnprocessableEntity(f"cannot call {model_name}.{method} with ids")
        fn = getattr(d.world.models[model_name], method)
        params = list(inspect.signature(fn).parameters.values())[1:]  # drop env
        if not spec.model_level:
            params = params[1:]  # drop ids
        names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        has_var_kw = any(p.kind is p.VAR_KEYWORD for p in params)
        unknown = [k for k in body if k not in names and not has_var_kw]
        missing = [
            p.name
            for p in params
            if p.default is p.empty and p.name not in body and p.kind is p.POSITIONAL_OR_KEYWORD
        ]
        if unknown or missing:  # §1.5: signature.bind → 422
            what = (
                f"unexpected keyword argument {unknown[0]!r}"
                if unknown
                else f"missing a required argument: {missing[0]!r}"
            )
            raise UnprocessableEntity(what)
        kwargs = {**body, "context": context}
        return d.call(
            uid, model_name, method, [], kwargs, ids=None if spec.model_level else list(ids or [])
        )
