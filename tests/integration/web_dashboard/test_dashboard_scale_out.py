"""Two web processes on one state database (docs/how-to/scale-out.md) share the dashboard's
lock-out and its logouts: an attacker gets five tries in all, not five per process, and a
logged-out cookie opens no process.  Each "process" here is its own app, Runtime and database
engine on the same database, on SQLite and PostgreSQL.  Nothing secret reaches the tables."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from sqlalchemy import select

from shopify_odoo.config import settings_from_mapping
from shopify_odoo.engine.dashboard_access import LoginGuard
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.store import migrate
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.store.tables import dashboard_login_failures, dashboard_revoked_sessions
from shopify_odoo.web.dashboard import create_site
from shopify_odoo.web.passwords import hash_password
from shopify_odoo.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE

from .conftest import PASSWORD, SESSION_SECRET, TOKEN, config

D = "/dashboard"
PASSWORD_HASH = hash_password(PASSWORD)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def refuse_all(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"errors": "[API] Invalid API key or access token"})


class Process:
    """One web process: its own app, Runtime and database engine."""

    def __init__(self, client: httpx.AsyncClient, db: Database) -> None:
        self.client = client
        self.db = db

    async def login(self, secret: str) -> httpx.Response:
        form = await self.client.get(f"{D}/login")
        csrf = form.cookies.get(LOGIN_CSRF_COOKIE) or self.client.cookies[LOGIN_CSRF_COOKIE]
        return await self.client.post(
            f"{D}/login", data={"csrf": csrf, "password": secret, "name": "alice"}
        )


@asynccontextmanager
async def process(url: str, clock: Clock) -> AsyncIterator[Process]:
    settings = settings_from_mapping(
        config(url, token=TOKEN, session_secret=SESSION_SECRET, password_hash=PASSWORD_HASH)
    )
    db = await open_database(url)
    transport = httpx.MockTransport(refuse_all)
    rt = await Runtime.open(
        settings,
        db=db,
        shopify_transports={"eu": transport, "us": transport},
        odoo_transport=transport,
    )
    app = create_site(rt, guard=LoginGuard(db, clock=clock))
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=("10.0.0.9", 5000)),
                base_url="http://testserver",
            ) as client,
        ):
            yield Process(client, db)
    finally:
        rt.owns_db = False
        await rt.aclose()
        await db.dispose()


@asynccontextmanager
async def two_processes(url: str, clock: Clock) -> AsyncIterator[tuple[Process, Process]]:
    await migrate.upgrade(url)
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(process(url, clock))
        b = await stack.enter_async_context(process(url, clock))
        yield a, b


async def _stored_text(db: Database) -> str:
    async with db.connect() as conn:
        rows = [
            *(await conn.execute(select(dashboard_login_failures))).all(),
            *(await conn.execute(select(dashboard_revoked_sessions))).all(),
        ]
    return repr(rows)


async def test_lock_out_counts_the_failures_of_every_process(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    async with two_processes(db_url, clock) as (a, b):
        for p in (a, b, a, b):
            assert (await p.login("wrong password")).status_code == 401
        # the fifth failure, on either process, locks the address out on both
        assert (await b.login("wrong token guess")).status_code == 401
        for p in (a, b):
            locked = await p.login(PASSWORD)
            assert locked.status_code == 429
            assert SESSION_COOKIE not in locked.cookies
        # a guessed bearer token is refused while locked, even the right one
        bearer = await a.client.get(f"{D}/audit", headers={"Authorization": f"Bearer {TOKEN}"})
        assert bearer.status_code == 401
        stored = await _stored_text(a.db)
        assert "10.0.0.9" in stored
        clock.now += 15 * 60 + 1
        assert (await b.login(PASSWORD)).status_code == 303
        assert (await a.login(PASSWORD)).status_code == 303
    for secret in (PASSWORD, "wrong password", "wrong token guess", TOKEN):
        assert secret not in stored
        assert secret not in caplog.text


async def test_bearer_guesses_on_one_process_lock_out_the_other(db_url: str) -> None:
    clock = Clock()
    async with two_processes(db_url, clock) as (a, b):
        for p in (a, b, a, b, a):
            bad = await p.client.get(f"{D}/audit", headers={"Authorization": "Bearer nope"})
            assert bad.status_code == 401
        assert (await b.login(PASSWORD)).status_code == 429


async def test_logout_on_one_process_ends_the_session_on_the_other(db_url: str) -> None:
    clock = Clock()
    async with two_processes(db_url, clock) as (a, b):
        assert (await a.login(PASSWORD)).status_code == 303
        cookie = a.client.cookies[SESSION_COOKIE]
        b.client.cookies.set(SESSION_COOKIE, cookie, path=D)
        assert (await b.client.get(f"{D}/audit")).status_code == 200  # one session, both
        page = await a.client.get(f"{D}/jobs")
        match = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert match
        assert (
            await a.client.post(f"{D}/logout", data={"csrf": match.group(1)})
        ).status_code == 303
        # the old cookie replayed on the other process: back to the login page
        replay = await b.client.get(f"{D}/audit")
        assert replay.status_code == 303
        assert replay.headers["location"].startswith(f"{D}/login")
        a.client.cookies.set(SESSION_COOKIE, cookie, path=D)
        assert (await a.client.get(f"{D}/audit")).status_code == 303
        stored = await _stored_text(b.db)
    assert cookie not in stored
    assert match.group(1) not in stored
    for secret in (PASSWORD, TOKEN, SESSION_SECRET):
        assert secret not in stored


async def test_guard_counts_within_the_window_and_forgets_old_addresses(db_url: str) -> None:
    await migrate.upgrade(db_url)
    db = await open_database(db_url)
    clock = Clock()
    guard = LoginGuard(db, max_failures=3, seconds=60, clock=clock)
    try:
        assert not await guard.fail("10.0.0.1")
        assert not await guard.fail("10.0.0.1")
        clock.now += 61  # the first two are out of the window
        assert not await guard.fail("10.0.0.1")
        assert not await guard.fail("10.0.0.1")
        assert await guard.locked_for("10.0.0.1") == 0
        assert await guard.fail("10.0.0.1")  # the third within 60 s
        assert await guard.locked_for("10.0.0.1") == pytest.approx(60)
        await guard.succeed("10.0.0.1")  # a lock-out is not lifted by anything but time
        assert await guard.locked_for("10.0.0.1") > 0
        for n in range(20):  # a spray of addresses
            await guard.fail(f"192.0.2.{n}")
        clock.now += 61
        await guard.fail("10.0.0.2")  # writing prunes what is over
        async with db.connect() as conn:
            left = {r.client for r in await conn.execute(select(dashboard_login_failures))}
        assert left == {"10.0.0.2"}
        assert await guard.locked_for("10.0.0.1") == 0
        await guard.revoke("nonce-1", lifetime=30)
        assert await guard.revoked("nonce-1")
        assert not await guard.revoked("nonce-2")
        clock.now += 31
        await guard.revoke("nonce-2", lifetime=30)  # prunes nonce-1's expired row
        async with db.connect() as conn:
            hashes = [r.nonce_hash for r in await conn.execute(select(dashboard_revoked_sessions))]
        assert len(hashes) == 1
        assert "nonce-2" not in hashes[0]
    finally:
        await db.dispose()
