"""Dashboard login state shared by every web process, in the state database.

With ``shopify-odoo run`` on several processes (docs/how-to/scale-out.md) a lock-out or a
logout kept in one process's memory would not hold on the others: an attacker would get
``max_failures`` tries per process, and a logged-out cookie would still open the dashboard on
another process.  So both live here:

* ``dashboard_login_failures``: wrong logins per client address.  ``max_failures`` within
  ``seconds`` of the first one lock the address out for ``seconds``; a success clears them.
  Counting is one upsert per failure, so two processes failing at once both count.
* ``dashboard_revoked_sessions``: the SHA-256 of a logged-out session's nonce, until the
  session would have expired anyway.

Nothing secret is stored: no password, no token, no cookie (the nonce is a random id inside the
signed cookie, and only its hash is kept).  Expired rows are deleted as new ones are written.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import dashboard_login_failures, dashboard_revoked_sessions
from shopify_odoo.store.types import UtcDateTime

MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


class LoginGuard:
    """Lock-out and revoked sessions of the dashboard; ``clock`` (epoch seconds) is injectable
    for tests."""

    def __init__(
        self,
        db: Database,
        *,
        max_failures: int = MAX_FAILURES,
        seconds: float = LOCK_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.max_failures = max_failures
        self.seconds = seconds
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- lock-out ------------------------------------------------------------------------

    async def locked_for(self, client: str) -> float:
        """Seconds ``client`` stays locked out (0: not locked)."""
        f = dashboard_login_failures.c
        async with self.db.connect() as conn:
            until = (
                await conn.execute(select(f.locked_until).where(f.client == client[:128]))
            ).scalar_one_or_none()
        if until is None:
            return 0.0
        return float(max(0.0, (until - self._now()).total_seconds()))

    async def fail(self, client: str) -> bool:
        """Count one wrong login from ``client``; True when this locks it out."""
        now = self._now()
        window = timedelta(seconds=self.seconds)
        key = client[:128]
        f = dashboard_login_failures.c
        table = dashboard_login_failures
        dialect = postgresql if self.db.backend == "postgresql" else sqlite
        insert = dialect.insert(table).values(client=key, failures=1, window_start=now)
        fresh = table.c.window_start > literal(now - window, UtcDateTime())
        stmt = insert.on_conflict_do_update(
            index_elements=[f.client],
            set_={
                "failures": case((fresh, table.c.failures + 1), else_=1),
                "window_start": case(
                    (fresh, table.c.window_start), else_=literal(now, UtcDateTime())
                ),
            },
        ).returning(f.failures)
        async with self.db.begin() as conn:
            failures = int((await conn.execute(stmt)).scalar_one())
            locked = failures >= self.max_failures
            if locked:
                await conn.execute(
                    table.update()
                    .where(f.client == key)
                    .values(failures=0, window_start=now, locked_until=now + window)
                )
            # forget addresses whose failures and lock-out are over (bounds the table under
            # a spray of addresses)
            await conn.execute(
                delete(table).where(
                    f.window_start <= now - window,
                    or_(f.locked_until.is_(None), f.locked_until <= now),
                )
            )
        return locked

    async def succeed(self, client: str) -> None:
        """A right login: forget ``client``'s failures (its lock-out, if any, was checked
        before the password was)."""
        f = dashboard_login_failures.c
        key = client[:128]
        async with self.db.connect() as conn:  # most requests: nothing to forget, no write
            known = (await conn.execute(select(f.client).where(f.client == key))).first()
        if known is None:
            return
        now = self._now()
        async with self.db.begin() as conn:
            await conn.execute(
                delete(dashboard_login_failures).where(
                    f.client == key, or_(f.locked_until.is_(None), f.locked_until <= now)
                )
            )

    # -- revoked sessions ----------------------------------------------------------------

    async def revoke(self, nonce: str, *, lifetime: float) -> None:
        """End the session with ``nonce`` on every process, for the ``lifetime`` seconds it
        could still be presented."""
        now = self._now()
        r = dashboard_revoked_sessions.c
        dialect = postgresql if self.db.backend == "postgresql" else sqlite
        stmt = (
            dialect.insert(dashboard_revoked_sessions)
            .values(nonce_hash=_hash(nonce), expires_at=now + timedelta(seconds=lifetime))
            .on_conflict_do_nothing(index_elements=[r.nonce_hash])
        )
        async with self.db.begin() as conn:
            await conn.execute(delete(dashboard_revoked_sessions).where(r.expires_at <= now))
            await conn.execute(stmt)

    async def revoked(self, nonce: str) -> bool:
        r = dashboard_revoked_sessions.c
        async with self.db.connect() as conn:
            found = (
                await conn.execute(select(r.nonce_hash).where(r.nonce_hash == _hash(nonce)))
            ).first()
        return found is not None
