"""Shopify credentials of the configured stores: token providers wired to the state database,
and the per-store credential report of ``shopify-odoo check``.

``token_provider(store, db=..., cipher=...)`` picks the provider of the store's credential mode
(fact sheet §h): a static token, the client credentials grant, or an OAuth installation whose
tokens are kept, encrypted, in ``shopify_tokens`` (``store/tokens.py``) and shared by every
worker and process (one renewal per expiry).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from shopify_odoo.config import Settings, StoreSettings
from shopify_odoo.config.credentials import MODE_LABEL, token_key_problem
from shopify_odoo.errors import ConfigError, ShopifyOdooError
from shopify_odoo.shopify.auth import (
    NEEDED_SCOPES,
    ClientCredentialsProvider,
    MemoryTokenStore,
    OAuthProvider,
    RenewalSlot,
    RenewingTokenProvider,
    StaticTokenProvider,
    TokenProvider,
    TokenRecord,
    missing_scopes,
    split_scopes,
)
from shopify_odoo.shopify.transport import ShopifyGraphQL
from shopify_odoo.store.database import Database
from shopify_odoo.store.tokens import (
    StoredToken,
    TokenCipher,
    read_token,
    save_token,
    token_renewal,
    write_token,
)


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _ts(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def to_stored(record: TokenRecord) -> StoredToken:
    return StoredToken(
        mode=record.mode,
        access_token=record.access_token,
        scopes=",".join(record.scopes),
        expires_at=_dt(record.expires_at),
        refresh_token=record.refresh_token,
        refresh_expires_at=_dt(record.refresh_expires_at),
        updated_at=_dt(record.issued_at) if record.issued_at else None,
    )


def to_record(stored: StoredToken) -> TokenRecord:
    return TokenRecord(
        access_token=stored.access_token,
        mode=stored.mode,
        scopes=split_scopes(stored.scopes),
        issued_at=_ts(stored.updated_at) or 0.0,
        expires_at=_ts(stored.expires_at),
        refresh_token=stored.refresh_token,
        refresh_expires_at=_ts(stored.refresh_expires_at),
    )


@dataclass
class _DbSlot:
    store: DbTokenStore
    conn: object
    _current: TokenRecord | None

    @property
    def current(self) -> TokenRecord | None:
        return self._current

    async def save(self, record: TokenRecord) -> None:
        from sqlalchemy.ext.asyncio import AsyncConnection

        assert isinstance(self.conn, AsyncConnection)
        await write_token(self.conn, self.store.cipher, self.store.handle, to_stored(record))
        self._current = record


class DbTokenStore:
    """``TokenStore`` over the state database: one row per store, encrypted values."""

    def __init__(
        self, db: Database, cipher: TokenCipher, handle: str, shop_domain: str, mode: str
    ) -> None:
        self.db = db
        self.cipher = cipher
        self.handle = handle
        self.shop_domain = shop_domain
        self.mode = mode

    def _usable(self, stored: StoredToken | None) -> TokenRecord | None:
        # a token of another mode (the configuration changed) is not reused
        if stored is None or stored.mode != self.mode:
            return None
        return to_record(stored)

    async def load(self) -> TokenRecord | None:
        async with self.db.connect() as conn:
            return self._usable(await read_token(conn, self.cipher, self.handle))

    @asynccontextmanager
    async def _renewal(self) -> AsyncIterator[RenewalSlot]:
        async with token_renewal(self.db, self.handle, self.shop_domain) as conn:
            current = self._usable(await read_token(conn, self.cipher, self.handle))
            yield _DbSlot(self, conn, current)

    def renewal(self) -> AbstractAsyncContextManager[RenewalSlot]:
        return self._renewal()


def token_cipher(settings: Settings, handles: list[str] | None = None) -> TokenCipher | None:
    """The cipher of ``SHOPIFY_ODOO_TOKEN_KEY``; a ConfigError when a store needs it unset."""
    problem = token_key_problem(settings, handles)
    if problem is not None:
        raise ConfigError(str(problem), problems=[str(problem)])
    if settings.token_key is None:
        return None
    return TokenCipher(settings.token_key.get_secret_value())


def token_provider(
    store: StoreSettings,
    *,
    db: Database | None = None,
    cipher: TokenCipher | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.time,
    in_memory: bool = False,
) -> TokenProvider:
    """The token source of ``store`` for its credential mode (fact sheet §h).

    ``in_memory``: tokens of client credentials / OAuth stores are kept in this process only
    (``check`` before the database is ready); otherwise ``db`` and ``cipher`` are needed."""
    mode = store.credential_mode
    if mode == "access_token" and store.access_token is not None:
        return StaticTokenProvider(
            store.access_token.get_secret_value(),
            store=store.handle,
            shop_domain=store.shop_domain,
        )
    if mode in ("client_credentials", "oauth"):
        if not in_memory and (db is None or cipher is None):
            raise ConfigError(
                f'Store "{store.handle}" ({store.shop_domain}) uses {MODE_LABEL[mode]}, whose '
                "tokens are kept encrypted in the state database: open the database and set "
                "SHOPIFY_ODOO_TOKEN_KEY, then run the command again"
            )
        if store.client_id is None or store.client_secret is None:
            raise ConfigError(
                f'Store "{store.handle}": {MODE_LABEL[mode]} needs client_id and client_secret; '
                'set them and run "shopify-odoo check"'
            )
        common = {
            "store": store.handle,
            "shop_domain": store.shop_domain,
            "token_url": store.token_url,
            "client_id": store.client_id,
            "client_secret": store.client_secret.get_secret_value(),
            "tokens": (
                MemoryTokenStore()
                if db is None or cipher is None
                else DbTokenStore(db, cipher, store.handle, store.shop_domain, mode)
            ),
            "transport": transport,
            "clock": clock,
        }
        if mode == "client_credentials":
            return ClientCredentialsProvider(**common)  # type: ignore[arg-type]
        initial = None
        if store.access_token is not None:
            initial = TokenRecord(
                access_token=store.access_token.get_secret_value(),
                mode="oauth",
                issued_at=clock(),
                refresh_token=(
                    store.refresh_token.get_secret_value() if store.refresh_token else None
                ),
            )
        return OAuthProvider(initial=initial, **common)
    raise ConfigError(
        f'Store "{store.handle}" ({store.shop_domain}) has no usable Admin API credentials '
        f"(mode {mode or 'none'!r}): set access_token, or client_id and client_secret, and run "
        '"shopify-odoo check"'
    )


async def store_installed_token(
    settings: Settings, db: Database, store: StoreSettings, record: TokenRecord
) -> None:
    """Keep the tokens of a fresh OAuth installation (the install callback)."""
    cipher = token_cipher(settings, [store.handle])
    assert cipher is not None
    await save_token(db, cipher, store.handle, store.shop_domain, to_stored(record))


# -- the credential report of ``check`` ---------------------------------------------------


@dataclass(frozen=True)
class CredentialReport:
    store: str
    mode: str
    ok: bool
    detail: str  # what happened, for people; never a token value
    expires_at: datetime | None = None
    granted: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    scopes_known: bool = False
    hint: str | None = None


async def credential_report(
    settings: Settings,
    store: StoreSettings,
    *,
    db: Database | None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CredentialReport:
    """Obtain (or reuse) the store's token, call the Admin API once, compare scopes.

    Without ``db`` or without the token key, a client credentials or OAuth token is obtained
    for this report only (the missing database or key is the caller's to report)."""
    from shopify_odoo.shopify.client import ShopifyClient

    mode = store.credential_mode or "none"
    try:
        cipher = None
        if mode in ("client_credentials", "oauth") and settings.token_key is not None:
            cipher = TokenCipher(settings.token_key.get_secret_value())
        provider = token_provider(store, db=db, cipher=cipher, transport=transport, in_memory=True)
    except ShopifyOdooError as exc:
        return CredentialReport(store.handle, mode, False, exc.message, hint=exc.hint)
    client = ShopifyClient(
        store.handle,
        store.shop_domain,
        provider,
        admin_url=store.admin_url,
        api_version=store.api_version,
        transport=transport,
    )
    try:
        shop = await client.shop()
        granted = await _granted_scopes(client)
    except ShopifyOdooError as exc:
        return CredentialReport(store.handle, mode, False, exc.message, hint=exc.hint)
    finally:
        await client.aclose()
    record = provider.current if isinstance(provider, RenewingTokenProvider) else None
    if granted is None and record is not None and record.scopes:
        granted = record.scopes  # the grant's answer said which scopes the token has
    return CredentialReport(
        store.handle,
        mode,
        True,
        f"token accepted by {shop.name}",
        expires_at=_dt(record.expires_at) if record else None,
        granted=granted or (),
        missing=tuple(missing_scopes(granted)) if granted is not None else (),
        scopes_known=granted is not None,
    )


async def _granted_scopes(client: ShopifyGraphQL) -> tuple[str, ...] | None:
    """``currentAppInstallation.accessScopes``: the scopes of the token in use (any mode)."""
    data = await client.execute("app_installation")
    installation = data.get("currentAppInstallation")
    if not isinstance(installation, dict):
        return None
    scopes = installation.get("accessScopes")
    if not isinstance(scopes, list):
        return None
    return tuple(str(s["handle"]) for s in scopes if isinstance(s, dict) and s.get("handle"))


__all__ = [
    "NEEDED_SCOPES",
    "CredentialReport",
    "DbTokenStore",
    "credential_report",
    "store_installed_token",
    "token_cipher",
    "token_provider",
]
