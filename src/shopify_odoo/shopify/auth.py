"""How the client gets its access token (fact sheet §h and audit correction 20).

The client asks a ``TokenProvider`` for a token before each request and, on HTTP 401, tells it
which token was refused (``invalidate``) and asks once more; a provider that renews tokens
fetches a fresh one there, a static provider cannot and the client then raises a terminal error
naming the store and ``remedy()``.

Three providers, one per credential mode:

* ``StaticTokenProvider``: a legacy custom app's ``shpat_`` token, which never expires.
* ``ClientCredentialsProvider``: ``POST /admin/oauth/access_token`` with
  ``grant_type=client_credentials`` before the first call and again before the token expires
  (``expires_in`` is always 86399 s, no refresh token: correction 20).
* ``OAuthProvider``: an installation's offline token; when it expires (60 min for expiring
  offline tokens, §h) it is refreshed with ``grant_type=refresh_token``; the new refresh token
  replaces the old one.

Renewals are single-flight: one ``asyncio.Lock`` per provider in a process, and a
``TokenStore`` whose ``renewal()`` is exclusive across processes (the state database row, see
``store/tokens.py``), so every worker of every process shares one token and one expiry causes
one grant.  Token values are never logged nor put in messages or ``repr``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import httpx

from shopify_odoo.errors import TerminalError, TransientError

logger = logging.getLogger(__name__)

#: Admin API access scopes the connector uses (inference from §h and the operations in
#: graphql/: inventory writes, product sync, order import with customers, fulfillments).
NEEDED_SCOPES: tuple[str, ...] = (
    "read_products",
    "write_products",
    "read_inventory",
    "write_inventory",
    "read_locations",
    "read_orders",
    "read_customers",
    "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",
)

#: renew this long before expiry at most (5 min of a ~24 h token) ...
MAX_MARGIN = 300.0
#: ... and at most this share of the token's lifetime (tests use tokens of a few seconds)
MARGIN_SHARE = 0.1
#: seconds a refusal of the token endpoint (wrong secret, app not installed) is repeated to
#: every caller before the endpoint is asked again
REFUSAL_HOLD = 30.0


def missing_scopes(granted: Iterable[str], needed: Iterable[str] = NEEDED_SCOPES) -> list[str]:
    """Needed scopes not granted; ``write_x`` implies ``read_x`` (Shopify's scope rule)."""
    have = {s.strip() for s in granted if s.strip()}
    implied = {"read_" + s[len("write_") :] for s in have if s.startswith("write_")}
    return [s for s in needed if s not in have | implied]


def split_scopes(scope: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in scope.split(",") if s.strip())


@dataclass(frozen=True)
class TokenRecord:
    """One access token as granted; times are epoch seconds; ``None`` = never expires/unknown."""

    access_token: str = field(repr=False)
    mode: str
    scopes: tuple[str, ...] = ()
    issued_at: float = 0.0
    expires_at: float | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: float | None = None

    def margin(self) -> float:
        if self.expires_at is None:
            return 0.0
        lifetime = max(0.0, self.expires_at - self.issued_at)
        return min(MAX_MARGIN, MARGIN_SHARE * lifetime)

    def fresh(self, now: float) -> bool:
        """Usable without renewing first: no known expiry, or not inside the renewal margin."""
        return self.expires_at is None or now < self.expires_at - self.margin()

    def alive(self, now: float) -> bool:
        """Not yet expired (a renewal that failed for a moment may keep using it)."""
        return self.expires_at is None or now < self.expires_at


class RenewalSlot(Protocol):
    """The exclusive right to renew one store's token (see ``TokenStore.renewal``)."""

    @property
    def current(self) -> TokenRecord | None:
        """The token stored now (another process may have renewed it meanwhile)."""
        ...

    async def save(self, record: TokenRecord) -> None: ...


class TokenStore(Protocol):
    """Where one store's token is kept and shared (the state database, encrypted)."""

    async def load(self) -> TokenRecord | None: ...

    def renewal(self) -> AbstractAsyncContextManager[RenewalSlot]:
        """Exclusive across processes while open; ``current`` is read inside the lock."""
        ...


class _MemorySlot:
    def __init__(self, owner: MemoryTokenStore) -> None:
        self._owner = owner

    @property
    def current(self) -> TokenRecord | None:
        return self._owner.record

    async def save(self, record: TokenRecord) -> None:
        self._owner.record = record


class MemoryTokenStore:
    """A token store of one process (tests, and tools that run once)."""

    def __init__(self, record: TokenRecord | None = None) -> None:
        self.record = record
        self._lock = asyncio.Lock()

    async def load(self) -> TokenRecord | None:
        return self.record

    @asynccontextmanager
    async def _renewal(self) -> AsyncIterator[RenewalSlot]:
        async with self._lock:
            yield _MemorySlot(self)

    def renewal(self) -> AbstractAsyncContextManager[RenewalSlot]:
        return self._renewal()


@runtime_checkable
class TokenProvider(Protocol):
    """Source of Admin API access tokens for one store."""

    async def get_token(self) -> str:
        """A token believed valid now (renewing it first when it is known to be expiring)."""
        ...

    async def invalidate(self, token: str) -> bool:
        """Shopify refused ``token`` (HTTP 401).  Forget it; True when a new one can be had.

        Passing the refused token lets a shared provider ignore a stale report when another
        task already renewed it, so one expiry causes one renewal, not one per worker.
        """
        ...

    def describe(self) -> str:
        """What kind of credential this is, for messages (never the secret itself).

        Providers may also have ``remedy() -> str``: what a person does when Shopify keeps
        refusing the credential (the client puts it in its terminal error).
        """
        ...


class StaticTokenProvider:
    """A non-expiring token, e.g. a legacy custom app's ``shpat_`` token (fact sheet §h)."""

    def __init__(self, token: str, *, store: str = "", shop_domain: str = "") -> None:
        if not token.strip():
            raise ValueError("the access token is empty")
        self._token = token
        self.store = store
        self.shop_domain = shop_domain

    async def get_token(self) -> str:
        return self._token

    async def invalidate(self, token: str) -> bool:
        # a static token cannot be renewed: the caller turns the 401 into a terminal error
        return False

    def describe(self) -> str:
        return "legacy custom app token"

    def remedy(self) -> str:
        which = f"store {self.store}" if self.store else "the store"
        return (
            f"the token was revoked or the custom app uninstalled: in the Shopify admin of "
            f"{self.shop_domain or which} reveal or reinstall the custom app's Admin API token, "
            f'set access_token of {which} (or its environment variable), then run "shopify-odoo '
            'check"; since 1 January 2026 new apps use client_id and client_secret instead'
        )

    def __repr__(self) -> str:
        return "StaticTokenProvider(<hidden>)"


Clock = Callable[[], float]


class RenewingTokenProvider:
    """Shared machinery of the providers that obtain tokens at ``token_url``."""

    mode = "renewing"

    def __init__(
        self,
        *,
        store: str,
        shop_domain: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        tokens: TokenStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.time,
        timeout: float = 30.0,
    ) -> None:
        self.store = store
        self.shop_domain = shop_domain
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self.tokens: TokenStore = tokens or MemoryTokenStore()
        self.clock = clock
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)
        self._current: TokenRecord | None = None
        self._lock = asyncio.Lock()
        #: a refusal of the token endpoint, repeated for REFUSAL_HOLD s instead of asking again
        self._refused: tuple[float, TerminalError] | None = None
        #: grants this provider made (tests and ``check`` read it)
        self.grants = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(store={self.store!r}, <secrets hidden>)"

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def current(self) -> TokenRecord | None:
        """The token in use (for reports: mode, expiry, scopes; never print its value)."""
        return self._current

    # -- the TokenProvider protocol --------------------------------------------------------
    async def get_token(self) -> str:
        current = self._current
        if current is not None and current.fresh(self.clock()):
            return current.access_token
        async with self._lock:
            current = self._current
            if current is not None and current.fresh(self.clock()):
                return current.access_token
            if current is None:
                stored = await self.tokens.load()  # another process may have one already
                if stored is not None and stored.fresh(self.clock()):
                    self._current = stored
                    return stored.access_token
            return (await self._renew(stale=None)).access_token

    async def invalidate(self, token: str) -> bool:
        async with self._lock:
            current = self._current
            if current is not None and current.access_token != token:
                return True  # renewed by another task since that call was sent
            if not self.can_renew(current):
                return False
            await self._renew(stale=token)
            return True

    def describe(self) -> str:
        return "access token"

    def remedy(self) -> str:
        return f'check the app credentials of store {self.store}, then run "shopify-odoo check"'

    # -- renewal ---------------------------------------------------------------------------
    def can_renew(self, current: TokenRecord | None) -> bool:
        return True

    async def _renew(self, stale: str | None) -> TokenRecord:
        """Renew under the store-wide lock; reuse what another process stored meanwhile."""
        async with self.tokens.renewal() as slot:
            stored = slot.current
            now = self.clock()
            if stored is not None and stored.access_token != stale and stored.fresh(now):
                self._current = stored
                return stored
            base = stored or self._current
            if self._refused is not None and now - self._refused[0] < REFUSAL_HOLD:
                raise self._refused[1]  # every worker would ask again: say it once per hold
            try:
                record = await self.grant(base)
            except TerminalError as exc:
                self._refused = (now, exc)
                raise
            except TransientError:
                # Shopify is unreachable for a moment: keep a token that has not expired yet
                if base is not None and base.access_token != stale and base.alive(now):
                    logger.warning(
                        "store %s: renewing the access token failed for now; the current one "
                        "is still valid and stays in use",
                        self.store,
                        extra={"action": "token_renewal_deferred", "store": self.store},
                    )
                    self._current = base
                    return base
                raise
            await slot.save(record)
            self._current = record
            self._refused = None
            self.grants += 1
            logger.info(
                "store %s: obtained a new %s (valid %s)",
                self.store,
                self.describe(),
                "until revoked"
                if record.expires_at is None
                else f"{record.expires_at - record.issued_at:.0f} s",
                extra={"action": "token_renewed", "store": self.store, "mode": record.mode},
            )
            return record

    async def grant(self, base: TokenRecord | None) -> TokenRecord:
        raise NotImplementedError

    async def _post(self, params: Mapping[str, Any], what: str) -> dict[str, Any]:
        """POST the token endpoint (JSON, as Shopify's own library sends it: correction 20)."""
        body = {"client_id": self._client_id, "client_secret": self._client_secret, **params}
        try:
            response = await self._http.post(
                self.token_url,
                content=json.dumps(body).encode(),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
            )
        except httpx.TimeoutException as exc:
            raise TransientError(
                f"store {self.store}: the token request ({what}) timed out",
                cause="timeout",
                hint="retried automatically",
            ) from exc
        except httpx.TransportError as exc:
            raise TransientError(
                f"store {self.store}: the token request ({what}) could not reach "
                f"{self.token_url}: {type(exc).__name__}",
                cause="network",
                hint="retried automatically",
            ) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code == 200 and isinstance(answer, dict) and answer.get("access_token"):
            return answer
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(
                f"store {self.store}: the token request ({what}) failed with HTTP "
                f"{response.status_code}",
                cause="token_endpoint_unavailable",
                hint="retried automatically",
            )
        error = str(answer.get("error", "")) if isinstance(answer, dict) else ""
        description = str(answer.get("error_description", "")) if isinstance(answer, dict) else ""
        raise self.refused(response.status_code, error, description)

    def refused(self, status: int, error: str, description: str) -> TerminalError:
        said = f"{error}: {description}" if description else error or "no error given"
        return TerminalError(
            f"store {self.store} ({self.shop_domain}): Shopify refused the token request "
            f"(HTTP {status}, {said})",
            cause="token_refused",
            hint=self.remedy(),
        )

    def record_from(self, answer: Mapping[str, Any], base: TokenRecord | None) -> TokenRecord:
        now = self.clock()
        expires_in = answer.get("expires_in")
        refresh_in = answer.get("refresh_token_expires_in")
        scope = answer.get("scope")
        return TokenRecord(
            access_token=str(answer["access_token"]),
            mode=self.mode,
            scopes=split_scopes(scope) if isinstance(scope, str) else (base.scopes if base else ()),
            issued_at=now,
            expires_at=now + float(expires_in) if isinstance(expires_in, int | float) else None,
            refresh_token=(
                str(answer["refresh_token"])
                if answer.get("refresh_token")
                else (base.refresh_token if base else None)
            ),
            refresh_expires_at=(
                now + float(refresh_in)
                if isinstance(refresh_in, int | float)
                else (base.refresh_expires_at if base else None)
            ),
        )


