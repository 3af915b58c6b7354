"""Odoo failures as typed errors: one explicit table (STYLE.md §5).

Odoo reports failures inside an HTTP 200 body on JSON-RPC (``error.data.name``, §1.3 and
correction 5), with real status codes on JSON-2 (correction 6) and as integer fault codes on
XML-RPC (correction 2).  Every failure is classified by :data:`ERROR_TABLE`: terminal (a person
must act: access, validation, user error, missing record, unknown model) or transient (retry
with backoff: serialization failures, locks, 429/502/503/504, timeouts, connection errors).

``replay_safe`` says whether the call may be sent again even when it writes: true only when
Odoo certainly rolled the transaction back or never received the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shopify_odoo.errors import ShopifyOdooError, TerminalError, TransientError


@dataclass(frozen=True, slots=True)
class OdooCall:
    """The call that failed, named in every error."""

    model: str
    method: str
    ids: tuple[int, ...] = ()

    def describe(self) -> str:
        text = f"{self.model}.{self.method}"
        if self.ids:
            shown = ", ".join(str(i) for i in self.ids[:10])
            more = f" and {len(self.ids) - 10} more" if len(self.ids) > 10 else ""
            text += f" on ids [{shown}{more}]"
        return text


class OdooError(ShopifyOdooError):
    """Base of every Odoo failure; carries the call, Odoo's exception name and message."""

    call: OdooCall | None = None
    odoo: str = ""
    odoo_name: str = ""
    odoo_message: str = ""
    status: int | str | None = None
    replay_safe: bool = False


class OdooTerminalError(OdooError, TerminalError):
    """Retrying cannot help."""


class OdooTransientError(OdooError, TransientError):
    """The same call may succeed later."""


# -- terminal -------------------------------------------------------------------------------


class OdooAuthenticationError(OdooTerminalError):
    """Credentials refused, expired, or no external API on the plan (§1.1, issue 10 item 5).

    ``reason`` is one of ``password_refused``, ``api_key_refused`` (wrong, revoked or, on 18+,
    expired), ``no_api_access`` (Odoo Online plan without external API), ``database_not_found``.
    """

    reason: str = "refused"


class OdooAccessDenied(OdooAuthenticationError):
    """``odoo.exceptions.AccessDenied`` on a call: the login or key stopped working."""


class OdooAccessError(OdooTerminalError):
    """``odoo.exceptions.AccessError``: the user lacks a right or a record rule hides the record."""


class OdooUserError(OdooTerminalError):
    """``odoo.exceptions.UserError`` (and RedirectWarning): Odoo refused the business action."""


class OdooValidationError(OdooUserError):
    """``odoo.exceptions.ValidationError`` (a UserError subclass in 16-19, correction 2)."""


class OdooMissingError(OdooUserError):
    """``odoo.exceptions.MissingError``: the record was deleted (fault 2, correction 2)."""


class OdooNotFound(OdooTerminalError):
    """Unknown model, method or route on this Odoo (correction 8)."""


class OdooServerError(OdooTerminalError):
    """Any other server exception (ValueError, TypeError, ...): the request is wrong for this
    Odoo (for example a field that does not exist in this version, correction 10)."""


# -- transient ------------------------------------------------------------------------------


class OdooConcurrencyError(OdooTransientError):
    """Serialization failure, deadlock, lock not available (§9): Odoo rolled back."""


class OdooUnavailable(OdooTransientError):
    """429 / 502 / 503 / 504 or a gateway answering instead of Odoo (§1.8)."""


class OdooTimeout(OdooTransientError):
    """No answer in time; a write may or may not have happened."""


class OdooConnectionError(OdooTransientError):
    """The connection failed or broke."""


@dataclass(frozen=True, slots=True)
class ErrorRule:
    """One row of the table: a key, the error raised, whether a write may be resent, a hint."""

    key: str
    error: type[OdooError]
    replay_safe: bool
    hint: str
    source: str


_FIX_THEN_REPROCESS = 'then retry the parked work with "shopify-odoo reprocess"'
_CHECK = 'then run "shopify-odoo check"'

