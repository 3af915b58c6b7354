"""location map rows edited in the dashboard: excluded and fulfilled_by

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("location_map", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("excluded", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(sa.Column("fulfilled_by", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("location_map", schema=None) as batch_op:
        batch_op.drop_column("fulfilled_by")
        batch_op.drop_column("excluded")
