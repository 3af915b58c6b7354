"""Shopify access tokens in the state database (table ``shopify_tokens``), encrypted.

Token values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under the key from
``SHOPIFY_ODOO_TOKEN_KEY``; the database never holds a plain token.  ``token_renewal`` opens
the write transaction in which one process renews a store's token: on PostgreSQL it locks the
store's ``stores`` row (``FOR UPDATE``), on SQLite the transaction is ``BEGIN IMMEDIATE``
(database.py), so other processes wait and then read the renewed token instead of requesting
their own (one grant per expiry, and an OAuth refresh token is never spent twice).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.errors import ConfigError
from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import shopify_tokens, stores
from shopify_odoo.store.types import utcnow

log = logging.getLogger(__name__)

TOKEN_KEY_ENV = "SHOPIFY_ODOO_TOKEN_KEY"  # noqa: S105 (a variable name)
KEYGEN_HINT = (
    'generate one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)


class TokenCipher:
    """Encrypts token values with the configured key (never printed)."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.strip().encode())
        except (ValueError, TypeError):
            raise ConfigError(
                f"{TOKEN_KEY_ENV} is not a valid token encryption key (it must be 32 bytes in "
                f"URL-safe base64, 44 characters): {KEYGEN_HINT}, set it and start again",
                problems=[f"{TOKEN_KEY_ENV}: not a Fernet key"],
            ) from None

    def __repr__(self) -> str:
        return "TokenCipher(<hidden>)"

    def encrypt(self, value: str) -> bytes:
        return self._fernet.encrypt(value.encode())

    def decrypt(self, blob: bytes) -> str | None:
        """The plain value, or None when it was encrypted with another key."""
        try:
            return self._fernet.decrypt(bytes(blob)).decode()
        except InvalidToken:
            return None


@dataclass(frozen=True)
class StoredToken:
    mode: str
    access_token: str = field(repr=False)
    scopes: str
    expires_at: datetime | None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class TokenStatus:
    """What may be shown about a stored token: never its value."""

    store: str
    mode: str
    scopes: str
    expires_at: datetime | None
    has_refresh_token: bool
    refresh_expires_at: datetime | None
    updated_at: datetime


async def read_token(conn: AsyncConnection, cipher: TokenCipher, store: str) -> StoredToken | None:
    row = (
        await conn.execute(select(shopify_tokens).where(shopify_tokens.c.store == store))
    ).first()
    if row is None:
        return None
    access = cipher.decrypt(row.token_encrypted)
    if access is None:
        log.warning(
            "store %s: the stored access token cannot be decrypted with the current %s (the key "
            "was changed); a new token is requested",
            store,
            TOKEN_KEY_ENV,
            extra={"action": "token_undecryptable", "store": store},
        )
        return None
    refresh = (
        cipher.decrypt(row.refresh_token_encrypted)
        if row.refresh_token_encrypted is not None
        else None
    )
    return StoredToken(
        mode=row.mode,
        access_token=access,
        scopes=row.scopes,
        expires_at=row.expires_at,
        refresh_token=refresh,
        refresh_expires_at=row.refresh_expires_at,
        updated_at=row.updated_at,
    )


async def load_token(db: Database, cipher: TokenCipher, store: str) -> StoredToken | None:
    async with db.connect() as conn:
        return await read_token(conn, cipher, store)


async def write_token(
    conn: AsyncConnection, cipher: TokenCipher, store: str, token: StoredToken
) -> None:
    values = {
        "store": store,
        "mode": token.mode,
        "token_encrypted": cipher.encrypt(token.access_token),
        "expires_at": token.expires_at,
        "refresh_token_encrypted": (
            cipher.encrypt(token.refresh_token) if token.refresh_token is not None else None
        ),
        "refresh_expires_at": token.refresh_expires_at,
        "scopes": token.scopes,
        "updated_at": token.updated_at or utcnow(),
    }
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(shopify_tokens).values(**values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[shopify_tokens.c.store],
            set_={k: v for k, v in values.items() if k != "store"},
        )
    )


async def ensure_store_row(conn: AsyncConnection, store: str, shop_domain: str) -> None:
    """The ``stores`` row the token refers to (normally written by ``register_stores``)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    await conn.execute(
        insert(stores)
        .values(
            handle=store,
            shop_domain=shop_domain,
            api_version="2026-04",
            enabled=True,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[stores.c.handle])
    )


@asynccontextmanager
async def token_renewal(
    db: Database, store: str, shop_domain: str
) -> AsyncIterator[AsyncConnection]:
    """A write transaction that holds the store's renewal lock until it ends."""
    async with db.begin() as conn:
        await ensure_store_row(conn, store, shop_domain)
        if conn.dialect.name == "postgresql":
            await conn.execute(
                select(stores.c.handle).where(stores.c.handle == store).with_for_update()
            )
        yield conn


async def save_token(
    db: Database, cipher: TokenCipher, store: str, shop_domain: str, token: StoredToken
) -> None:
    """Store a token obtained outside a renewal (the OAuth install callback)."""
    async with token_renewal(db, store, shop_domain) as conn:
        await write_token(conn, cipher, store, token)


async def token_statuses(db: Database) -> dict[str, TokenStatus]:
    """Mode, scopes and expiry of every stored token (no decryption, no values)."""
    async with db.connect() as conn:
        rows = (await conn.execute(select(shopify_tokens))).all()
    return {
        r.store: TokenStatus(
            store=r.store,
            mode=r.mode,
            scopes=r.scopes,
            expires_at=r.expires_at,
            has_refresh_token=r.refresh_token_encrypted is not None,
            refresh_expires_at=r.refresh_expires_at,
            updated_at=r.updated_at,
        )
        for r in rows
    }


async def forget_token(db: Database, store: str) -> None:
    """Drop a store's token (app uninstalled)."""
    async with db.begin() as conn:
        await conn.execute(delete(shopify_tokens).where(shopify_tokens.c.store == store))
