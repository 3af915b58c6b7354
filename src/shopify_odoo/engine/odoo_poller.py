"""The Odoo change poller: which products' stock may have moved since the last look.

Reads, since a cursor, ``stock.move.line`` (done moves), ``stock.quant`` (reservations, counts)
and ``stock.move`` (new or changed demand: outgoing quantities) and ``product.product`` changes,
and marks the stock keys of the linked products dirty (DESIGN.md §2: events only say where to
look).  ``write_date`` is the start of the writing transaction (odoo-external-api.md §3.6): a
long transaction can commit rows *older* than rows already read, so each poll re-reads an
overlap window before the cursor; re-marking a key is harmless (coalesced).  The cursor is the
newest ``write_date`` seen (Odoo's clock, never ours), in ``poll_cursors`` as ``odoo:stock``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.engine.dirty import stock_key
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.odoo.records import m2o_id
from shopify_odoo.queue import Handler, Lease, enqueue_many
from shopify_odoo.store.tables import poll_cursors, product_links
from shopify_odoo.store.types import utcnow

CURSOR = "odoo:stock"
DEFAULT_OVERLAP = timedelta(seconds=120)
ODOO_FORMAT = "%Y-%m-%d %H:%M:%S"

#: (model, extra domain, field holding the product)
SOURCES: tuple[tuple[str, list[object], str], ...] = (
    ("stock.move.line", [("state", "=", "done")], "product_id"),
    ("stock.move", [], "product_id"),
    ("stock.quant", [], "product_id"),
    ("product.product", [], "id"),
)


def odoo_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(ODOO_FORMAT)


def parse_odoo_time(value: str) -> datetime:
    return datetime.strptime(value, ODOO_FORMAT).replace(tzinfo=UTC)


async def read_cursor(conn: AsyncConnection, name: str = CURSOR) -> datetime | None:
    row = (
        await conn.execute(select(poll_cursors.c.value).where(poll_cursors.c.name == name))
    ).first()
    return datetime.fromisoformat(row[0]) if row else None


async def write_cursor(conn: AsyncConnection, name: str, value: datetime) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(poll_cursors).values(name=name, value=value.isoformat(), updated_at=utcnow())
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
    )


async def poll_once(rt: Runtime, *, overlap: timedelta = DEFAULT_OVERLAP) -> int:
    """One poll: mark changed linked products dirty; returns how many keys were marked."""
    async with rt.db.connect() as conn:
        cursor = await read_cursor(conn)
    domain_time: list[object] = []
    if cursor is not None:
        domain_time = [("write_date", ">=", odoo_time(cursor - overlap))]

    async def read(model: str, extra: list[object], field: str) -> list[dict[str, object]]:
        return await rt.odoo.search_read_all(
            model,
            [*extra, *domain_time],
            ["id", field, "write_date"] if field != "id" else ["id", "write_date"],
            context={"active_test": False},
        )

    answers = await asyncio.gather(*(read(m, e, f) for m, e, f in SOURCES))
    products: set[int] = set()
    newest = cursor
    for (_model, _extra, field), rows in zip(SOURCES, answers, strict=True):
        for row in rows:
            pid = m2o_id(row.get(field))
            if pid is not None:
                products.add(pid)
            wd = row.get("write_date")
            if isinstance(wd, str) and wd:
                t = parse_odoo_time(wd)
                if newest is None or t > newest:
                    newest = t
    async with rt.db.begin() as conn:
        linked = await _linked(conn, products)
        if linked:
            await enqueue_many(conn, [stock_key(p) for p in sorted(linked)])
        if newest is not None and newest != cursor:
            await write_cursor(conn, CURSOR, newest)
    return len(linked)


async def _linked(conn: AsyncConnection, products: set[int]) -> set[int]:
    ids = sorted(products)
    out: set[int] = set()
    for start in range(0, len(ids), 500):
        rows = await conn.execute(
            select(product_links.c.odoo_product_id)
            .where(product_links.c.odoo_product_id.in_(ids[start : start + 500]))
            .distinct()
        )
        out.update(int(r[0]) for r in rows)
    return out


def poll_handler(rt: Runtime) -> Handler:
    """Queue handler of ``odoo_poll`` keys (the Odoo webhook without a product asks for one)."""

    async def handle(lease: Lease) -> None:
        await poll_once(rt)

    return handle
