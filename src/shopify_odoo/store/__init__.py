"""State database: SQLAlchemy Core tables, Alembic migrations, repositories."""

from shopify_odoo.store.database import Database, create_database, open_database
from shopify_odoo.store.url import DEFAULT_DATABASE_URL, parse_database_url, redact

__all__ = [
    "DEFAULT_DATABASE_URL",
    "Database",
    "create_database",
    "open_database",
    "parse_database_url",
    "redact",
]