#: The one table. Keys: Odoo exception names (JSON-RPC ``data.name``, JSON-2 ``name``),
#: ``http:<status>`` for answers without an Odoo body, ``xmlrpc:<faultCode>``,
#: ``transport:<kind>`` for httpx failures.
ERROR_TABLE: tuple[ErrorRule, ...] = (
    ErrorRule(
        "odoo.exceptions.AccessError",
        OdooAccessError,
        False,
        "give the connector's Odoo user the access rights named in Odoo's message "
        f"(Settings > Users), {_FIX_THEN_REPROCESS}",
        "§1.3, correction 6 (JSON-2 403)",
    ),
    ErrorRule(
        "odoo.exceptions.AccessDenied",
        OdooAccessDenied,
        False,
        "the Odoo login, password or API key was refused: correct them in the configuration "
        f"(API keys expire on Odoo 18+), {_CHECK}",
        "correction 3 (fault 3), correction 6 (JSON-2 403)",
    ),
    ErrorRule(
        "odoo.exceptions.ValidationError",
        OdooValidationError,
        False,
        f"correct the record or value named in Odoo's message, {_FIX_THEN_REPROCESS}",
        "correction 2, correction 6 (JSON-2 422)",
    ),
    ErrorRule(
        "odoo.exceptions.UserError",
        OdooUserError,
        False,
        f"do what Odoo's message asks in Odoo, {_FIX_THEN_REPROCESS}",
        "§1.3, correction 6 (JSON-2 422)",
    ),
    ErrorRule(
        "odoo.exceptions.RedirectWarning",
        OdooUserError,
        False,
        f"do what Odoo's message asks in Odoo, {_FIX_THEN_REPROCESS}",
        "correction 2 (fault 2)",
    ),
    ErrorRule(
        "odoo.exceptions.MissingError",
        OdooMissingError,
        False,
        f"the record was deleted in Odoo: recreate or re-link it, {_FIX_THEN_REPROCESS}",
        "correction 9, correction 6 (JSON-2 404)",
    ),
    ErrorRule(
        "odoo.exceptions.LockError",
        OdooConcurrencyError,
        True,
        "another transaction holds the records; retried automatically",
        "correction 6 (JSON-2 409, 19)",
    ),
    ErrorRule(
        "odoo.exceptions.ConcurrencyError",
        OdooConcurrencyError,
        True,
        "concurrent update in Odoo; retried automatically",
        "§9 (18+ retries ConcurrencyError)",
    ),
    ErrorRule(
        "psycopg2.errors.SerializationFailure",
        OdooConcurrencyError,
        True,
        "could not serialize access due to concurrent update (usually stock quants); "
        "retried automatically",
        "§9, §11.7",
    ),
    ErrorRule(
        "psycopg2.extensions.TransactionRollbackError",
        OdooConcurrencyError,
        True,
        "concurrent update in Odoo; retried automatically",
        "§9",
    ),
    ErrorRule(
        "psycopg2.errors.DeadlockDetected",
        OdooConcurrencyError,
        True,
        "deadlock in Odoo's database; retried automatically",
        "§9 (DEADLOCK_DETECTED)",
    ),
    ErrorRule(
        "psycopg2.errors.LockNotAvailable",
        OdooConcurrencyError,
        True,
        "a row lock was not available in Odoo; retried automatically",
        "§9 (LOCK_NOT_AVAILABLE)",
    ),
    ErrorRule(
        "psycopg2.OperationalError",
        OdooUnavailable,
        False,
        "Odoo lost its database connection; retried automatically",
        "§1.8 (back off on server trouble)",
    ),
    ErrorRule(
        "werkzeug.exceptions.NotFound",
        OdooNotFound,
        False,
        "this Odoo has no such model or method (a module is not installed, or it was renamed "
        "in this version): install the module or report the Odoo version",
        "correction 8 (JSON-2 404)",
    ),
    ErrorRule(
        "werkzeug.exceptions.Unauthorized",
        OdooAuthenticationError,
        False,
        "the API key was refused: it is wrong, revoked or expired (Odoo 18+ keys expire); "
        f"create a new key in Odoo (Preferences > Account Security), {_CHECK}",
        "JSON-2 table (401)",
    ),
    ErrorRule(
        "werkzeug.exceptions.UnprocessableEntity",
        OdooServerError,
        False,
        "Odoo refused the arguments of the call for this version: report it with this message",
        "JSON-2 table (422 bad/missing args)",
    ),
    ErrorRule(
        "werkzeug.exceptions.BadRequest",
        OdooServerError,
        False,
        "Odoo could not read the request body: report it with this message",
        "JSON-2 table (400)",
    ),
    ErrorRule(
        "builtins",
        OdooServerError,
        False,
        "Odoo raised an internal error for this request (for example a field this version "
        "does not have): report it with this message",
        "correction 5 (builtins.ValueError ...), correction 6 (JSON-2 500)",
    ),
    ErrorRule(
        "http:401",
        OdooAuthenticationError,
        False,
        f"the API key was refused (wrong, revoked or expired): create a new key, {_CHECK}",
        "JSON-2 table (401)",
    ),
    ErrorRule(
        "http:403",
        OdooAuthenticationError,
        False,
        "Odoo refused external API access: on Odoo Online the external API needs a Custom "
        f"plan; otherwise check the user and key, {_CHECK}",
        "§1.1 (plan gate)",
    ),
    ErrorRule(
        "http:404",
        OdooNotFound,
        False,
        "this URL has no such Odoo endpoint: check the Odoo URL and database name; on "
        "Odoo 19+ use an API key (JSON-2) if the old RPC endpoints are disabled",
        "§1.3 (jsonrpc disabled on recent masters), correction 6 (multi-DB 404)",
    ),
    ErrorRule(
        "http:429",
        OdooUnavailable,
        True,
        "Odoo asked us to slow down; retried automatically after the delay it gave",
        "§1.8",
    ),
    ErrorRule(
        "http:500",
        OdooUnavailable,
        False,
        "Odoo (or a proxy in front of it) failed without an Odoo error; retried automatically",
        "§1.8",
    ),
    ErrorRule(
        "http:502",
        OdooUnavailable,
        False,
        "the proxy in front of Odoo got no answer; retried automatically",
        "§1.8",
    ),
    ErrorRule(
        "http:503",
        OdooUnavailable,
        True,
        "Odoo is restarting or overloaded; retried automatically",
        "§1.8",
    ),
    ErrorRule(
        "http:504",
        OdooUnavailable,
        False,
        "Odoo did not answer the proxy in time; retried automatically",
        "§1.8",
    ),
    ErrorRule(
        "xmlrpc:1",
        OdooServerError,
        False,
        "Odoo raised an internal error for this request: report it with this message",
        "correction 2 (fault 1 = traceback)",
    ),
    ErrorRule(
        "xmlrpc:2",
        OdooUserError,
        False,
        f"do what Odoo's message asks in Odoo, {_FIX_THEN_REPROCESS}",
        "correction 2 (fault 2 = UserError/ValidationError/MissingError)",
    ),
    ErrorRule(
        "xmlrpc:3",
        OdooAccessDenied,
        False,
        f"the Odoo login, password or API key was refused: correct them, {_CHECK}",
        "correction 2/3 (fault 3 = AccessDenied)",
    ),
    ErrorRule(
        "xmlrpc:4",
        OdooAccessError,
        False,
        f"give the connector's Odoo user the access rights named, {_FIX_THEN_REPROCESS}",
        "correction 2 (fault 4 = AccessError)",
    ),
    ErrorRule(
        "transport:connect",
        OdooConnectionError,
        True,
        "could not connect to Odoo; retried automatically: if it persists check the URL",
        "httpx ConnectError/ConnectTimeout: nothing was sent",
    ),
    ErrorRule(
        "transport:timeout",
        OdooTimeout,
        False,
        "Odoo did not answer in time; retried automatically (reads) or re-planned (writes)",
        "httpx Read/Write/PoolTimeout",
    ),
    ErrorRule(
        "transport:network",
        OdooConnectionError,
        False,
        "the connection to Odoo broke during the call; retried automatically",
        "httpx ReadError/WriteError/RemoteProtocolError",
    ),
)

