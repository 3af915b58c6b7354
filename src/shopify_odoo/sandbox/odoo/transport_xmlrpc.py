"""XML-RPC (§1.2): ``/xmlrpc/2/common|object`` with integer fault codes and the legacy
``/xmlrpc/common|object`` with string codes (correction 2 table).  Always HTTP 200 text/xml;
the server marshals with ``allow_none=False`` and 32-bit ints (§1.2, correction 4)."""

from __future__ import annotations

import xmlrpc.client
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .dispatch import Dispatcher
from .errors import (
    AccessDenied,
    AccessError,
    MissingError,
    OdooError,
    RedirectWarning,
    UserError,
    debug_text,
)


def _xml(body: str) -> Response:
    return Response(body, status_code=200, media_type="text/xml")


def fault_for(exc: BaseException, legacy: bool) -> xmlrpc.client.Fault:
    """Correction 2: the exception → fault mapping, same in 16-19."""
    message = str(exc)
    if not legacy:
        if isinstance(exc, AccessDenied):
            return xmlrpc.client.Fault(3, message)
        if isinstance(exc, AccessError):
            return xmlrpc.client.Fault(4, message)
        if isinstance(exc, (UserError, RedirectWarning)):
            return xmlrpc.client.Fault(2, message)
        return xmlrpc.client.Fault(1, debug_text(exc))
    if isinstance(exc, AccessDenied):
        return xmlrpc.client.Fault("AccessDenied", message)  # type: ignore[arg-type]
    if isinstance(exc, MissingError):
        kind = "MissingError"
    elif isinstance(exc, AccessError):
        kind = "AccessError"
    elif isinstance(exc, RedirectWarning):
        kind = "Warning"
    elif isinstance(exc, OdooError):
        kind = "UserError"
    else:
        return xmlrpc.client.Fault(str(exc), debug_text(exc))  # type: ignore[arg-type]
    return xmlrpc.client.Fault(f"warning -- {kind}\n\n{message}", "")  # type: ignore[arg-type]


def _common(dispatcher: Dispatcher, method: str, params: tuple[Any, ...]) -> Any:
    world = dispatcher.world
    if method == "version":
        return world.profile.version_dict()
    if method in ("authenticate", "login"):
        db, login, password = params[0], params[1], params[2]
        dispatcher.world.calls[("common", method)] += 1
        uid = dispatcher.authenticate(db, login, password)
        return uid or False  # correction 3: False, no fault
    if method == "about":
        return "See http://openerp.com"
    raise NameError(f"Method not available {method}")


def _object(dispatcher: Dispatcher, method: str, params: tuple[Any, ...]) -> Any:
    if method == "execute_kw":
        db, uid, password, model, name = params[:5]
        args = params[5] if len(params) > 5 else []
        kwargs = params[6] if len(params) > 6 else {}
        return dispatcher.execute_kw(db, uid, password, model, name, args, kwargs)
    if method == "execute":
        db, uid, password, model, name = params[:5]
        return dispatcher.execute_kw(db, uid, password, model, name, list(params[5:]), {})
    raise NameError(f"Method not available {method}")


def _db(dispatcher: Dispatcher, method: str, params: tuple[Any, ...]) -> Any:
    """The ``db`` service's read-only calls (§1.3 lists common/db/object)."""
    if method == "list":
        return [dispatcher.world.db]
    if method == "server_version":
        return dispatcher.world.profile.version_dict()["server_version"]
    raise AccessDenied()


async def handle(
    request: Request, dispatcher: Dispatcher, service: str, legacy: bool, faults: Any
) -> Response:
    body = await request.body()
    try:
        params, method = xmlrpc.client.loads(body, use_builtin_types=True)
    except Exception as exc:  # malformed XML: a fault like any other application error
        return _xml(xmlrpc.client.dumps(fault_for(exc, legacy), methodresponse=True))
    model = params[3] if service == "object" and len(params) > 4 else None
    name = params[4] if service == "object" and len(params) > 4 else method
    early = await faults(model, name)
    if early is not None:
        return early  # type: ignore[no-any-return]
    try:
        if service == "common":
            result = _common(dispatcher, method or "", params)
        elif service == "db":
            result = _db(dispatcher, method or "", params)
        else:
            result = _object(dispatcher, method or "", params)
    except Exception as exc:
        return _xml(xmlrpc.client.dumps(fault_for(exc, legacy), methodresponse=True))
    try:
        # §1.2: dumps(..., allow_none=False); None or a 64-bit int fault *after* the commit
        return _xml(xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False))
    except (TypeError, OverflowError) as exc:
        return _xml(xmlrpc.client.dumps(fault_for(exc, legacy), methodresponse=True))
