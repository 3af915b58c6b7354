"""The GraphQL seam of one store: auth, version pin, cost budget, error table (STYLE.md §7).

``ShopifyGraphQL.execute`` runs one operation file by name and returns its ``data``; everything a
person should act on comes out as ``TransientError`` / ``TerminalError`` (``errors.py``).
``ShopifyClient`` (client.py) adds the typed operations on top.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Self

import httpx

from shopify_odoo.errors import TerminalError, TransientError
from shopify_odoo.shopify import documents
from shopify_odoo.shopify.auth import TokenProvider
from shopify_odoo.shopify.budget import StoreBudget, Ticket
from shopify_odoo.shopify.errors import (
    BAD_RESPONSE,
    NETWORK,
    TIMEOUT,
    error_code,
    error_for_rule,
    http_rule,
    raise_for_graphql_errors,
    raise_for_rule,
)
from shopify_odoo.shopify.limiter import CostReport, Priority, ThrottleStatus

logger = logging.getLogger(__name__)

API_VERSION = "2026-04"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)  # Shopify's Decimal / Money scalars take strings
    raise TypeError(f"cannot send {type(value).__name__} to Shopify")


_DECODER = json.JSONDecoder(parse_float=Decimal)


def loads(raw: bytes | str) -> Any:
    """JSON with exact integers (Python ints) and decimals (never floats) for money."""
    return _DECODER.decode(raw.decode("utf-8") if isinstance(raw, bytes) else raw)


def cost_report(body: Mapping[str, Any]) -> CostReport | None:
    """``extensions.cost`` of an answer, when present."""
    ext = body.get("extensions")
    cost = ext.get("cost") if isinstance(ext, Mapping) else None
    if not isinstance(cost, Mapping):
        return None
    status = cost.get("throttleStatus")
    throttle = None
    if isinstance(status, Mapping):
        try:
            throttle = ThrottleStatus(
                maximum_available=float(status["maximumAvailable"]),
                currently_available=float(status["currentlyAvailable"]),
                restore_rate=float(status["restoreRate"]),
            )
        except (KeyError, TypeError, ValueError):
            throttle = None

    def num(key: str) -> float | None:
        value = cost.get(key)
        return float(value) if isinstance(value, int | float | Decimal) else None

    return CostReport(
        requested=num("requestedQueryCost"), actual=num("actualQueryCost"), throttle=throttle
    )


def _decode(response: httpx.Response) -> Any:
    try:
        return loads(response.content)
    except ValueError:
        return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class ShopifyGraphQL:
    """Admin GraphQL API of one store (``https://<shop_domain>/admin/api/2026-04/graphql.json``)."""

    def __init__(
        self,
        store: str,
        shop_domain: str,
        tokens: TokenProvider,
        *,
        admin_url: str | None = None,
        api_version: str = API_VERSION,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        budget: StoreBudget | None = None,
        max_retries: int = 5,
    ) -> None:
        #: the store's handle in our configuration; used in every message
        self.store = store
        self.shop_domain = shop_domain
        self.api_version = api_version
        base = (admin_url or f"https://{shop_domain}").rstrip("/")
        self.endpoint = f"{base}/admin/api/{api_version}/graphql.json"
        self.tokens = tokens
        self.budget = budget or StoreBudget(store)
        self.max_retries = max_retries
        self._version_warned = False
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport, follow_redirects=False)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
        close = getattr(self.tokens, "aclose", None)
        if close is not None:
            await close()

    async def execute(
        self,
        name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        priority: Priority = Priority.NORMAL,
    ) -> dict[str, Any]:
        """Run ``graphql/<name>.graphql`` and return ``data``; throttles are waited out, retried."""
        doc = documents.load(name)
        payload = {
            "query": doc.text,
            "operationName": doc.operation_name,
            "variables": dict(variables or {}),
        }
        content = json.dumps(payload, default=_json_default).encode()
        attempt = 0
        while True:
            ticket = await self.budget.acquire(doc.operation_name, doc.requested_cost, priority)
            try:
                response = await self._post(doc.operation_name, content)
            except BaseException:
                await self.budget.abandon(ticket)
                raise
            body = _decode(response) if response.status_code == 200 else None
            if await self._throttled(ticket, doc.operation_name, response, body, attempt):
                attempt += 1
                continue
            return await self._result(ticket, doc.operation_name, response, body)

    async def _post(self, operation: str, content: bytes) -> httpx.Response:
        token = await self.tokens.get_token()
        response = await self._send(operation, content, token)
        if response.status_code != 401:
            return response
        # one renewal and one retry (issue 10); the token itself never reaches a message
        if await self.tokens.invalidate(token):
            response = await self._send(operation, content, await self.tokens.get_token())
            if response.status_code != 401:
                return response
        raise TerminalError(
            f"store {self.store} ({self.shop_domain}): Shopify refused the "
            f"{self.tokens.describe()} (HTTP 401) while running {operation}",
            cause="unauthorized",
            hint=self._remedy(),
        )

    def _remedy(self) -> str:
        """The provider's next step for a person (``remedy()``, when it has one)."""
        remedy = getattr(self.tokens, "remedy", None)
        if callable(remedy):
            return str(remedy())
        return (
            f"renew the credentials of store {self.store} in the configuration, "
            'then run "shopify-odoo check"'
        )

    async def _send(self, operation: str, content: bytes, token: str) -> httpx.Response:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Shopify-Access-Token": token,
        }
        try:
            response = await self._http.post(self.endpoint, content=content, headers=headers)
        except httpx.TimeoutException as exc:
            message = f"store {self.store}: {operation} timed out ({type(exc).__name__})"
            raise error_for_rule(TIMEOUT, message) from exc
        except httpx.TransportError as exc:
            message = (
                f"store {self.store}: {operation} could not reach {self.endpoint}: "
                f"{type(exc).__name__}"
            )
            raise error_for_rule(NETWORK, message) from exc
        self._check_version(response)
        return response

    def _check_version(self, response: httpx.Response) -> None:
        served = response.headers.get("X-Shopify-API-Version")
        if served and served != self.api_version and not self._version_warned:
            self._version_warned = True
            logger.warning(
                "store %s: Shopify answered with API version %s instead of %s (the pinned version "
                "may be unsupported; Shopify falls forward, fact sheet §g)",
                self.store,
                served,
                self.api_version,
                extra={"action": "api_version_mismatch", "store": self.store},
            )

    async def _throttled(
        self, ticket: Ticket, operation: str, response: httpx.Response, body: Any, attempt: int
    ) -> bool:
        """True when the call was throttled and should be retried (after the budget's back-off)."""
        if response.status_code == 429:
            wait = _retry_after(response) or 1.0
            await self.budget.retry_after(ticket, wait)
            if attempt < self.max_retries:
                return True
            raise TransientError(
                f"store {self.store}: {operation} rate limited (HTTP 429) {attempt + 1} times",
                cause="rate_limited",
                hint="retried later automatically",
                retry_after=wait,
            )
        if response.status_code != 200:
            return False
        errors = body.get("errors") if isinstance(body, Mapping) else None
        if not (
            isinstance(errors, list)
            and any(isinstance(e, Mapping) and error_code(e) == "THROTTLED" for e in errors)
        ):
            return False
        wait = await self.budget.throttled(ticket, cost_report(body))
        logger.info(
            "store %s: %s throttled, waiting %.2fs",
            self.store,
            operation,
            wait,
            extra={"action": "throttled", "store": self.store},
        )
        if attempt < self.max_retries:
            return True
        raise TransientError(
            f"store {self.store}: {operation} throttled by Shopify {attempt + 1} times in a row",
            cause="throttled",
            hint="the store's API budget is exhausted; retried later automatically",
            retry_after=wait,
        )

    async def _result(
        self, ticket: Ticket, operation: str, response: httpx.Response, body: Any
    ) -> dict[str, Any]:
        if response.status_code != 200:
            await self.budget.abandon(ticket)
            rule = http_rule(response.status_code)
            raise_for_rule(
                rule,
                f"store {self.store}: {operation} failed with HTTP {response.status_code}",
                retry_after=_retry_after(response),
            )
        if not isinstance(body, Mapping):
            await self.budget.abandon(ticket)
            raise_for_rule(
                BAD_RESPONSE,
                f"store {self.store}: {operation} answered with a body that is not a JSON object",
            )
        await self.budget.settle(ticket, cost_report(body))
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            raise_for_graphql_errors(
                self.store, operation, [e for e in errors if isinstance(e, Mapping)] or [{}]
            )
        data = body.get("data")
        if not isinstance(data, dict):
            raise_for_rule(BAD_RESPONSE, f"store {self.store}: {operation} answered without data")
        return data

    async def paginate(
        self,
        name: str,
        variables: Mapping[str, Any],
        path: Sequence[str],
        *,
        priority: Priority = Priority.NORMAL,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every node of the connection at ``path`` in ``data``, page by page (``$after``)."""
        after: str | None = None
        while True:
            data = await self.execute(name, {**variables, "after": after}, priority=priority)
            connection: Any = data
            for key in path:
                connection = connection.get(key) if isinstance(connection, Mapping) else None
            if not isinstance(connection, Mapping):
                raise TerminalError(
                    f"store {self.store}: {name} answered without the connection {'.'.join(path)}",
                    cause="bad_payload",
                )
            for node in connection.get("nodes") or []:
                yield node
            info = connection.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")
            if not after:
                raise TerminalError(
                    f"store {self.store}: {name} says there is a next page but gave no cursor",
                    cause="bad_payload",
                )

    async def stream_lines(self, url: str) -> AsyncIterator[bytes]:
        """The lines of a file at ``url`` (a bulk operation's JSONL), streamed, never held whole.

        No Shopify token is sent: the URL is a signed link to a storage host.
        """
        try:
            async with self._http.stream("GET", url) as response:
                if response.status_code != 200:
                    rule = http_rule(response.status_code)
                    if response.status_code in (403, 404, 410):
                        raise TerminalError(
                            f"store {self.store}: the bulk result file is gone "
                            f"(HTTP {response.status_code}); "
                            "its signed link expires (results stay 7 days, fact sheet §c)",
                            cause="bulk_file_expired",
                            hint="run the bulk operation again",
                        )
                    raise_for_rule(
                        rule,
                        f"store {self.store}: downloading the bulk result failed "
                        f"with HTTP {response.status_code}",
                    )
                buffer = b""
                async for chunk in response.aiter_bytes():
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        if line.strip():
                            yield line
                if buffer.strip():
                    yield buffer
        except httpx.TimeoutException as exc:
            raise TransientError(
                f"store {self.store}: the bulk result download timed out", cause="timeout"
            ) from exc
        except httpx.TransportError as exc:
            raise TransientError(
                f"store {self.store}: the bulk result download failed: {type(exc).__name__}",
                cause="network",
            ) from exc
