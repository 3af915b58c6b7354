"""Value types of the configuration: durations, slugs, URLs, domains, secrets.

Each parser raises ``PydanticCustomError("config", ...)`` with the message and the fix in its
context, so the loader can turn it into a ``Problem`` without guessing.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, SecretStr
from pydantic_core import PydanticCustomError

from .problems import show


def bad(message: str, fix: str) -> PydanticCustomError:
    return PydanticCustomError("config", "{message}. {fix}", {"message": message, "fix": fix})


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string like ``"90"``, ``"90s"``, ``"15m"``, ``"1h30m"``."""
    fix = 'Give seconds as a number (e.g. 300) or a string like "30s", "15m", "1h", "1h30m"'
    if isinstance(value, bool):
        raise bad(f"{show(value)} is not a duration", fix)
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        try:
            seconds = float(text)
        except ValueError:
            parts = _DURATION_PART.findall(text)
            if not parts or "".join(n + u for n, u in parts) != text:
                raise bad(f"{show(value)} is not a duration", fix) from None
            seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    else:
        raise bad(f"{show(value)} is not a duration", fix)
    if not math.isfinite(seconds) or seconds <= 0:
        raise bad(f"{show(value)} must be a finite number of seconds above zero", fix)
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def parse_handle(value: Any) -> str:
    if not isinstance(value, str):
        raise bad(
            f"{show(value)} is not a text handle", 'Use a short slug like "eu" or "us-retail"'
        )
    if not _SLUG.match(value):
        suggestion = re.sub(r"[^a-z0-9-]+", "-", value.strip().lower()).strip("-")[:40]
        fix = "Use lowercase letters, digits and dashes (at most 40), starting and ending with "
        fix += "a letter or digit"
        if suggestion and _SLUG.match(suggestion):
            fix += f', e.g. "{suggestion}"'
        raise bad(f"{show(value)} is not a valid handle", fix)
    return value


Handle = Annotated[str, BeforeValidator(parse_handle)]


def parse_http_url(value: Any) -> str:
    """An http(s) base URL without a trailing slash."""
    fix = 'Give a full base URL with scheme, e.g. "https://mycompany.odoo.com"'
    if not isinstance(value, str) or not value.strip():
        raise bad(f"{show(value)} is not a URL", fix)
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad(f"{show(redact_url(text))} is not an http(s) URL", fix)
    if parts.query or parts.fragment:
        raise bad(f"{show(redact_url(text))} has a query or fragment", "Give the base URL only")
    return text.rstrip("/")


HttpUrl = Annotated[str, BeforeValidator(parse_http_url)]

_MYSHOPIFY = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")


def normalise_shop_domain(value: Any) -> str:
    """``"https://Acme.myshopify.com/"`` becomes ``"acme.myshopify.com"``; host shape checked.

    Whether a non-myshopify host is allowed depends on ``admin_url`` and is checked later.
    """
    fix = 'Use the store\'s permanent domain, e.g. "acme.myshopify.com"'
    if not isinstance(value, str) or not value.strip():
        raise bad(f"{show(value)} is not a shop domain", fix)
    text = value.strip().lower()
    if "://" in text:
        text = urlsplit(text).netloc
    text = text.rstrip("/")
    if not _HOST.match(text):
        raise bad(f"{show(value)} is not a shop domain", fix)
    return text


ShopDomain = Annotated[str, BeforeValidator(normalise_shop_domain)]


def is_myshopify(domain: str) -> bool:
    return bool(_MYSHOPIFY.match(domain))


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


#: A secret; an empty string counts as not set (templates and env files leave them blank).
Secret = Annotated[SecretStr | None, BeforeValidator(_blank_to_none)]
OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]

_VERSION = re.compile(r"^(\d{4})-(01|04|07|10)$")


def parse_api_version(value: Any) -> str:
    fix = 'Use a quarterly version "YYYY-MM" (01, 04, 07 or 10), normally "2026-04"'
    if isinstance(value, str) and (_VERSION.match(value) or value == "unstable"):
        return value
    raise bad(f"{show(value)} is not a Shopify API version", fix)


ApiVersion = Annotated[str, BeforeValidator(parse_api_version)]


def redact_url(url: str) -> str:
    """The URL with any password in its user-info part replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{user}:***@{host}{port}"
    return parts._replace(netloc=netloc).geturl()


_DB_SCHEMES = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}


def normalise_database_url(value: Any) -> str:
    """An async SQLAlchemy URL: PostgreSQL via asyncpg, SQLite via aiosqlite.

    A value without ``://`` is a path to an SQLite file (relative to the working directory).
    """
    fix = (
        'Use "sqlite+aiosqlite:///path/to/file.db", a file path, or '
        '"postgresql://user@host:5432/dbname"'
    )
    if not isinstance(value, str) or not value.strip():
        raise bad(f"{show(value)} is not a database URL", fix)
    text = value.strip()
    if "://" not in text:
        return f"sqlite+aiosqlite:///{text}"
    scheme, rest = text.split("://", 1)
    driver = _DB_SCHEMES.get(scheme.lower())
    if driver is None:
        raise bad(f"the database scheme {show(scheme)} is not supported", fix)
    return f"{driver}://{rest}"


DatabaseUrl = Annotated[str, BeforeValidator(normalise_database_url)]


def one_or_many(value: Any) -> Any:
    """A single string where a list is expected becomes a one-item list."""
    if isinstance(value, str):
        return [value]
    return value
