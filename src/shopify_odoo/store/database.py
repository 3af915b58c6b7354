"""Opening the state database: one async engine, transactions, clear errors.

SQLite (embedded default): WAL journal, a busy timeout, foreign keys on, and ``BEGIN IMMEDIATE``
for every transaction so two writers queue on the lock instead of failing half-way with
"database is locked".  PostgreSQL: asyncpg, optional private schema via ``search_path``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from shopify_odoo.errors import ConfigError
from shopify_odoo.store.url import Backend, DatabaseUrl, parse_database_url

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000

#: execution option: begin SQLite transactions DEFERRED (read-only use) instead of IMMEDIATE
SQLITE_DEFERRED = "shopify_odoo_sqlite_deferred"

#: key in ``Connection.info``: lanes that got new work in the open transaction
WAKE_LANES = "shopify_odoo.wake_lanes"


@dataclass(eq=False)
class Database:
    """The state database of one process: engine plus in-process wake-ups.

    Use :meth:`begin` for a transaction (commits on success, rolls back on error) and
    :meth:`connect` when you manage transactions yourself.
    """

    url: DatabaseUrl
    engine: AsyncEngine
    _wake_listeners: list[Callable[[frozenset[str]], None]] = field(default_factory=list)
    _write_lock: asyncio.Lock | None = None

    @property
    def backend(self) -> Backend:
        return self.url.backend

    @property
    def redacted_url(self) -> str:
        return self.url.redacted

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: commits when the block ends, rolls back on error.

        On SQLite the transactions of this process take turns on an asyncio lock before they
        ask SQLite's own lock, so they never sleep in SQLite's busy handler waiting for each
        other (other processes still wait through ``busy_timeout``).
        """
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def single(self) -> AsyncIterator[AsyncConnection]:
        """For one self-contained statement: autocommit on PostgreSQL (no BEGIN/COMMIT round
        trips), a normal write transaction on SQLite."""
        if self._write_lock is not None:
            async with self.begin() as conn:
                yield conn
            return
        async with self.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reading (on SQLite its transactions are DEFERRED: readers do not
        queue behind writers).  Write with :meth:`begin`."""
        async with self.engine.connect() as conn:
            if self._write_lock is not None:
                await conn.execution_options(**{SQLITE_DEFERRED: True})
            yield conn

    def on_commit_wake(self, listener: Callable[[frozenset[str]], None]) -> Callable[[], None]:
        """Call ``listener(lanes)`` after a transaction that enqueued work commits.

        In-process only (the SQLite wake-up; on PostgreSQL LISTEN/NOTIFY also reaches other
        processes).  Returns a function that removes the listener.
        """
        self._wake_listeners.append(listener)

        def remove() -> None:
            if listener in self._wake_listeners:
                self._wake_listeners.remove(listener)

        return remove

    def _fire_wake(self, lanes: frozenset[str]) -> None:
        for listener in list(self._wake_listeners):
            try:
                listener(lanes)
            except Exception:  # a listener must never break a commit
                log.exception("queue wake-up listener failed", extra={"action": "wake"})

    async def check(self) -> None:
        """Connect once and run ``SELECT 1``; raise :class:`ConfigError` with the fix if not."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except ConfigError:
            raise
        except Exception as exc:
            raise connection_error(self.url, exc) from None

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.dispose()


def create_database(url: str, *, pool_size: int = 5, null_pool: bool = False) -> Database:
    """Build the engine for ``url`` without connecting (see :func:`open_database`)."""
    parsed = parse_database_url(url)
    kwargs: dict[str, Any] = {}
    if null_pool:
        kwargs["poolclass"] = NullPool
    if parsed.backend == "sqlite":
        connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if not null_pool:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
        engine = create_async_engine(parsed.url, connect_args=connect_args, **kwargs)
        db = Database(parsed, engine, _write_lock=asyncio.Lock())
        _sqlite_setup(db)
    else:
        # JIT compiles each short queue statement for tens of milliseconds: never worth it here
        server_settings = {"application_name": "shopify-odoo", "jit": "off"}
        if parsed.schema:
            server_settings["search_path"] = parsed.schema
        if not null_pool:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
        engine = create_async_engine(
            parsed.url,
            connect_args={"server_settings": server_settings, "timeout": 10},
            **kwargs,
        )
        db = Database(parsed, engine)
    _wake_setup(db)
    return db


async def open_database(url: str, *, pool_size: int = 5, check: bool = True) -> Database:
    """Open the state database at ``url`` and (by default) prove it answers.

    An unreachable server, a wrong password, a missing database or an unwritable SQLite file
    raise :class:`ConfigError` with one line naming the URL (without its password) and the fix.
    """
    db = create_database(url, pool_size=pool_size)
    problem = _missing_sqlite_folder(db.url)
    if problem is not None:
        await db.dispose()
        raise problem
    if check:
        try:
            await db.check()
        except BaseException:
            await db.dispose()
            raise
    return db


def _missing_sqlite_folder(url: DatabaseUrl) -> ConfigError | None:
    """SQLite creates the file but not its folder: say so before the driver fails obscurely."""
    if url.backend != "sqlite" or not url.url.database:
        return None
    folder = Path(url.url.database).expanduser().resolve().parent
    if folder.is_dir():
        return None
    return connection_error(url, FileNotFoundError(f"folder {folder} does not exist"))


def _sqlite_setup(db: Database) -> None:
    sync_engine = db.engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Leave transaction control to us (BEGIN IMMEDIATE below), not to the driver.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(SQLITE_DEFERRED):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _wake_setup(db: Database) -> None:
    sync_engine = db.engine.sync_engine

    @event.listens_for(sync_engine, "commit")
    def _on_commit(conn: Connection) -> None:
        lanes = conn.info.pop(WAKE_LANES, None)
        if lanes:
            # Runs on the event loop's thread (SQLAlchemy's greenlet bridge); the actual COMMIT
            # follows right away, and a woken worker's lease waits for it on the lock.
            asyncio.get_running_loop().call_soon(db._fire_wake, frozenset(lanes))

    @event.listens_for(sync_engine, "rollback")
    def _on_rollback(conn: Connection) -> None:
        conn.info.pop(WAKE_LANES, None)


def connection_error(url: DatabaseUrl, exc: BaseException) -> ConfigError:
    """One line for a person: which database, what went wrong, what to do."""
    where = url.redacted
    detail = _root_message(exc)
    if url.backend == "sqlite":
        return ConfigError(
            f'Cannot open the SQLite state database "{where}" ({detail}): check that the '
            "folder exists and is writable, or set SHOPIFY_ODOO_DATABASE_URL to another file"
        )
    lowered = detail.lower()
    if any(word in lowered for word in ("password", "authentication", "role")):
        fix = "check the user name and password in the URL"
    elif "does not exist" in lowered:
        fix = "create the database (createdb) or fix its name in the URL"
    else:
        fix = "check that PostgreSQL runs and accepts connections at that host and port"
    return ConfigError(f'Cannot connect to the state database "{where}" ({detail}): {fix}')


def _root_message(exc: BaseException) -> str:
    root: BaseException = exc
    seen = set()
    while id(root) not in seen:
        seen.add(id(root))
        nxt = getattr(root, "orig", None) or root.__cause__ or root.__context__
        if nxt is None:
            break
        root = nxt
    message = str(root) or type(root).__name__
    return " ".join(message.split())[:200]
