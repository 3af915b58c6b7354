"""A freshly upgraded state database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shopify_odoo.store import migrate
from shopify_odoo.store.database import Database, open_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite3'}"
    server, schema = request.getfixturevalue("pg_schema")
    return f"{server}?schema={schema}"


@pytest.fixture
def pg_url(pg_schema: tuple[str, str]) -> str:
    server, schema = pg_schema
    return f"{server}?schema={schema}"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    await migrate.upgrade(db_url)
    database = await open_database(db_url, pool_size=10)
    try:
        yield database
    finally:
        await database.dispose()