class ClientCredentialsProvider(RenewingTokenProvider):
    """Client credentials grant: apps of the store owner's organisation (§h, correction 20)."""

    mode = "client_credentials"

    def describe(self) -> str:
        return "client credentials token"

    def remedy(self) -> str:
        return (
            f"check client_id and client_secret of store {self.store} (the app's settings in the "
            "Shopify Dev Dashboard; a rotated secret must be updated here too) and that the app "
            f'is installed on {self.shop_domain}; then run "shopify-odoo check"'
        )

    def refused(self, status: int, error: str, description: str) -> TerminalError:
        if error == "shop_not_permitted":
            return TerminalError(
                f"store {self.store} ({self.shop_domain}): Shopify does not allow the client "
                "credentials grant on this shop (shop_not_permitted: the app and the store are "
                "not in the same organisation)",
                cause="token_refused",
                hint=f'install the connector with OAuth instead: set auth = "oauth" and '
                f"redirect_url for store {self.store}, open /auth/install?shop="
                f'{self.shop_domain} on the connector\'s web app, then run "shopify-odoo check"',
            )
        return super().refused(status, error, description)

    async def grant(self, base: TokenRecord | None) -> TokenRecord:
        answer = await self._post({"grant_type": "client_credentials"}, "client credentials")
        return self.record_from(answer, None)