_RULES: dict[str, ErrorRule] = {rule.key: rule for rule in ERROR_TABLE}
#: exception names whose text marks a retryable concurrency failure inside a generic error
_CONCURRENCY_TEXT = (
    "could not serialize access",
    "SerializationFailure",
    "deadlock detected",
    "LockNotAvailable",
)


#: rows whose error may hide a concurrency failure in its text (fault 1 carries a traceback)
_GENERIC = frozenset({"builtins", "xmlrpc:1", "http:500"})


def rule_for(key: str, message: str = "") -> ErrorRule:
    """The row for an exception name / status / fault key (unknown names: server error)."""
    rule = _RULES.get(key)
    if rule is not None and key not in _GENERIC:
        return rule
    if any(marker in message for marker in _CONCURRENCY_TEXT):
        return _RULES["psycopg2.errors.SerializationFailure"]
    if rule is not None:
        return rule
    if key.startswith("http:"):
        status = int(key.split(":", 1)[1])
        return _RULES["http:500"] if status >= 500 else _RULES["builtins"]
    if key.startswith("xmlrpc:"):
        return _RULES["xmlrpc:1"]
    return _RULES["builtins"]


def _short(message: str, limit: int = 400) -> str:
    text = message.strip()
    if text.startswith("Traceback (most recent call last)"):
        lines = [line for line in text.splitlines() if line.strip()]
        text = lines[-1].strip() if lines else text
    return text if len(text) <= limit else text[: limit - 3] + "..."


