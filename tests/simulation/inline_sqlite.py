"""The simulation's fast path for the state database: aiosqlite without its thread.

aiosqlite runs every SQLite call on a worker thread and wakes the event loop for each answer;
a scenario makes about a thousand such calls, and on a busy two-core machine each hand-off
waits for the thread to be scheduled.  :func:`inline_aiosqlite` (a context manager, active
only while a simulation test runs) makes ``aiosqlite.connect`` return connections that run the
same SQLite calls inline on the event loop's thread: same SQL, same SQLite, same transactions,
just no thread hop.  The engine code is unchanged; only the driver's plumbing differs.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Generator, Iterator
from functools import partial
from typing import Any

import aiosqlite
import aiosqlite.core


class _InlineQueue:
    """Stands for the worker thread's queue (SQLAlchemy's adapter puts work on it directly)."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.core.Connection):
    """An ``aiosqlite.Connection`` whose calls run inline (no worker thread is started)."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = _InlineQueue()  # type: ignore[assignment]

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return partial(fn, *args, **kwargs)()

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._connect().__await__()

    def stop(self) -> None:  # type: ignore[override]
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def _connect(database: Any, *, iter_chunk_size: int = 64, **kwargs: Any) -> InlineConnection:
    def connector() -> sqlite3.Connection:
        return sqlite3.connect(str(database), **kwargs)

    return InlineConnection(connector, iter_chunk_size)


@contextlib.contextmanager
def inline_aiosqlite() -> Iterator[None]:
    saved = aiosqlite.connect
    aiosqlite.connect = _connect  # type: ignore[assignment]
    try:
        yield
    finally:
        aiosqlite.connect = saved
