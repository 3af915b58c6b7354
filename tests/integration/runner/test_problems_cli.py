"""``errors`` lists what needs a person; ``reprocess`` re-runs it (SQLite, through the CLI)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from shopify_odoo.cli.app import app
from shopify_odoo.config import settings_from_mapping
from shopify_odoo.engine.dirty import DirtyKeys
from shopify_odoo.engine.inbox import Delivery, register_stores, store_deliveries
from shopify_odoo.engine.problems import record_problem
from shopify_odoo.queue import fail, lease_many
from shopify_odoo.store import migrate
from shopify_odoo.store.database import open_database
from shopify_odoo.store.tables import errors_for_people, jobs, webhook_inbox
from shopify_odoo.store.types import utcnow

from .test_run_stop import CONFIG

runner = CliRunner()
ORDER_BODY = (
    b'{"id": 77, "admin_graphql_api_id": "gid://shopify/Order/77", "name": "#1077",'
    b' "line_items": []}'
)


async def _prepare(url: str) -> None:
    await migrate.upgrade(url)
    db = await open_database(url)
    await register_stores(db, settings_from_mapping(CONFIG))
    async with db.begin() as conn:
        # an order parked by its handler: the job is a dead letter and a person is told why
        await conn.execute(
            jobs.insert().values(
                kind="order",
                key="eu:gid://shopify/Order/55",
                lane="default",
                state="pending",
                priority=0,
                not_before=utcnow(),
                attempts=0,
                max_attempts=3,
                rerun=False,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        [lease] = await lease_many(conn, 1)
        await fail(conn, lease, "unknown variant", kind="terminal")
        await record_problem(
            conn,
            store="eu",
            kind="order",
            key="eu:gid://shopify/Order/55",
            cause="unknown_variant",
            message='Order #1055 (store eu) has line "MUG-X" whose variant is linked to no Odoo '
            "product",
            next_step='link it: "shopify-odoo link --sku MUG-X --product <id>"',
        )
        # a signed delivery an older version could not read, kept in the inbox
        await store_deliveries(
            conn,
            [
                Delivery(
                    store="eu",
                    delivery_id="kept-1",
                    topic="orders/create",
                    body=ORDER_BODY,
                    headers={"x-shopify-topic": "orders/create"},
                    received_at=utcnow(),
                    triggered_at=None,
                    dirty=DirtyKeys(),
                    parse_error="the body is not JSON",
                )
            ],
        )
    await db.dispose()


def test_errors_then_reprocess(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    asyncio.run(_prepare(url))
    listed = runner.invoke(app, ["errors", "--database-url", url], catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    assert "unknown_variant" in listed.output
    assert "MUG-X" in listed.output
    assert "webhook_payload" in listed.output
    assert "kept-1" in listed.output
    only = runner.invoke(app, ["errors", "--database-url", url, "--cause", "unknown_variant"])
    assert "webhook_payload" not in only.output

    done = runner.invoke(app, ["reprocess", "--database-url", url], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "1 parked job(s) queued again" in done.output
    assert "1 kept webhook(s) now read, 0 still unreadable" in done.output

    async def state() -> tuple[list[tuple[str, str, str]], list[str], list[tuple[str, bool]]]:
        db = await open_database(url)
        async with db.connect() as conn:
            job_rows = [
                tuple(r) for r in await conn.execute(select(jobs.c.kind, jobs.c.key, jobs.c.state))
            ]
            inbox = [s for (s,) in await conn.execute(select(webhook_inbox.c.state))]
            problems = [
                tuple(r)
                for r in await conn.execute(
                    select(errors_for_people.c.cause, errors_for_people.c.resolved)
                )
            ]
        await db.dispose()
        return job_rows, inbox, problems  # type: ignore[return-value]

    job_rows, inbox, problems = asyncio.run(state())
    assert sorted(job_rows) == [
        ("order", "eu:gid://shopify/Order/55", "pending"),  # the dead letter revived
        ("order", "eu:gid://shopify/Order/77", "pending"),  # the kept webhook, read now
    ]
    assert inbox == ["received"]
    # the order stays open until its job succeeds; the webhook is resolved
    assert sorted(problems) == [("unknown_variant", False), ("webhook_payload", True)]

    again = runner.invoke(app, ["reprocess", "--database-url", url, "--cause", "nothing"])
    assert again.exit_code == 1
    assert "Nothing to reprocess" in again.output
