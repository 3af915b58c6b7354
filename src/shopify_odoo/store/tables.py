"""Every table of the state database, as SQLAlchemy Core metadata.

The Alembic migrations in ``migrations/`` must produce exactly these tables; a test compares
an upgraded empty database with this metadata on SQLite and PostgreSQL.  Change both together
(``alembic revision --autogenerate`` against an upgraded database gives the draft).

Store handles are the stores' natural keys (short, stable, chosen in the configuration).  Shopify
ids are kept as GID text (``gid://shopify/ProductVariant/1``); Odoo ids as integers.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from shopify_odoo.store.types import UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# SQLite maps BigInteger primary keys to a non-rowid column; Integer on SQLite keeps the rowid.
Id = BigInteger().with_variant(Integer(), "sqlite")


def _store_fk(nullable: bool = False) -> Column[str]:
    return Column(
        "store",
        String(64),
        ForeignKey("stores.handle", ondelete="CASCADE"),
        nullable=nullable,
    )


stores = Table(
    "stores",
    metadata,
    Column("handle", String(64), primary_key=True),
    Column("shop_domain", String(255), nullable=False, unique=True),
    Column("api_version", String(16), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

location_map = Table(
    "location_map",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _store_fk(),
    Column("shopify_location_gid", String(128), nullable=True),
    Column("shopify_location_name", String(255), nullable=False),
    Column("location_type", String(32), nullable=False),
    Column("odoo_warehouse", String(255), nullable=True),
    Column("odoo_location_ids", JSON, nullable=False),
    Column("company_id", Integer, nullable=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("direction", String(32), nullable=False),
    Column("buffer", Numeric(18, 4), nullable=False, default=0),
    Column("pool", String(64), nullable=True),
    Column("notes", Text, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    #: rows saved from the dashboard (they override the configuration's row of that location)
    Column("excluded", Boolean, nullable=False, default=False, server_default=text("false")),
    Column("fulfilled_by", String(16), nullable=True),
    UniqueConstraint("store", "shopify_location_name"),
    UniqueConstraint("store", "shopify_location_gid"),
)

product_links = Table(
    "product_links",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _store_fk(),
    Column("odoo_product_id", Integer, nullable=False),
    Column("product_gid", String(128), nullable=True),
    Column("variant_gid", String(128), nullable=False),
    Column("inventory_item_gid", String(128), nullable=True),
    #: SKU and barcode as they were when the link was made (a later SKU edit keeps the link)
    Column("sku", String(255), nullable=True),
    Column("barcode", String(255), nullable=True),
    Column("matched_by", String(16), nullable=False),  # sku | barcode | manual
    Column("status", String(16), nullable=False),  # linked | stale | broken
    Column("linked_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("store", "variant_gid"),
    UniqueConstraint("store", "odoo_product_id"),
    Index(None, "store", "inventory_item_gid"),
    Index(None, "odoo_product_id"),
)

order_links = Table(
    "order_links",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _store_fk(),
    Column("shopify_order_gid", String(128), nullable=False),
    Column("order_name", String(64), nullable=True),
    Column("sale_order_id", Integer, nullable=True),
    Column("state", String(16), nullable=False),  # pending | imported | parked | cancelled
    Column("parked_reason", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    #: sale.order.line id (text) → our line key (``item:<gid>``, ``disc:…``, ``ship:…``)
    Column("line_keys", JSON, nullable=True),
    #: Odoo pickings already reflected in Shopify (fulfilled, or validated from Shopify)
    Column("pickings", JSON, nullable=True),
    UniqueConstraint("store", "shopify_order_gid"),
    Index(None, "state"),
)

webhook_inbox = Table(
    "webhook_inbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    #: X-Shopify-Webhook-Id: at-least-once delivery, stored once
    Column("delivery_id", String(128), nullable=False, unique=True),
    _store_fk(),
    Column("topic", String(64), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("triggered_at", UtcDateTime, nullable=True),
    Column("body", LargeBinary, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # received | processed | unparseable
    Column("processed_at", UtcDateTime, nullable=True),
    Column("parse_error", Text, nullable=True),
    Index(None, "state", "received_at"),
)

queue_lanes = Table(
    "queue_lanes",
    metadata,
    Column("lane", String(64), primary_key=True),
    Column("paused_until", UtcDateTime, nullable=True),
    Column("pause_reason", Text, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

JOB_ACTIVE_STATES = ("pending", "running")

jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("key", String(512), nullable=False),
    Column("lane", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # pending | running | dead
    Column("priority", Integer, nullable=False),
    Column("not_before", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("lease_token", String(64), nullable=True),
    Column("lease_expires_at", UtcDateTime, nullable=True),
    #: re-enqueued while running: run again after this run, not concurrently
    Column("rerun", Boolean, nullable=False),
    Column("rerun_not_before", UtcDateTime, nullable=True),
    Column("rerun_priority", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_error_kind", String(16), nullable=True),  # transient | terminal | lease
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # one pending-or-running row per key: duplicates coalesce into it
    Index(
        "uq_jobs_active_kind_key",
        "kind",
        "key",
        unique=True,
        sqlite_where=text("state IN ('pending', 'running')"),
        postgresql_where=text("state IN ('pending', 'running')"),
    ),
    Index(
        "ix_jobs_running_lease",
        "lease_expires_at",
        sqlite_where=text("state = 'running'"),
        postgresql_where=text("state = 'running'"),
    ),
    Index(None, "state", "lane"),
)

# the lease order within a lane: highest priority first, then oldest
Index(
    "ix_jobs_pending_lane",
    jobs.c.lane,
    jobs.c.priority.desc(),
    jobs.c.not_before,
    jobs.c.id,
    sqlite_where=text("state = 'pending'"),
    postgresql_where=text("state = 'pending'"),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("job_id", BigInteger, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("key", String(512), nullable=False),
    Column("lane", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    #: done | retry | dead | lease_expired | released
    Column("outcome", String(16), nullable=False),
    #: the remote status behind the outcome when there was one ("HTTP 429", "THROTTLED")
    Column("status", String(64), nullable=True),
    Column("duration_ms", Float, nullable=True),
    Column("error", Text, nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Index(None, "job_id"),
    Index(None, "at"),
)

errors_for_people = Table(
    "errors_for_people",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    #: store handle, or "" for problems that belong to no one store (Odoo, configuration)
    Column("store", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("key", String(512), nullable=False),
    Column("cause", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("next_step", Text, nullable=True),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("count", Integer, nullable=False),
    Column("resolved", Boolean, nullable=False),
    Column("resolved_at", UtcDateTime, nullable=True),
    UniqueConstraint("store", "kind", "key"),
    Index(None, "resolved", "last_seen"),
)

poll_cursors = Table(
    "poll_cursors",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

metric_events = Table(
    "metric_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("store", String(64), nullable=True),
    Column("value", Float, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index(None, "kind", "at"),
)

shopify_tokens = Table(
    "shopify_tokens",
    metadata,
    Column(
        "store",
        String(64),
        ForeignKey("stores.handle", ondelete="CASCADE"),
        primary_key=True,
    ),
    #: client_credentials | oauth | static
    Column("mode", String(32), nullable=False),
    #: encrypted with the key from the environment; never the plain token
    Column("token_encrypted", LargeBinary, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("refresh_token_encrypted", LargeBinary, nullable=True),
    Column("refresh_expires_at", UtcDateTime, nullable=True),
    Column("scopes", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

rate_budgets = Table(
    "rate_budgets",
    metadata,
    Column("store", String(64), ForeignKey("stores.handle", ondelete="CASCADE"), primary_key=True),
    Column("points_available", Float, nullable=False),
    Column("restore_rate", Float, nullable=False),
    Column("maximum", Float, nullable=False),
    Column("throttled_until", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

stock_pushes = Table(
    "stock_pushes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _store_fk(),
    Column("inventory_item_gid", String(128), nullable=False),
    Column("location_gid", String(128), nullable=False),
    #: the ``available`` we last wrote, and the changeFromQuantity we wrote it over
    Column("last_available", Integer, nullable=False),
    Column("change_from", Integer, nullable=True),
    Column("idempotency_key", String(128), nullable=True),
    Column("outcome", String(16), nullable=False),  # applied | stale | failed
    Column("at", UtcDateTime, nullable=False),
    UniqueConstraint("store", "inventory_item_gid", "location_gid"),
)

inflight_lines = Table(
    "inflight_lines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _store_fk(),
    Column("shopify_order_gid", String(128), nullable=False),
    Column("line_gid", String(128), nullable=False),
    Column("odoo_product_id", Integer, nullable=True),
    Column("sku", String(255), nullable=True),
    Column("pool", String(64), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("state", String(16), nullable=False),  # open | confirmed | cancelled
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("store", "shopify_order_gid", "line_gid"),
    Index(None, "pool", "state"),
)

#: the stock planner's ledger state (sync/ledger.py), one JSON value per entry: ``order`` =
#: one order's observations restricted to one product (ident ``store|order|product``), ``drop``
#: = one unexplained drop (ident ``store|item|location|at``), ``mark`` = one level's mark (ident
#: ``store|item|location``).  Written by engine/ledger_store.py under the product's stock key.
stock_ledger = Table(
    "stock_ledger",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("ident", String(512), nullable=False),
    Column("product_id", Integer, nullable=True),
    Column("data", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("kind", "ident"),
    Index(None, "product_id", "kind"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(512), nullable=True),
    Column("detail", JSON, nullable=True),
    Index(None, "at"),
)

#: dashboard login failures per client address, shared by every web process (engine/
#: dashboard_access.py): ``failures`` counted since ``window_start``; ``locked_until`` set when
#: they reach the limit.  No password or token is ever stored here.
dashboard_login_failures = Table(
    "dashboard_login_failures",
    metadata,
    Column("client", String(128), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", UtcDateTime, nullable=False),
    Column("locked_until", UtcDateTime, nullable=True),
    Index(None, "window_start"),
)

#: dashboard sessions ended by logout: the SHA-256 of the session's nonce (never the cookie),
#: kept until the session would have expired anyway
dashboard_revoked_sessions = Table(
    "dashboard_revoked_sessions",
    metadata,
    Column("nonce_hash", String(64), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "expires_at"),
)

#: the catalogues as the dashboard's product-links page last read them, searched and paged in
#: the database (engine/dashboard_stock.py): ``kind`` variant (``store``, ``ref`` = variant GID),
#: product (``ref`` = ``product_id`` as text) or problem (``ref`` = its position); ``search`` is
#: the casefolded text a search matches.  Whether a variant is linked is read from
#: ``product_links``, never from here.
link_catalog = Table(
    "link_catalog",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("store", String(64), nullable=True),
    Column("ref", String(255), nullable=False),
    Column("product_id", Integer, nullable=True),
    Column("sku", String(255), nullable=True),
    Column("barcode", String(255), nullable=True),
    Column("name", Text, nullable=True),
    Column("search", Text, nullable=False),
    Column("detail", JSON, nullable=True),
    Column("read_at", UtcDateTime, nullable=False),
    Index(None, "kind", "store", "ref"),
    Index(None, "kind", "product_id"),
)
