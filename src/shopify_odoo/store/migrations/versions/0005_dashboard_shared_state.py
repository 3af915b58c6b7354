"""dashboard state shared by every web process: login failures, revoked sessions, the
catalogue copy the product-links page searches

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_login_failures",
        sa.Column("client", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("client", name=op.f("pk_dashboard_login_failures")),
    )
    with op.batch_alter_table("dashboard_login_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboard_login_failures_window_start"), ["window_start"], unique=False
        )
    op.create_table(
        "dashboard_revoked_sessions",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_dashboard_revoked_sessions")),
    )
    with op.batch_alter_table("dashboard_revoked_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboard_revoked_sessions_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "link_catalog",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("store", sa.String(length=64), nullable=True),
        sa.Column("ref", sa.String(length=255), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("barcode", sa.String(length=255), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("search", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_catalog")),
    )
    with op.batch_alter_table("link_catalog", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_link_catalog_kind_store_ref"), ["kind", "store", "ref"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_link_catalog_kind_product_id"), ["kind", "product_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("link_catalog", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_catalog_kind_product_id"))
        batch_op.drop_index(batch_op.f("ix_link_catalog_kind_store_ref"))
    op.drop_table("link_catalog")
    with op.batch_alter_table("dashboard_revoked_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_revoked_sessions_expires_at"))
    op.drop_table("dashboard_revoked_sessions")
    with op.batch_alter_table("dashboard_login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_login_failures_window_start"))
    op.drop_table("dashboard_login_failures")
