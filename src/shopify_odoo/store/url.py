"""Database URLs: the forms a person may write, normalised to the async drivers we use.

``sqlite:///path`` and ``sqlite+aiosqlite:///path`` open a file with aiosqlite;
``postgresql://``, ``postgres://`` and ``postgresql+asyncpg://`` open PostgreSQL with asyncpg.
A ``?schema=name`` (or ``?search_path=name``) query option selects the PostgreSQL schema our
tables live in (tests use a private schema each).  Passwords never leave this module except
inside the engine: :func:`redact` is what messages show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from shopify_odoo.config.models import DEFAULT_DATABASE_URL as DEFAULT_DATABASE_URL
from shopify_odoo.errors import ConfigError

#: an SQLite path as messages show it: the file name of the embedded default
_SQLITE_EXAMPLE = "sqlite:///path/to/shopify-odoo.db"

Backend = Literal["sqlite", "postgresql"]

_SCHEMA_OPTIONS = ("schema", "search_path")


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed, normalised database URL."""

    url: URL
    backend: Backend
    #: PostgreSQL schema for our tables (``None``: the server's default search path)
    schema: str | None
    #: the URL as the person wrote it, password hidden: what messages show
    redacted: str


def redact(url: URL | str) -> str:
    """The URL as a person may see it: the password replaced by ``***``."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except ArgumentError:
            return "<unparseable database URL>"
    return url.render_as_string(hide_password=True)


def parse_database_url(raw: str) -> DatabaseUrl:
    """Normalise ``raw`` or raise :class:`ConfigError` naming the problem and the fix."""
    text = raw.strip()
    if not text:
        raise ConfigError(
            "The database URL is empty: set SHOPIFY_ODOO_DATABASE_URL or pass --database-url, "
            f'e.g. "{DEFAULT_DATABASE_URL}" or "postgresql://user@host:5432/dbname"'
        )
    try:
        url = make_url(text)
    except ArgumentError:
        raise ConfigError(
            f'The database URL "{redact(text)}" cannot be parsed: write it as '
            f'"{_SQLITE_EXAMPLE}" or "postgresql://user:password@host:5432/dbname"'
        ) from None
    backend_name, _, driver = url.drivername.partition("+")
    if backend_name == "sqlite":
        if driver not in ("", "pysqlite", "aiosqlite"):
            raise _unsupported(url)
        if url.database in (None, "", ":memory:"):
            raise ConfigError(
                f'The database URL "{redact(url)}" names no file: the state database must '
                f'outlive the process, write "{_SQLITE_EXAMPLE}"'
            )
        return DatabaseUrl(url.set(drivername="sqlite+aiosqlite"), "sqlite", None, redact(url))
    if backend_name in ("postgresql", "postgres"):
        if driver not in ("", "psycopg2", "psycopg", "asyncpg"):
            raise _unsupported(url)
        schema: str | None = None
        query = dict(url.query)
        for option in _SCHEMA_OPTIONS:
            value = query.pop(option, None)
            if value is not None:
                schema = value if isinstance(value, str) else value[0]
        if schema is not None and not schema.replace("_", "").isalnum():
            raise ConfigError(
                f'The database URL "{redact(url)}" asks for schema "{schema}": a schema name '
                "may hold only letters, digits and underscores"
            )
        shown = redact(url)
        url = url.set(drivername="postgresql+asyncpg", query=query)
        return DatabaseUrl(url, "postgresql", schema, shown)
    raise _unsupported(url)


def _unsupported(url: URL) -> ConfigError:
    return ConfigError(
        f'The database URL "{redact(url)}" uses "{url.drivername}", which is not supported: '
        f'use "{_SQLITE_EXAMPLE}" (embedded) or "postgresql://user@host/dbname"'
    )
