"""``OdooClient``: one per Odoo database; version detection, authentication, ORM calls.

Built once with URL, database, login, API key or password, timeouts and an injectable httpx
transport (STYLE.md §7).  At most ``max_in_flight`` calls run at once (default 4, issue 6 item
3).  Transient failures of reads, and of writes Odoo certainly rolled back, are retried here
with exponential backoff and jitter; anything else is raised typed (``errors.py``) for the work
queue to retry or park.  Secrets never appear in ``repr``, logs or error messages.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from shopify_odoo.errors import ConfigError
from shopify_odoo.odoo.capabilities import Capabilities, capabilities_for
from shopify_odoo.odoo.errors import (
    OdooAccessError,
    OdooAuthenticationError,
    OdooCall,
    OdooError,
    OdooNotFound,
    OdooTransientError,
)
from shopify_odoo.odoo.protocols import HttpSession, Json2, JsonRpc, Protocol
from shopify_odoo.odoo.version import OdooVersion, version_from_answer

log = logging.getLogger(__name__)

#: large grouped reads can take a while on a big database; connecting must not
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)

ProtocolChoice = Literal["auto", "jsonrpc", "json2"]
Sleep = Callable[[float], Awaitable[None]]

#: methods that change nothing: safe to resend after a timeout or a broken connection
READ_METHODS = frozenset(
    {
        "read",
        "search",
        "search_read",
        "search_count",
        "read_group",
        "formatted_read_group",
        "fields_get",
        "name_search",
        "context_get",
        "check_access_rights",
        "has_access",
        "default_get",
        "version",
    }
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter; ``attempts`` counts the first try."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 10.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.cap * 6)
        return rng.uniform(0.0, min(self.cap, self.base * 2 ** (attempt - 1)))


def _secret(value: str | SecretStr | None) -> SecretStr | None:
    if value is None or isinstance(value, SecretStr):
        return value
    return SecretStr(value)


class OdooClient:
    """Async client of one Odoo database.  Use as ``async with OdooClient(...) as odoo:``."""

    def __init__(
        self,
        url: str,
        db: str,
        login: str,
        *,
        api_key: str | SecretStr | None = None,
        password: str | SecretStr | None = None,
        protocol: ProtocolChoice = "auto",
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        max_in_flight: int = 4,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        context: Mapping[str, Any] | None = None,
        name: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        problems = []
        if not urlsplit(url).scheme.startswith("http"):
            problems.append(f"odoo url {url!r} must start with http:// or https://")
        if not db:
            problems.append("odoo database name is empty (on Odoo Online it is the instance name)")
        if not login:
            problems.append("odoo login is empty (the connector's Odoo user)")
        if api_key is None and password is None:
            problems.append("give an Odoo API key (recommended) or a password")
        if protocol == "json2" and api_key is None:
            problems.append("protocol json2 needs an API key (JSON-2 has no password login)")
        if max_in_flight < 1:
            problems.append("max_in_flight must be at least 1")
        if problems:
            raise ConfigError("Odoo connection settings are incomplete", problems=problems)
        self.url = url.rstrip("/")
        self.db = db
        self.login = login
        self._api_key = _secret(api_key)
        self._password = _secret(password)
        self.protocol_choice: ProtocolChoice = protocol
        self.label = name or f"{self.url} (db {db})"
        self.context: dict[str, Any] = dict(context or {})
        self.retry = retry or RetryPolicy()
        self._sleep: Sleep = sleep or asyncio.sleep
        self._rng = rng or random.Random()  # jitter, not security
        self._semaphore = asyncio.Semaphore(max_in_flight)
        self._http = httpx.AsyncClient(
            base_url=self.url,
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=4),
            headers={"User-Agent": "shopify-odoo"},
        )
        self._session = HttpSession(self._http, self.label)
        self._protocol: Protocol | None = None
        self._connect_lock = asyncio.Lock()
        self.version: OdooVersion | None = None
        self._capabilities: Capabilities | None = None
        self.uid: int | None = None
        self._fields: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        kind = "api_key" if self._api_key else "password"
        return f"OdooClient({self.url!r}, db={self.db!r}, login={self.login!r}, auth={kind})"

    async def __aenter__(self) -> OdooClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- state ---------------------------------------------------------------------------

    @property
    def rpc_calls(self) -> int:
        """HTTP requests sent so far (version probe and authentication included)."""
        return self._session.requests

    @property
    def capabilities(self) -> Capabilities:
        if self._capabilities is None:
            raise RuntimeError("call `await client.connect()` before reading capabilities")
        return self._capabilities

    @property
    def protocol(self) -> str:
        return self._protocol.name if self._protocol else "not connected"

    # -- connecting ----------------------------------------------------------------------

    async def connect(self) -> Capabilities:
        """Detect the version, choose the protocol, authenticate (once; later calls reuse)."""
        async with self._connect_lock:
            if self._protocol is not None and self._capabilities is not None:
                return self._capabilities
            version = await self.detect_version()
            caps = capabilities_for(version)
            protocol = self._choose_protocol(caps)
            uid = await self._retrying(
                OdooCall("common", "authenticate"), True, lambda: self._authenticate(protocol, caps)
            )
            self.version, self._capabilities, self._protocol, self.uid = (
                version,
                caps,
                protocol,
                uid,
            )
            log.info(
                "connected to Odoo",
                extra={
                    "action": "odoo_connect",
                    "odoo": self.label,
                    "version": str(version),
                    "protocol": protocol.name,
                },
            )
            if version.at_least(19, 0) and protocol.name == "jsonrpc":
                log.warning(
                    "Odoo %s: /jsonrpc is deprecated on 19+ and will be removed; configure an "
                    "API key so the connector can use JSON-2",
                    self.label,
                )
            return caps

    async def detect_version(self) -> OdooVersion:
        """``/web/webclient/version_info``, then ``common.version``, then ``GET /web/version``
        (correction 1: same dict; 19 adds /web/version)."""
        probes: list[Callable[[], Awaitable[Any]]] = [
            lambda: self._session.jsonrpc("/web/webclient/version_info", {}, call=None),
            lambda: self._session.jsonrpc(
                "/jsonrpc", {"service": "common", "method": "version", "args": []}, call=None
            ),
            self._get_web_version,
        ]
        last: OdooError | None = None
        for probe in probes:
            try:
                answer = await probe()
            except OdooTransientError:
                raise
            except OdooError as exc:
                last = exc
                continue
            if isinstance(answer, Mapping):
                return version_from_answer(answer)
        raise OdooNotFound(
            f"Odoo {self.label}: no version endpoint answered "
            f"({last.message if last else 'no answer'})",
            cause="odoo_not_found",
            hint="check that the URL is the Odoo server's address (https://<name>.odoo.com or "
            "your server) and that it runs Odoo 16 or later",
        )

    async def _get_web_version(self) -> Any:
        response = await self._session.get("/web/version")
        if response.status_code != 200:
            raise OdooNotFound(f"GET /web/version answered {response.status_code}")
        return response.json()

    def _choose_protocol(self, caps: Capabilities) -> Protocol:
        if self.protocol_choice == "json2" or (
            self.protocol_choice == "auto" and caps.json2 and self._api_key is not None
        ):
            assert self._api_key is not None
            return Json2(self._session, self.db, self._api_key.get_secret_value())
        secret = self._api_key or self._password
        assert secret is not None
        return JsonRpc(self._session, self.db, self.login, secret.get_secret_value())

    async def _authenticate(self, protocol: Protocol, caps: Capabilities) -> int:
        try:
            uid = await protocol.authenticate()
        except OdooAccessError as exc:
            if "database" in exc.odoo_message.lower():
                raise self._auth_error("database_not_found", caps, exc) from exc
            raise self._auth_error(self._refused_reason(exc.odoo_message), caps, exc) from exc
        except OdooAuthenticationError as exc:
            reason = (
                "no_api_access"
                if exc.status == 403 and not exc.odoo_name
                else (self._refused_reason(exc.odoo_message))
            )
            raise self._auth_error(reason, caps, exc) from exc
        except OdooNotFound as exc:
            if protocol.name == "jsonrpc" and caps.version.at_least(19, 0):
                raise self._auth_error("jsonrpc_disabled", caps, exc) from exc
            raise
        if uid is None:
            raise self._auth_error(self._refused_reason(""), caps, None)
        return uid

    def _refused_reason(self, message: str) -> str:
        lowered = message.lower()
        if "pricing plan" in lowered or "custom plan" in lowered or "external api" in lowered:
            # §1.1: the refusal's shape is undocumented; its text names the plan
            return "no_api_access"
        if self._api_key is None:
            return "password_refused"
        return "api_key_expired" if "expir" in lowered else "api_key_refused"

    def _auth_error(
        self, reason: str, caps: Capabilities, cause: OdooError | None
    ) -> OdooAuthenticationError:
        who = f'login "{self.login}"'
        online = (urlsplit(self.url).hostname or "").endswith(".odoo.com")
        plan = (
            " On Odoo Online the external API also needs a Custom plan (One App Free and "
            "Standard plans have none)."
        )
        new_key = (
            "create a new API key in Odoo (avatar > My Profile/Preferences > Account Security > "
            'New API Key), put it in the configuration and run "shopify-odoo check"'
        )
        if reason == "password_refused":
            message = f"Odoo {self.label}: the password of {who} was refused"
            hint = (
                "check the login and password; users with two-factor authentication and Odoo "
                f"Online users without a local password must use an API key: {new_key}"
            )
            if online:
                hint += "." + plan
        elif reason in ("api_key_refused", "api_key_expired"):
            if reason == "api_key_expired":
                state = "has expired"
            elif caps.api_key_expiry:
                state = "was refused: it is wrong, revoked or expired (keys expire on Odoo 18+)"
            else:
                state = "was refused: it is wrong or revoked, or belongs to another login"
            message = f"Odoo {self.label}: the API key of {who} {state}"
            hint = new_key + ("." + plan if online else "")
        elif reason == "no_api_access":
            message = (
                f"Odoo {self.label} refused external API access although it answered: the plan "
                "or the server does not allow the external API"
            )
            hint = (
                "on Odoo Online switch the database to a Custom plan (the external API is not "
                'available on One App Free or Standard), then run "shopify-odoo check"'
            )
        elif reason == "database_not_found":
            message = f'Odoo {self.url}: database "{self.db}" was not found'
            hint = "check the database name (on Odoo Online it is the instance name)"
        else:  # jsonrpc_disabled
            message = f"Odoo {self.label}: /jsonrpc is disabled on this Odoo {caps.version}"
            hint = f"configure an API key so the connector uses JSON-2: {new_key}"
        error = OdooAuthenticationError(message, cause="odoo_auth", hint=hint)
        error.reason = reason
        error.odoo = self.label
        if cause is not None:
            error.odoo_name, error.odoo_message, error.status = (
                cause.odoo_name,
                cause.odoo_message,
                cause.status,
            )
        return error

    # -- calling ---------------------------------------------------------------------------

    async def call(
        self,
        model: str,
        method: str,
        *,
        ids: Sequence[int] | None = None,
        params: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        readonly: bool | None = None,
    ) -> Any:
        """Call ``model.method`` by keyword (``ids=None`` for ``@api.model`` methods)."""
        if self._protocol is None:
            await self.connect()
        protocol = self._protocol
        assert protocol is not None
        id_list = None if ids is None else [int(i) for i in ids]
        call = OdooCall(model, method, tuple(id_list or ()))
        merged = {**self.context, **(context or {})}
        is_read = method in READ_METHODS if readonly is None else readonly
        params_ = params or {}

        async def send() -> Any:
            started = time.monotonic()
            async with self._semaphore:
                result = await protocol.execute(call, id_list, params_, merged)
            log.debug(
                "odoo call",
                extra={
                    "action": "odoo_call",
                    "odoo": self.label,
                    "call": f"{model}.{method}",
                    "seconds": round(time.monotonic() - started, 4),
                },
            )
            return result

        return await self._retrying(call, is_read, send)

    async def _retrying(
        self, call: OdooCall, is_read: bool, send: Callable[[], Awaitable[Any]]
    ) -> Any:
        """Run ``send``; retry transient failures of reads, and of writes Odoo rolled back."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await send()
            except OdooTransientError as exc:
                if attempt >= self.retry.attempts or not (is_read or exc.replay_safe):
                    raise
                delay = self.retry.delay(attempt, exc.retry_after, self._rng)
                log.info(
                    "Odoo call failed, retrying",
                    extra={
                        "action": "odoo_retry",
                        "odoo": self.label,
                        "call": call.describe(),
                        "cause": exc.cause,
                        "attempt": attempt,
                        "delay": round(delay, 3),
                    },
                )
                await self._sleep(delay)

    async def search(
        self,
        model: str,
        domain: Sequence[Any],
        *,
        limit: int | None = None,
        offset: int = 0,
        order: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> list[int]:
        params: dict[str, Any] = {"domain": list(domain)}
        if offset:
            params["offset"] = offset
        if limit is not None:
            params["limit"] = limit
        if order:
            params["order"] = order
        result = await self.call(model, "search", params=params, context=context)
        return [int(i) for i in result or []]

    async def search_read(
        self,
        model: str,
        domain: Sequence[Any],
        fields: Sequence[str],
        *,
        limit: int | None = None,
        offset: int = 0,
        order: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"domain": list(domain), "fields": list(fields)}
        if offset:
            params["offset"] = offset
        if limit is not None:
            params["limit"] = limit
        if order:
            params["order"] = order
        result = await self.call(model, "search_read", params=params, context=context)
        return list(result or [])

    async def search_read_all(
        self,
        model: str,
        domain: Sequence[Any],
        fields: Sequence[str],
        *,
        page_size: int = 2000,
        context: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Every matching record, paged by ``id > last`` (stable while records change)."""
        rows: list[dict[str, Any]] = []
        last = 0
        while True:
            page = await self.search_read(
                model,
                [*domain, ("id", ">", last)],
                fields,
                limit=page_size,
                order="id asc",
                context=context,
            )
            rows.extend(page)
            if len(page) < page_size:
                return rows
            last = int(page[-1]["id"])

    async def read(
        self,
        model: str,
        ids: Sequence[int],
        fields: Sequence[str],
        *,
        chunk_size: int = 2000,
        context: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Read ids in chunks (concurrently, within the in-flight limit), in the order given.

        Ids that no longer exist are silently absent, as in Odoo's ``read`` (correction 9).
        """
        unique = list(dict.fromkeys(int(i) for i in ids))
        chunks = [unique[i : i + chunk_size] for i in range(0, len(unique), chunk_size)]
        answers = await asyncio.gather(
            *(
                self.call(
                    model, "read", ids=chunk, params={"fields": list(fields)}, context=context
                )
                for chunk in chunks
            )
        )
        by_id = {int(row["id"]): row for answer in answers for row in answer or []}
        return [by_id[i] for i in unique if i in by_id]

    async def create(
        self,
        model: str,
        vals_list: Sequence[Mapping[str, Any]],
        *,
        chunk_size: int = 500,
        context: Mapping[str, Any] | None = None,
    ) -> list[int]:
        """Create many records: one call (one transaction) per chunk, chunks in sequence."""
        created: list[int] = []
        for start in range(0, len(vals_list), chunk_size):
            chunk = [dict(v) for v in vals_list[start : start + chunk_size]]
            result = await self.call(model, "create", params={"vals_list": chunk}, context=context)
            created.extend([int(result)] if isinstance(result, int) else map(int, result))
        return created

    async def write(
        self,
        model: str,
        ids: Sequence[int],
        vals: Mapping[str, Any],
        *,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        await self.call(model, "write", ids=ids, params={"vals": dict(vals)}, context=context)

    async def fields(self, model: str) -> dict[str, Any]:
        """``fields_get`` with only the attributes the connector uses, cached per model."""
        if model not in self._fields:
            result = await self.call(
                model, "fields_get", params={"attributes": ["type", "relation", "string"]}
            )
            self._fields[model] = dict(result or {})
        return self._fields[model]

    async def has_field(self, model: str, name: str) -> bool:
        return name in await self.fields(model)

    async def read_group(
        self,
        model: str,
        domain: Sequence[Any],
        groupby: Sequence[str],
        aggregates: Sequence[str],
        *,
        limit: int | None = None,
        offset: int = 0,
        order: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Grouped aggregates in one shape on every version.

        Rows are keyed by each groupby field (many2one → its id, ``False`` for none), each
        aggregate spec as given (``"quantity:sum"``) and ``"__count"``.  16-18 call
        ``read_group(lazy=False)`` whose aggregates are keyed by field name; 19 calls
        ``formatted_read_group`` whose keys are the specs verbatim (correction 11).
        """
        caps = self._capabilities or await self.connect()
        params: dict[str, Any] = {"domain": list(domain), "groupby": list(groupby)}
        if limit is not None:
            params["limit"] = limit
        if offset:
            params["offset"] = offset
        if caps.group_method == "formatted_read_group":
            params["aggregates"] = [*aggregates, "__count"]
            if order:
                params["order"] = order
            rows = await self.call(model, "formatted_read_group", params=params, context=context)
            key_of = {spec: spec for spec in aggregates}
        else:
            params.update(fields=list(aggregates), lazy=False)
            if order:
                params["orderby"] = order
            rows = await self.call(model, "read_group", params=params, context=context)
            key_of = {spec: spec.split(":", 1)[0] for spec in aggregates}
        out: list[dict[str, Any]] = []
        for row in rows or []:
            item: dict[str, Any] = {}
            for name in groupby:
                value = row.get(name, False)
                item[name] = value[0] if isinstance(value, list | tuple) and value else value
            for spec, key in key_of.items():
                item[spec] = row.get(key) or 0
            item["__count"] = int(row.get("__count") or 0)
            out.append(item)
        return out
