"""Problems kept for a person (``errors_for_people``): one row per (store, kind, key).

Every message names the object (store, variant/SKU, Odoo product, location), the cause and the
next step (STYLE.md §6).  Seeing the same problem again bumps ``count``/``last_seen`` and
re-opens it; ``resolve_problem`` closes it when the key later syncs cleanly.
"""

from __future__ import annotations

from sqlalchemy import and_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.store.tables import errors_for_people
from shopify_odoo.store.types import utcnow


async def record_problem(
    conn: AsyncConnection,
    *,
    store: str,
    kind: str,
    key: str,
    cause: str,
    message: str,
    next_step: str | None = None,
) -> None:
    now = utcnow()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(errors_for_people).values(
        store=store,
        kind=kind,
        key=key[:512],
        cause=cause[:64],
        message=message,
        next_step=next_step,
        first_seen=now,
        last_seen=now,
        count=1,
        resolved=False,
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["store", "kind", "key"],
            set_={
                "cause": stmt.excluded.cause,
                "message": stmt.excluded.message,
                "next_step": stmt.excluded.next_step,
                "last_seen": stmt.excluded.last_seen,
                "count": errors_for_people.c.count + 1,
                "resolved": False,
                "resolved_at": None,
            },
        )
    )


async def resolve_problem(conn: AsyncConnection, *, store: str, kind: str, key: str) -> None:
    t = errors_for_people.c
    await conn.execute(
        update(errors_for_people)
        .where(and_(t.store == store, t.kind == kind, t.key == key, t.resolved.is_(False)))
        .values(resolved=True, resolved_at=utcnow())
    )