class OAuthProvider(RenewingTokenProvider):
    """An OAuth installation's offline token, refreshed with its refresh token (§h)."""

    mode = "oauth"

    def __init__(self, *, initial: TokenRecord | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: the token given in the configuration, used when the state database has none
        self._initial = initial

    def describe(self) -> str:
        return "OAuth offline token"

    def install_hint(self) -> str:
        return (
            f"install the connector again on {self.shop_domain}: open /auth/install?shop="
            f"{self.shop_domain} on the connector's web app (or set access_token and "
            f'refresh_token of store {self.store}), then run "shopify-odoo check"'
        )

    def remedy(self) -> str:
        return f"the installation's tokens were refused (app uninstalled?): {self.install_hint()}"

    def can_renew(self, current: TokenRecord | None) -> bool:
        base = current or self._initial
        return base is not None and base.refresh_token is not None

    async def get_token(self) -> str:
        if self._current is None:
            async with self._lock:
                if self._current is None:
                    stored = await self.tokens.load()
                    if stored is None and self._initial is not None:
                        async with self.tokens.renewal() as slot:
                            if slot.current is None:
                                await slot.save(self._initial)
                            stored = slot.current or self._initial
                    if stored is None:
                        raise TerminalError(
                            f"store {self.store} ({self.shop_domain}) has no OAuth token yet: "
                            "the connector is not installed on it",
                            cause="not_installed",
                            hint=self.install_hint(),
                        )
                    self._current = stored
        return await super().get_token()

    async def grant(self, base: TokenRecord | None) -> TokenRecord:
        base = base or self._initial
        if base is None or base.refresh_token is None:
            raise TerminalError(
                f"store {self.store} ({self.shop_domain}): the OAuth offline token expired or "
                "was refused and there is no refresh token to renew it",
                cause="token_refused",
                hint=self.install_hint(),
            )
        if base.refresh_expires_at is not None and self.clock() >= base.refresh_expires_at:
            raise TerminalError(
                f"store {self.store} ({self.shop_domain}): the OAuth refresh token has expired",
                cause="token_refused",
                hint=self.install_hint(),
            )
        answer = await self._post(
            {"grant_type": "refresh_token", "refresh_token": base.refresh_token}, "refresh"
        )
        return self.record_from(answer, base)

    def refused(self, status: int, error: str, description: str) -> TerminalError:
        said = f"{error}: {description}" if description else error or "no error given"
        return TerminalError(
            f"store {self.store} ({self.shop_domain}): Shopify refused to refresh the OAuth "
            f"token (HTTP {status}, {said})",
            cause="token_refused",
            hint=self.install_hint(),
        )


class _CodeExchange(RenewingTokenProvider):
    mode = "oauth"

    def refused(self, status: int, error: str, description: str) -> TerminalError:
        said = f"{error}: {description}" if description else error or "no error given"
        return TerminalError(
            f"shop {self.shop_domain}: Shopify refused the authorization code (HTTP {status}, "
            f"{said})",
            cause="token_refused",
            hint=f"start the installation again at /auth/install?shop={self.shop_domain} "
            "(a code can be used once, shortly after it was issued); check client_id and "
            "client_secret of the store",
        )


async def exchange_code(
    *,
    token_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = time.time,
    store: str = "",
    shop_domain: str = "",
) -> TokenRecord:
    """Authorization code grant (install flow): the code for an expiring offline token (§h:
    offline tokens expire and come with a refresh token; ``expiring=1`` asks for that)."""
    exchange = _CodeExchange(
        store=store,
        shop_domain=shop_domain,
        token_url=token_url,
        client_id=client_id,
        client_secret=client_secret,
        transport=transport,
        clock=clock,
    )
    try:
        answer = await exchange._post({"code": code, "expiring": 1}, "authorization code")
        return exchange.record_from(answer, None)
    finally:
        await exchange.aclose()
