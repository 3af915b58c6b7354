"""Schema migrations: ``upgrade(url)`` brings a state database to the code's tables.

The Alembic scripts live in this package (``store/migrations``) so an installed wheel can
upgrade a database without a checkout.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from shopify_odoo.errors import ConfigError
from shopify_odoo.store.database import Database, connection_error, open_database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade_database(db: Database, revision: str = "head") -> str:
    """Upgrade ``db`` to ``revision``; returns the revision it is at afterwards."""
    try:
        async with db.begin() as conn:
            await conn.run_sync(_upgrade, revision)
        async with db.connect() as conn:
            current = await conn.run_sync(_current)
    except ConfigError:
        raise
    except OSError as exc:
        raise connection_error(db.url, exc) from None
    return current or "base"


async def current_revision(db: Database) -> str | None:
    async with db.connect() as conn:
        return await conn.run_sync(_current)


async def upgrade(url: str, revision: str = "head") -> str:
    """Open ``url``, upgrade it to ``revision`` and close it; returns the revision reached."""
    db = await open_database(url, pool_size=1)
    try:
        return await upgrade_database(db, revision)
    finally:
        await db.dispose()


async def require_current(db: Database) -> None:
    """Raise :class:`ConfigError` unless the database is at the code's head revision."""
    current = await current_revision(db)
    head = head_revision()
    if current != head:
        raise ConfigError(
            f'The state database "{db.redacted_url}" is at revision {current or "none (empty)"}, '
            f'the code needs {head}: run "shopify-odoo db upgrade"'
        )
