"""The audit log: every switch made from the dashboard, with who and when (``audit_log``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import audit_log
from shopify_odoo.store.types import utcnow


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    detail: Any


async def record_audit(
    conn: AsyncConnection,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    detail: Any = None,
    now: datetime | None = None,
) -> None:
    """One audit row, inside the caller's transaction (so it exists iff the change does)."""
    await conn.execute(
        audit_log.insert().values(
            at=now or utcnow(), actor=actor[:128], action=action[:64], target=target, detail=detail
        )
    )


async def list_audit(
    conn: AsyncConnection, *, action_prefix: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    """Most recent first."""
    a = audit_log.c
    stmt = select(audit_log)
    if action_prefix:
        stmt = stmt.where(a.action.startswith(action_prefix))
    rows = await conn.execute(stmt.order_by(a.at.desc(), a.id.desc()).limit(limit))
    return [AuditEntry(r.id, r.at, r.actor, r.action, r.target, r.detail) for r in rows]


async def audit_entries(db: Database, *, limit: int = 100) -> list[AuditEntry]:
    async with db.connect() as conn:
        return await list_audit(conn, limit=limit)
