"""SIGTERM stops a running process gracefully: requests answered, leases released."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from shopify_odoo.config import settings_from_mapping
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.queue import enqueue_many
from shopify_odoo.store import migrate
from shopify_odoo.store.database import open_database
from shopify_odoo.store.tables import attempts, jobs

HERE = Path(__file__).parent
CONFIG = {
    "odoo": {"url": "http://127.0.0.1:1", "database": "db", "login": "bot", "api_key": "k"},
    "stores": [
        {
            "handle": "eu",
            "shop_domain": "acme-eu.myshopify.com",
            "client_id": "c",
            "client_secret": "s",
        }
    ],
    "location_map": [{"store": "eu", "shopify_location": "Online", "odoo_locations": ["WH/Stock"]}],
    "sync": {"webhook_base_url": "https://connector.example.com"},
}


@pytest.mark.slow
async def test_sigterm_releases_leases_and_stops(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    await migrate.upgrade(url)
    db = await open_database(url)
    await register_stores(db, settings_from_mapping(CONFIG))
    async with db.begin() as conn:
        await enqueue_many(conn, [("stock", str(i)) for i in range(10)])
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "run_process_main.py"),
        url,
        json.dumps(CONFIG),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert line.startswith("ready "), line
        port = int(line.split()[1])
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200
        deadline = time.monotonic() + 20
        while True:  # the worker leases up to its concurrency
            async with db.connect() as conn:
                running = (
                    await conn.execute(select(jobs.c.id).where(jobs.c.state == "running"))
                ).all()
            if len(running) == 4 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        assert len(running) == 4
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out = (await asyncio.wait_for(proc.stdout.read(), 30)).decode()
        code = await proc.wait()
        assert code == 0, out
        assert time.monotonic() - started < 10
        report = json.loads(out.split("stopped ", 1)[1])
        assert report == {"released": 4, "done": 0}
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    async with db.connect() as conn:
        states = [s for (s,) in await conn.execute(select(jobs.c.state))]
        outcomes = [o for (o,) in await conn.execute(select(attempts.c.outcome))]
        attempts_left = {a for (a,) in await conn.execute(select(jobs.c.attempts))}
    assert states == ["pending"] * 10  # nothing left leased, nothing lost
    assert outcomes == ["released"] * 4
    assert attempts_left == {0}  # a released attempt is not counted
    with pytest.raises(httpx.ConnectError):  # the receiver is closed
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{port}/healthz")
    await db.dispose()
