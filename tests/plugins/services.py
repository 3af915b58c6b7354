"""Fixtures for external services: PostgreSQL (and the browser for e2e tests)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

PG_URL_DEFAULT = "postgresql://127.0.0.1:5432/test"
CHROMIUM = Path("/usr/bin/chromium")


def services_required() -> bool:
    return os.environ.get("SHOPIFY_ODOO_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``, or fail when CI requires every service."""
    if services_required():
        pytest.fail(f"{reason} (SHOPIFY_ODOO_REQUIRE_SERVICES=1: CI must run this test)")
    pytest.skip(reason)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """URL of the PostgreSQL server for tests (``postgresql://…``, no driver suffix)."""
    url = os.environ.get("SHOPIFY_ODOO_TEST_PG_URL", PG_URL_DEFAULT)
    parts = urlsplit(url)
    if not _reachable(parts.hostname or "127.0.0.1", parts.port or 5432):
        skip_or_fail(f"PostgreSQL is not reachable at {parts.hostname}:{parts.port or 5432}")
    return url


@pytest.fixture
def pg_schema(pg_server_url: str) -> Iterator[tuple[str, str]]:
    """A fresh, empty PostgreSQL schema for one test: yields ``(server_url, schema_name)``.

    Tests run in parallel against the one ``test`` database, so each gets its own schema and
    drops it afterwards.
    """
    import asyncio

    import asyncpg

    schema = f"t_{uuid.uuid4().hex[:12]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(pg_server_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE SCHEMA "{schema}"'))
    try:
        yield pg_server_url, schema
    finally:
        asyncio.run(run(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        skip_or_fail(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Folder for test artefacts (screenshots); printed so a person can find them."""
    path = Path(os.environ.get("SHOPIFY_ODOO_ARTIFACTS", "test-artifacts")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    print(f"\ntest artefacts: {path}")
    return path
