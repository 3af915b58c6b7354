"""initial tables

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 09:45:49.568751
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("lane", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
    )
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attempts_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_attempts_job_id"), ["job_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=512), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "errors_for_people",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("cause", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_errors_for_people")),
        sa.UniqueConstraint(
            "store", "kind", "key", name=op.f("uq_errors_for_people_store_kind_key")
        ),
    )
    with op.batch_alter_table("errors_for_people", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_errors_for_people_resolved_last_seen"),
            ["resolved", "last_seen"],
            unique=False,
        )

    op.create_table(
        "jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("lane", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("lease_token", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rerun", sa.Boolean(), nullable=False),
        sa.Column("rerun_not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rerun_priority", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_kind", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_jobs_pending_lane",
            ["lane", sa.literal_column("priority DESC"), "not_before", "id"],
            unique=False,
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"),
        )
        batch_op.create_index(
            "ix_jobs_running_lease",
            ["lease_expires_at"],
            unique=False,
            sqlite_where=sa.text("state = 'running'"),
            postgresql_where=sa.text("state = 'running'"),
        )
        batch_op.create_index(batch_op.f("ix_jobs_state_lane"), ["state", "lane"], unique=False)
        batch_op.create_index(
            "uq_jobs_active_kind_key",
            ["kind", "key"],
            unique=True,
            sqlite_where=sa.text("state IN ('pending', 'running')"),
            postgresql_where=sa.text("state IN ('pending', 'running')"),
        )

    op.create_table(
        "metric_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("store", sa.String(length=64), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_events")),
    )
    with op.batch_alter_table("metric_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_metric_events_kind_at"), ["kind", "at"], unique=False)

    op.create_table(
        "poll_cursors",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_poll_cursors")),
    )
    op.create_table(
        "queue_lanes",
        sa.Column("lane", sa.String(length=64), nullable=False),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pause_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lane", name=op.f("pk_queue_lanes")),
    )
    op.create_table(
        "stores",
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("shop_domain", sa.String(length=255), nullable=False),
        sa.Column("api_version", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("handle", name=op.f("pk_stores")),
        sa.UniqueConstraint("shop_domain", name=op.f("uq_stores_shop_domain")),
    )
    op.create_table(
        "inflight_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store", sa.String(length=64), nullable=False),
        sa.Column("shopify_order_gid", sa.String(length=128), nullable=False),
        sa.Column("line_gid", sa.String(length=128), nullable=False),
        sa.Column("odoo_product_id", sa.Integer(), nullable=True),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("pool", sa.String(length=64), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store"],
            ["stores.handle"],
            name=op.f("fk_inflight_lines_store_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inflight_lines")),
        sa.UniqueConstraint(
            "store",
            "shopify_order_gid",
            "line_gid",
            name=op.f("uq_inflight_lines_store_shopify_order_gid_line_gid"),
        ),
    )
    with op.batch_alter_table("inflight_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inflight_lines_pool_state"), ["pool", "state"], unique=False
        )

    op.create_table(
        "location_map",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store", sa.String(length=64), nullable=False),
        sa.Column("shopify_location_gid", sa.String(length=128), nullable=True),
        sa.Column("shopify_location_name", sa.String(length=255), nullable=False),
        sa.Column("location_type", sa.String(length=32), nullable=False),
        sa.Column("odoo_warehouse", sa.String(length=255), nullable=True),
        sa.Column("odoo_location_ids", sa.JSON(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("direction", sa.String(length=32), nullable=False),
        sa.Column("buffer", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("pool", sa.String(length=64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store"],
            ["stores.handle"],
            name=op.f("fk_location_map_store_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location_map")),
        sa.UniqueConstraint(
            "store", "shopify_location_gid", name=op.f("uq_location_map_store_shopify_location_gid")
        ),
        sa.UniqueConstraint(
            "store",
            "shopify_location_name",
            name=op.f("uq_location_map_store_shopify_location_name"),
        ),
    )
    op.create_table(
        "order_links",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store", sa.String(length=64), nullable=False),
        sa.Column("shopify_order_gid", sa.String(length=128), nullable=False),
        sa.Column("order_name", sa.String(length=64), nullable=True),
        sa.Column("sale_order_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("parked_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store"],
            ["stores.handle"],
            name=op.f("fk_order_links_store_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_links")),
        sa.UniqueConstraint(
            "store", "shopify_order_gid", name=op.f("uq_order_links_store_shopify_order_gid")
        ),
    )
    with op.batch_alter_table("order_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_links_state"), ["state"], unique=False)

    op.create_table(
        "product_links",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store", sa.String(length=64), nullable=False),
        sa.Column("odoo_product_id", sa.Integer(), nullable=False),
        sa.Column("product_gid", sa.String(length=128), nullable=True),
        sa.Column("variant_gid", sa.String(length=128), nullable=False),
        sa.Column("inventory_item_gid", sa.String(length=128), nullable=True),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("barcode", sa.String(length=255), nullable=True),
        sa.Column("matched_by", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store"],
            ["stores.handle"],
            name=op.f("fk_product_links_store_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_links")),
        sa.UniqueConstraint(
            "store", "odoo_product_id", name=op.f("uq_product_links_store_odoo_product_id")
        ),
        sa.UniqueConstraint(
            "store", "variant_gid", name=op.f("uq_product_links_store_variant_gid")
        ),
    )
    with op.batch_alter_table("product_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_links_odoo_product_id"), ["odoo_product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_product_links_store_inventory_item_gid"),
            ["store", "inventory_item_gid"],
            unique=False,
        )

    op.create_table(
        "rate_budgets",
        sa.Column("store", sa.String(length=64), nullable=False),
        sa.Column("points_available", sa.Float(), nullable=False),
        sa.Column("restore_rate", sa.Float(), nullable=False),
        sa.Column("maximum", sa.Float(), nullable=False),
        sa.Column("throttled_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store"],
            ["stores.handle"],
            name=op.f("fk_rate_budgets_store_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("store", name=op.f("pk_rate_budgets")),
    )
    op.create_table(
        "shopify_tokens",
        sa.Column("store", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("token_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_token_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store"],
            ["stores.handle"],
            name=op.f("fk_shopify_tokens_store_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("store", name=op.f("pk_shopify_tokens")),
    )
    op.create_table(
        "stock_pushes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store", sa.String(length=64), nullable=False),
        sa.Column("inventory_item_gid", sa.String(length=128), nullable=False),
        sa.Column("location_gid", sa.String(length=128), nullable=False),
        sa.Column("last_available", sa.Integer(), nullable=False),
        sa.Column("change_from", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store"],
            ["stores.handle"],
            name=op.f("fk_stock_pushes_store_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_pushes")),
        sa.UniqueConstraint(
            "store",
            "inventory_item_gid",
            "location_gid",
            name=op.f("uq_stock_pushes_store_inventory_item_gid_location_gid"),
        ),
    )
    op.create_table(
        "webhook_inbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("delivery_id", sa.String(length=128), nullable=False),
        sa.Column("store", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parse_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store"],
            ["stores.handle"],
            name=op.f("fk_webhook_inbox_store_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_inbox")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_webhook_inbox_delivery_id")),
    )
    with op.batch_alter_table("webhook_inbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_inbox_state_received_at"), ["state", "received_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("webhook_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_inbox_state_received_at"))

    op.drop_table("webhook_inbox")
    op.drop_table("stock_pushes")
    op.drop_table("shopify_tokens")
    op.drop_table("rate_budgets")
    with op.batch_alter_table("product_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_links_store_inventory_item_gid"))
        batch_op.drop_index(batch_op.f("ix_product_links_odoo_product_id"))

    op.drop_table("product_links")
    with op.batch_alter_table("order_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_links_state"))

    op.drop_table("order_links")
    op.drop_table("location_map")
    with op.batch_alter_table("inflight_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inflight_lines_pool_state"))

    op.drop_table("inflight_lines")
    op.drop_table("stores")
    op.drop_table("queue_lanes")
    op.drop_table("poll_cursors")
    with op.batch_alter_table("metric_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_events_kind_at"))

    op.drop_table("metric_events")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_jobs_active_kind_key",
            sqlite_where=sa.text("state IN ('pending', 'running')"),
            postgresql_where=sa.text("state IN ('pending', 'running')"),
        )
        batch_op.drop_index(batch_op.f("ix_jobs_state_lane"))
        batch_op.drop_index(
            "ix_jobs_running_lease",
            sqlite_where=sa.text("state = 'running'"),
            postgresql_where=sa.text("state = 'running'"),
        )
        batch_op.drop_index(
            "ix_jobs_pending_lane",
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"),
        )

    op.drop_table("jobs")
    with op.batch_alter_table("errors_for_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_errors_for_people_resolved_last_seen"))

    op.drop_table("errors_for_people")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attempts_job_id"))
        batch_op.drop_index(batch_op.f("ix_attempts_at"))

    op.drop_table("attempts")
