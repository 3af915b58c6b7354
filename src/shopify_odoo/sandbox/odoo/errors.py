"""Odoo's exception classes as the external API exposes them, and their wire shapes.

Only the *names* and the mapping matter to a client: XML-RPC fault codes (correction 2),
JSON-RPC ``data.name`` (§1.3, correction 5) and JSON-2 HTTP statuses (correction 6).  The
classes report Odoo's dotted module path so ``data.name`` reads ``odoo.exceptions.UserError``.
"""

from __future__ import annotations

import traceback
from typing import Any


class OdooError(Exception):
    """Base for the emulated ``odoo.exceptions`` (not part of Odoo's own hierarchy)."""

    xmlrpc_code = 2
    json2_status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UserError(OdooError):
    """``odoo.exceptions.UserError``: fault 2, JSON-2 422 (correction 2, 6)."""


class ValidationError(UserError):
    """``class ValidationError(UserError)`` in 16-19 (correction 2)."""


class MissingError(UserError):
    """Correction 2: MissingError is a UserError (fault 2); JSON-2 404 (correction 6)."""

    json2_status = 404


class RedirectWarning(OdooError):
    """Fault 2 (correction 2 table)."""


class AccessError(OdooError):
    """Fault 4; JSON-2 403 (correction 2, 6)."""

    xmlrpc_code = 4
    json2_status = 403


class AccessDenied(OdooError):
    """Fault 3 "Access Denied"; JSON-2 403 (correction 2, 3, 6)."""

    xmlrpc_code = 3
    json2_status = 403

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


class LockError(OdooError):
    """19's LockError; JSON-2 409 (correction 6)."""

    json2_status = 409


for _cls in (OdooError, UserError, ValidationError, MissingError, RedirectWarning):
    _cls.__module__ = "odoo.exceptions"
for _cls in (AccessError, AccessDenied, LockError):
    _cls.__module__ = "odoo.exceptions"


class SerializationFailure(Exception):
    """What PostgreSQL raises on concurrent quant updates once Odoo's 5 retries are spent
    (§9, fact-sheet item 9 of §0): ``psycopg2.errors.SerializationFailure``."""

    def __init__(self) -> None:
        super().__init__("could not serialize access due to concurrent update\n")


SerializationFailure.__module__ = "psycopg2.errors"


class NotFound(Exception):
    """werkzeug NotFound as JSON-2 reports unknown models/methods (correction 6)."""

    code = 404


class UnprocessableEntity(Exception):
    code = 422


class Unauthorized(Exception):
    code = 401


class BadRequest(Exception):
    code = 400


for _werkzeug in (NotFound, UnprocessableEntity, Unauthorized, BadRequest):
    _werkzeug.__module__ = "werkzeug.exceptions"


def dotted_name(exc: BaseException) -> str:
    """``f'{module}.{name}'`` as ``serialize_exception`` builds it (§1.3)."""
    cls = type(exc)
    return f"{cls.__module__}.{cls.__name__}"


def debug_text(exc: BaseException) -> str:
    """The traceback text Odoo puts in ``data.debug`` and in fault-1 strings (correction 2)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return text if text.startswith("Traceback") else "Traceback (most recent call last):\n" + text


def serialize_exception(exc: BaseException) -> dict[str, Any]:
    """Correction 5: ``data`` has exactly ``name, debug, message, arguments, context``."""
    return {
        "name": dotted_name(exc),
        "debug": debug_text(exc),
        "message": str(exc),
        "arguments": list(exc.args),
        "context": {},
    }


def record_missing(model: str, ids: list[int], uid: int) -> MissingError:
    """Correction 9: ``Record does not exist or has been deleted.\\n(Record: m(1,), User: 2)``."""
    shown = ", ".join(str(i) for i in ids) + ("," if len(ids) == 1 else "")
    return MissingError(
        f"Record does not exist or has been deleted.\n(Record: {model}({shown}), User: {uid})"
    )
