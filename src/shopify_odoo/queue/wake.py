"""Waking idle workers when work arrives, without busy polling.

In-process: the database's commit hook (every backend).  Across processes on PostgreSQL:
``LISTEN shopify_odoo_jobs_<schema>`` on one dedicated connection; ``enqueue`` sends the
``NOTIFY`` inside the caller's transaction, so it arrives when that transaction commits.
Callers still wait with a timeout: a slow safety poll covers a lost notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.queue.enqueue import CHANNEL_PREFIX
from shopify_odoo.store.database import Database

log = logging.getLogger(__name__)


class Waker:
    """One wake-up signal for one worker loop."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._event = asyncio.Event()
        self._remove_local: Any = None
        self._listen_conn: AsyncConnection | None = None
        self._driver_conn: Any = None
        self._channel: str | None = None

    async def start(self) -> None:
        self._remove_local = self._db.on_commit_wake(lambda _lanes: self._event.set())
        if self._db.backend != "postgresql":
            return
        try:
            conn = await self._db.engine.connect()
            schema = (await conn.execute(text("SELECT current_schema()"))).scalar_one()
            await conn.commit()
            raw = await conn.get_raw_connection()
            self._driver_conn = raw.driver_connection
            self._channel = f"{CHANNEL_PREFIX}{schema}"
            await self._driver_conn.add_listener(self._channel, self._on_notify)
            self._listen_conn = conn
        except Exception:  # the safety poll still finds the work, only later
            log.warning(
                "cannot LISTEN for new jobs; falling back to polling",
                exc_info=True,
                extra={"action": "listen"},
            )

    def _on_notify(self, *_args: object) -> None:
        self._event.set()

    def set(self) -> None:
        """Wake the loop (e.g. to make it notice a stop request)."""
        self._event.set()

    async def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for a wake-up; ``True`` if one came."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), seconds)
        woken = self._event.is_set()
        self._event.clear()
        return woken

    async def close(self) -> None:
        if self._remove_local is not None:
            self._remove_local()
            self._remove_local = None
        if self._listen_conn is not None:
            with contextlib.suppress(Exception):
                await self._driver_conn.remove_listener(self._channel, self._on_notify)
            with contextlib.suppress(Exception):
                await self._listen_conn.close()
            self._listen_conn = None
