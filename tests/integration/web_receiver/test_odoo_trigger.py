"""Odoo automation webhooks: group commit of the dirty marks, and the already-covered read."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from shopify_odoo.engine import inbox as inbox_module
from shopify_odoo.engine.dirty import DirtyKeys
from shopify_odoo.engine.inbox import InboxUnavailable, OdooTrigger
from shopify_odoo.queue import lease_many
from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import jobs
from shopify_odoo.store.types import utcnow

from .conftest import ODOO_SECRET


async def stock_jobs(db: Database) -> dict[str, Any]:
    async with db.connect() as conn:
        rows = await conn.execute(select(jobs).where(jobs.c.kind == "stock"))
        return {r.key: r for r in rows}


def move_line(product_id: int, record_id: int = 9) -> bytes:
    payload = {"_model": "stock.move.line", "_id": record_id, "id": record_id}
    return json.dumps({**payload, "product_id": product_id}, sort_keys=True).encode()


async def test_concurrent_marks_share_one_transaction(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    trigger = OdooTrigger(db)

    async def never_covered(_self: OdooTrigger, _keys: list[tuple[str, str]]) -> bool:
        return False  # every mark goes to the writer, none answered by the read

    monkeypatch.setattr(OdooTrigger, "_covered", never_covered)
    counts = await asyncio.gather(
        *(trigger.mark(DirtyKeys(odoo_products=(p,))) for p in range(1, 21))
    )
    assert counts == [1] * 20
    assert trigger.batches == 1  # all twenty queued before the writer ran: one transaction
    assert set(await stock_jobs(db)) == {str(p) for p in range(1, 21)}
    await trigger.close()


async def test_every_delivery_of_a_batch_is_recorded(
    client: httpx.AsyncClient, db: Database
) -> None:
    url = f"/webhooks/odoo?token={ODOO_SECRET}"
    answers = await asyncio.gather(
        *(client.post(url, content=move_line(p, p + 100)) for p in range(1, 31))
    )
    assert [r.status_code for r in answers] == [200] * 30
    assert set(await stock_jobs(db)) == {str(p) for p in range(1, 31)}


async def test_a_failed_batch_answers_503_for_all_and_records_none(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = inbox_module.enqueue_many
    calls: list[int] = []

    async def write_then_fail(conn: Any, keys: Any, **kw: Any) -> int:
        calls.append(await real(conn, keys, **kw))  # the rows are written, then the batch fails
        raise RuntimeError("disk full")

    monkeypatch.setattr(inbox_module, "enqueue_many", write_then_fail)
    url = f"/webhooks/odoo?token={ODOO_SECRET}"
    answers = await asyncio.gather(
        *(client.post(url, content=move_line(p, p + 100)) for p in range(1, 11))
    )
    assert calls  # the failure came from inside the transaction
    assert [r.status_code for r in answers] == [503] * 10
    assert await stock_jobs(db) == {}  # rolled back: nothing acknowledged, nothing kept


async def test_a_mark_already_covered_by_a_job_is_answered_by_the_read(db: Database) -> None:
    trigger = OdooTrigger(db)
    dirty = DirtyKeys(odoo_products=(31,))
    assert await trigger.mark(dirty) == 1
    assert (trigger.covered, trigger.batches) == (0, 1)
    # pending and due: the job reads Odoo after this delivery anyway
    assert await trigger.mark(dirty) == 1
    assert (trigger.covered, trigger.batches) == (1, 1)
    # leased (its pass may have read Odoo already): written, as a rerun
    async with db.begin() as conn:
        assert [lease.key for lease in await lease_many(conn, 10)] == ["31"]
    assert await trigger.mark(dirty) == 1
    assert (trigger.covered, trigger.batches) == (1, 2)
    assert (await stock_jobs(db))["31"].rerun is True
    # the rerun is due: covered again
    assert await trigger.mark(dirty) == 1
    assert (trigger.covered, trigger.batches) == (2, 2)
    await trigger.close()


async def test_a_job_waiting_for_later_is_not_covering(db: Database) -> None:
    trigger = OdooTrigger(db)
    dirty = DirtyKeys(odoo_products=(7,))
    await trigger.mark(dirty)
    later = utcnow() + timedelta(minutes=5)  # e.g. backing off after a failure
    async with db.begin() as conn:
        await conn.execute(update(jobs).where(jobs.c.key == "7").values(not_before=later))
    await trigger.mark(dirty)
    assert (trigger.covered, trigger.batches) == (0, 2)
    assert (await stock_jobs(db))["7"].not_before < later  # brought forward to now
    # a mark naming a key with no job is written too
    await trigger.mark(DirtyKeys(odoo_products=(7, 8)))
    assert (trigger.covered, trigger.batches) == (0, 3)
    assert set(await stock_jobs(db)) == {"7", "8"}
    await trigger.close()


async def test_a_failed_write_raises_inbox_unavailable(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    trigger = OdooTrigger(db)

    async def fail(*_a: Any, **_k: Any) -> int:
        raise RuntimeError("locked")

    monkeypatch.setattr(inbox_module, "enqueue_many", fail)
    with pytest.raises(InboxUnavailable):
        await trigger.mark(DirtyKeys(odoo_products=(5,)))
    await trigger.close()
