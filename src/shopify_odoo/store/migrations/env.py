"""Alembic environment: runs on the connection handed over by :mod:`shopify_odoo.store.migrate`.

There is no alembic.ini: ``shopify-odoo db upgrade`` (or ``store.migrate.upgrade``) builds the
configuration in code and passes an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from shopify_odoo.store.tables import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "run migrations through `shopify-odoo db upgrade`, which supplies the connection"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
