"""stock ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stock_ledger",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ident", sa.String(length=512), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_ledger")),
        sa.UniqueConstraint("kind", "ident", name=op.f("uq_stock_ledger_kind_ident")),
    )
    with op.batch_alter_table("stock_ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_ledger_product_id_kind"), ["product_id", "kind"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stock_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_ledger_product_id_kind"))
    op.drop_table("stock_ledger")
