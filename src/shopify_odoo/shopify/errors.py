"""The error table of the Shopify Admin API (STYLE.md §5): every failure is transient or terminal.

One explicit mapping per source of failure:

* ``HTTP_STATUS``: the HTTP status of the answer;
* ``GRAPHQL_CODES``: ``errors[].extensions.code`` of an HTTP 200 answer (Shopify reports cost
  throttling, access and validation failures in the body, fact sheet §b.1 corrections 4, 5, 12);
* network failures and timeouts are transient (``NETWORK`` / ``TIMEOUT`` rows).

Mutation ``userErrors`` are not raised here: they are returned per item (``UserError``), or
raised as ``UserErrorsError`` by operations that have no per-item outcome.
Messages name the store, the operation, the cause and the next step; never a token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, NoReturn

from shopify_odoo.errors import TerminalError, TransientError


class Kind(Enum):
    TRANSIENT = "transient"
    TERMINAL = "terminal"


@dataclass(frozen=True)
class Rule:
    """One row of the table: the kind, a stable cause label and the next step for a person."""

    kind: Kind
    cause: str
    hint: str


_RETRY = "the connector retries it automatically; if it persists, check Shopify's status page"

#: HTTP status -> rule.  Not listed: 5xx -> ``SERVER_ERROR``, other 4xx -> ``CLIENT_ERROR``.
HTTP_STATUS: Mapping[int, Rule] = {
    401: Rule(
        Kind.TERMINAL,
        "unauthorized",
        "the access token was refused: renew the store's credentials, "
        'then run "shopify-odoo check"',
    ),
    402: Rule(
        Kind.TERMINAL,
        "shop_frozen",
        "the shop is frozen for an unpaid bill (HTTP 402): the merchant must settle it in Shopify",
    ),
    403: Rule(
        Kind.TERMINAL,
        "forbidden",
        "the app lacks an access scope or the staff permission: grant it, "
        'then run "shopify-odoo check"',
    ),
    404: Rule(
        Kind.TERMINAL,
        "not_found",
        "no Admin API at this address: check the store's shop domain (xxx.myshopify.com)",
    ),
    423: Rule(
        Kind.TERMINAL,
        "shop_locked",
        "the shop is locked (HTTP 423): the merchant must contact Shopify support",
    ),
    429: Rule(Kind.TRANSIENT, "rate_limited", _RETRY),
    500: Rule(Kind.TRANSIENT, "server_error", _RETRY),
    502: Rule(Kind.TRANSIENT, "server_error", _RETRY),
    503: Rule(Kind.TRANSIENT, "server_error", _RETRY),
    504: Rule(Kind.TRANSIENT, "server_error", _RETRY),
}
SERVER_ERROR = Rule(Kind.TRANSIENT, "server_error", _RETRY)
CLIENT_ERROR = Rule(
    Kind.TERMINAL,
    "bad_request",
    "the request was refused as malformed: this is a connector bug, report it",
)
NETWORK = Rule(Kind.TRANSIENT, "network", "Shopify could not be reached; the connector retries it")
TIMEOUT = Rule(
    Kind.TRANSIENT, "timeout", "Shopify did not answer in time; the connector retries it"
)
BAD_RESPONSE = Rule(Kind.TRANSIENT, "bad_response", _RETRY)

#: ``errors[].extensions.code`` of an HTTP 200 answer -> rule.  Codes not listed (GraphQL
#: validation such as ``undefinedField``, parse errors, no code): ``INVALID_QUERY``.
GRAPHQL_CODES: Mapping[str, Rule] = {
    "THROTTLED": Rule(
        Kind.TRANSIENT,
        "throttled",
        "the store's API budget is exhausted; retried after the back-off",
    ),
    "ACCESS_DENIED": Rule(
        Kind.TERMINAL,
        "missing_scope",
        'grant the scope to the app (or the staff permission), then run "shopify-odoo check"',
    ),
    "INTERNAL_SERVER_ERROR": Rule(Kind.TRANSIENT, "server_error", _RETRY),
    "SERVICE_UNAVAILABLE": Rule(Kind.TRANSIENT, "server_error", _RETRY),
    "TIMEOUT": Rule(Kind.TRANSIENT, "timeout", _RETRY),
    "MAX_COST_EXCEEDED": Rule(
        Kind.TERMINAL,
        "query_too_costly",
        "the query costs more than 1000 points: a connector bug, report it",
    ),
    "MAX_INPUT_SIZE_EXCEEDED": Rule(
        Kind.TERMINAL,
        "input_too_large",
        "an input list is over 250 items: a connector bug, report it",
    ),
}
INVALID_QUERY = Rule(
    Kind.TERMINAL,
    "invalid_query",
    "Shopify refused the GraphQL document: a connector bug (or an API version mismatch), report it",
)

_SCOPE = re.compile(r"\b((?:read|write|unauthenticated_read|unauthenticated_write)_[a-z_]+)\b")


def error_for_rule(
    rule: Rule, message: str, *, retry_after: float | None = None
) -> TransientError | TerminalError:
    """The exception of ``rule`` with ``message`` (to ``raise ... from exc``)."""
    if rule.kind is Kind.TRANSIENT:
        return TransientError(message, cause=rule.cause, hint=rule.hint, retry_after=retry_after)
    return TerminalError(message, cause=rule.cause, hint=rule.hint)


def raise_for_rule(rule: Rule, message: str, *, retry_after: float | None = None) -> NoReturn:
    """Raise the error of ``rule`` with ``message``."""
    raise error_for_rule(rule, message, retry_after=retry_after)


def http_rule(status: int) -> Rule:
    rule = HTTP_STATUS.get(status)
    if rule is not None:
        return rule
    return SERVER_ERROR if status >= 500 else CLIENT_ERROR


def graphql_rule(code: str | None) -> Rule:
    if code is None:
        return INVALID_QUERY
    return GRAPHQL_CODES.get(code, INVALID_QUERY)


def error_code(error: Mapping[str, Any]) -> str | None:
    ext = error.get("extensions")
    if isinstance(ext, Mapping):
        code = ext.get("code")
        if isinstance(code, str):
            return code
    return None


def missing_scopes(error: Mapping[str, Any]) -> list[str]:
    """Scopes named by an ACCESS_DENIED error (``extensions.requiredAccess`` or the message)."""
    texts = [str(error.get("message", ""))]
    ext = error.get("extensions")
    if isinstance(ext, Mapping) and "requiredAccess" in ext:
        texts.insert(0, str(ext["requiredAccess"]))
    found: list[str] = []
    for text in texts:
        for scope in _SCOPE.findall(text):
            if scope not in found:
                found.append(scope)
    return found


def raise_for_graphql_errors(
    store: str, operation: str, errors: Sequence[Mapping[str, Any]]
) -> NoReturn:
    """Raise the error for the first failing entry of ``errors`` (THROTTLED is handled earlier)."""
    first = errors[0]
    code = error_code(first)
    rule = graphql_rule(code)
    detail = str(first.get("message", "no message")).strip().splitlines()[0]
    if code == "ACCESS_DENIED":
        scopes = missing_scopes(first)
        named = ", ".join(scopes) if scopes else "a scope Shopify did not name"
        raise TerminalError(
            f"store {store}: {operation} was denied, missing access scope {named} ({detail})",
            cause=rule.cause,
            hint=f'grant {named} to the app on store {store}, then run "shopify-odoo check"',
        )
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    raise_for_rule(
        rule,
        f"store {store}: {operation} failed with GraphQL error "
        f"{code or 'without code'}: {detail}{more}",
    )


@dataclass(frozen=True)
class UserError:
    """One ``userErrors`` entry of a mutation: the input field path, Shopify's code, its message."""

    field: tuple[str, ...]
    code: str | None
    message: str

    def describe(self) -> str:
        where = ".".join(self.field) if self.field else "(no field)"
        return f"{where}: {self.code or 'no code'}: {self.message}"


def parse_user_errors(raw: object) -> tuple[UserError, ...]:
    if not isinstance(raw, list):
        return ()
    out: list[UserError] = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        field = item.get("field")
        code = item.get("code")
        out.append(
            UserError(
                field=tuple(str(f) for f in field) if isinstance(field, list) else (),
                code=code if isinstance(code, str) else None,
                message=str(item.get("message", "")),
            )
        )
    return tuple(out)


class UserErrorsError(TerminalError):
    """A mutation answered with ``userErrors``: every item with its field and code."""

    def __init__(self, store: str, operation: str, user_errors: Sequence[UserError]) -> None:
        self.user_errors = tuple(user_errors)
        items = "; ".join(e.describe() for e in self.user_errors)
        super().__init__(
            f"store {store}: {operation} was refused by Shopify: {items}",
            cause="user_errors",
            hint="fix the named fields (data in Odoo or the configuration), then reprocess",
        )