def build_error(
    rule: ErrorRule,
    *,
    odoo: str,
    call: OdooCall | None,
    odoo_name: str,
    odoo_message: str,
    status: int | str | None = None,
    retry_after: float | None = None,
) -> OdooError:
    """An error of the rule's class whose message names Odoo, the call, the cause, the fix."""
    where = f"Odoo {odoo}" if odoo else "Odoo"
    what = call.describe() if call else "the request"
    short_name = odoo_name.rsplit(".", 1)[-1] if odoo_name else f"status {status}"
    detail = _short(odoo_message)
    message = f"{where}: {what} failed ({short_name})"
    if detail:
        message += f': "{detail}"'
    cause = "odoo_" + _snake(rule.error.__name__.removeprefix("Odoo"))
    error: OdooError
    if issubclass(rule.error, TransientError):
        error = rule.error(message, cause=cause, hint=rule.hint, retry_after=retry_after)
    else:
        error = rule.error(message, cause=cause, hint=rule.hint)
    error.call = call
    error.odoo = odoo
    error.odoo_name = odoo_name
    error.odoo_message = odoo_message
    error.status = status
    error.replay_safe = rule.replay_safe
    return error


def _snake(name: str) -> str:
    out = []
    for index, char in enumerate(name):
        if char.isupper() and index:
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def error_from_jsonrpc(error: Mapping[str, Any], *, odoo: str, call: OdooCall | None) -> OdooError:
    """Classify a JSON-RPC ``error`` member (HTTP 200, §1.3): match on ``data.name`` only."""
    data = error.get("data") if isinstance(error.get("data"), Mapping) else {}
    assert isinstance(data, Mapping)
    name = str(data.get("name") or "")
    message = str(data.get("message") or error.get("message") or "")
    if not name and error.get("code") == 404:
        return build_error(
            _RULES["http:404"],
            odoo=odoo,
            call=call,
            odoo_name="",
            odoo_message=message,
            status=404,
        )
    key = "builtins" if name.startswith("builtins.") else name
    debug = str(data.get("debug") or "")
    return build_error(
        rule_for(key, message + debug),
        odoo=odoo,
        call=call,
        odoo_name=name,
        odoo_message=message,
        status=error.get("code"),
    )


def error_from_json2(
    status: int,
    body: Any,
    *,
    odoo: str,
    call: OdooCall | None,
    retry_after: float | None = None,
) -> OdooError:
    """Classify a JSON-2 error answer (correction 6): the body's ``name`` first, then status.

    The first 19 doc revision showed a bare JSON string body (``"Invalid apikey"``) and some
    early errors come back as text/html (§1.5): those fall back on the status code.
    """
    if isinstance(body, Mapping) and body.get("name"):
        name = str(body["name"])
        message = str(body.get("message") or "")
        key = "builtins" if name.startswith("builtins.") else name
        if key not in _RULES and key != "builtins" and status in (429, 502, 503, 504):
            key = f"http:{status}"
        return build_error(
            rule_for(key, message + str(body.get("debug") or "")),
            odoo=odoo,
            call=call,
            odoo_name=name,
            odoo_message=message,
            status=status,
            retry_after=retry_after,
        )
    message = body if isinstance(body, str) else ""
    return build_error(
        rule_for(f"http:{status}"),
        odoo=odoo,
        call=call,
        odoo_name="",
        odoo_message=message,
        status=status,
        retry_after=retry_after,
    )


def error_from_http_status(
    status: int, text: str, *, odoo: str, call: OdooCall | None, retry_after: float | None
) -> OdooError:
    """An HTTP error answer without an Odoo error body (gateway pages, text/html)."""
    return build_error(
        rule_for(f"http:{status}"),
        odoo=odoo,
        call=call,
        odoo_name="",
        odoo_message=_short(strip_html(text), 200),
        status=status,
        retry_after=retry_after,
    )


def error_from_xmlrpc_fault(
    fault_code: int | str, fault_string: str, *, odoo: str, call: OdooCall | None
) -> OdooError:
    """Classify an XML-RPC fault: integer codes of ``/xmlrpc/2`` (correction 2); the legacy
    ``/xmlrpc`` string codes (``"warning -- UserError\\n\\n<msg>"``, ``"AccessDenied"``) too."""
    if isinstance(fault_code, str):
        head = fault_code.split("\n", 1)[0]
        legacy = {
            "warning -- UserError": "odoo.exceptions.UserError",
            "warning -- MissingError": "odoo.exceptions.MissingError",
            "warning -- AccessError": "odoo.exceptions.AccessError",
            "warning -- Warning": "odoo.exceptions.UserError",
            "AccessDenied": "odoo.exceptions.AccessDenied",
        }
        name = legacy.get(head, "")
        message = fault_code.split("\n\n", 1)[1] if "\n\n" in fault_code else fault_string
        return build_error(
            rule_for(name or "xmlrpc:1", message + fault_string),
            odoo=odoo,
            call=call,
            odoo_name=name,
            odoo_message=message or fault_string,
            status=head,
        )
    return build_error(
        rule_for(f"xmlrpc:{fault_code}", fault_string),
        odoo=odoo,
        call=call,
        odoo_name="",
        odoo_message=fault_string,
        status=fault_code,
    )


def strip_html(text: str) -> str:
    """The text of an HTML error page, whitespace collapsed."""
    if "<" not in text:
        return text
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()
