"""Upgrading an empty database gives exactly the tables of the code (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from shopify_odoo.errors import ConfigError
from shopify_odoo.store import migrate
from shopify_odoo.store.database import open_database
from shopify_odoo.store.tables import metadata


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite3'}"
    server, schema = request.getfixturevalue("pg_schema")
    return f"{server}?schema={schema}"


async def test_upgrade_of_empty_database_matches_code(empty_url: str) -> None:
    revision = await migrate.upgrade(empty_url)
    assert revision == migrate.head_revision()
    db = await open_database(empty_url)
    try:
        async with db.connect() as conn:
            assert await conn.run_sync(_diff) == []
            tables = await conn.run_sync(_tables)
        assert tables == set(metadata.tables) | {"alembic_version"}
        # a second upgrade is a no-op
        assert await migrate.upgrade(empty_url) == revision
        await migrate.require_current(db)
    finally:
        await db.dispose()


async def test_the_check_notices_a_missing_table(empty_url: str) -> None:
    """The comparison is not vacuous: drop a table and a column and it reports both."""
    await migrate.upgrade(empty_url)
    db = await open_database(empty_url)
    try:
        async with db.begin() as conn:
            await conn.exec_driver_sql("DROP TABLE metric_events")
            await conn.exec_driver_sql("ALTER TABLE poll_cursors DROP COLUMN updated_at")
        async with db.connect() as conn:
            diff = await conn.run_sync(_diff)
        flat = [d if isinstance(d, tuple) else d[0] for d in diff]
        assert any(d[0] == "add_table" and d[1].name == "metric_events" for d in flat)
        assert any(
            d[0] == "add_column" and (d[2], d[3].name) == ("poll_cursors", "updated_at")
            for d in flat
        )
        assert all(d[0] in ("add_table", "add_column", "add_index") for d in flat)
    finally:
        await db.dispose()


async def test_require_current_names_the_fix_on_an_empty_database(empty_url: str) -> None:
    db = await open_database(empty_url)
    try:
        with pytest.raises(ConfigError, match='run "shopify-odoo db upgrade"'):
            await migrate.require_current(db)
    finally:
        await db.dispose()
