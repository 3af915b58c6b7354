"""``shopify-odoo db upgrade``: bring the state database to the code's tables.

The database URL comes from ``--database-url`` or ``SHOPIFY_ODOO_DATABASE_URL`` when given,
else from the configuration (``database_url``, default: a SQLite file in the working folder).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import typer

from shopify_odoo.store import migrate, redact
from shopify_odoo.store.database import Database, open_database

from .app import app, current_settings, stdout

DATABASE_URL_ENV = "SHOPIFY_ODOO_DATABASE_URL"

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar=DATABASE_URL_ENV,
        help="State database URL (default: database_url of the configuration).",
        show_default=False,
        show_envvar=True,
    ),
]

db_app = typer.Typer(help="The state database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def database_url(option: str | None) -> str:
    """The URL to open: the option/environment when set, else the configuration's."""
    if option:
        return option
    return current_settings().database_url


@asynccontextmanager
async def opened(option: str | None, *, require_current: bool = True) -> AsyncIterator[Database]:
    """The state database, checked to answer and (by default) to be upgraded."""
    db = await open_database(database_url(option))
    try:
        if require_current:
            await migrate.require_current(db)
        yield db
    finally:
        await db.dispose()


@db_app.command("upgrade")
def upgrade(url: DatabaseUrlOption = None) -> None:
    """Create or upgrade the state database's tables (safe to run again)."""
    target = database_url(url)
    revision = asyncio.run(migrate.upgrade(target))
    stdout().print(f"State database {redact(target)} is at revision {revision} (current).")


@db_app.command("current")
def current(url: DatabaseUrlOption = None) -> None:
    """Show the state database's revision and the one this version of the code needs."""

    async def run() -> tuple[str | None, str]:
        async with opened(url, require_current=False) as db:
            return await migrate.current_revision(db), migrate.head_revision()

    revision, head = asyncio.run(run())
    state = "current" if revision == head else 'out of date: run "shopify-odoo db upgrade"'
    stdout().print(f"revision {revision or 'none (empty database)'}, code needs {head}: {state}")
