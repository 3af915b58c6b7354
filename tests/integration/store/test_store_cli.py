"""``db upgrade``, ``jobs`` and ``status`` as a person runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from shopify_odoo.cli.app import app
from shopify_odoo.queue import enqueue, enqueue_many, fail, lease_many
from shopify_odoo.store import migrate
from shopify_odoo.store.database import open_database

runner = CliRunner()


def run(args: Sequence[str], url: str | None = None) -> Result:
    env = {"SHOPIFY_ODOO_DATABASE_URL": url} if url else {}
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite3'}"
    server, schema = request.getfixturevalue("pg_schema")
    return f"{server}?schema={schema}"


async def _seed(url: str) -> int:
    """Three pending jobs in two lanes and one dead letter; returns the dead job's id."""
    db = await open_database(url)
    try:
        async with db.begin() as conn:
            await enqueue_many(conn, [("stock", "A"), ("stock", "B")], lane="eu")
            await enqueue(conn, "order", "us/1001", lane="us")
            await enqueue(conn, "order", "us/1002", lane="us", priority=9)
        async with db.begin() as conn:
            (lease,) = await lease_many(conn, 1)
            await fail(
                conn,
                lease,
                'SKU "X-1" has no Odoo product: link it with "shopify-odoo link"',
                kind="terminal",
            )
        return lease.job_id
    finally:
        await db.dispose()


def test_upgrade_then_list_retry_purge_and_status(url: str) -> None:
    up = run(["db", "upgrade"], url)
    assert up.exit_code == 0, up.output
    assert f"is at revision {migrate.head_revision()} (current)" in up.stdout
    assert run(["db", "upgrade"], url).exit_code == 0
    assert f"code needs {migrate.head_revision()}: current" in run(["db", "current"], url).stdout
    dead_id = asyncio.run(_seed(url))

    listed = run(["jobs", "list", "--state", "dead"], url)
    assert listed.exit_code == 0, listed.output
    assert "us/1002" in listed.stdout
    assert 'SKU "X-1" has no Odoo product' in listed.stdout
    assert "stock" not in listed.stdout

    status = run(["status"], url)
    assert status.exit_code == 0, status.output
    assert "Work queue" in status.stdout
    assert "dead letters" in status.stdout
    assert "jobs retry --all-dead" in status.stdout
    figures = json.loads(run(["status", "--json"], url).stdout)["Work queue"]["figures"]
    assert (figures["pending"], figures["dead"]) == (3, 1)
    assert figures["lanes"] == {"eu": {"pending": 2}, "us": {"pending": 1, "dead": 1}}

    retried = run(["jobs", "retry", str(dead_id)], url)
    assert retried.exit_code == 0, retried.output
    assert "1 dead job(s) queued again." in retried.stdout
    again = run(["jobs", "retry", str(dead_id)], url)
    assert again.exit_code == 1
    assert "is pending, not a dead letter" in again.stderr

    assert "0 dead job(s) purged." in run(["jobs", "purge"], url).stdout
    assert "us/1002" in run(["jobs", "list", "--lane", "us"], url).stdout


def test_retry_needs_ids_or_all_dead(url: str) -> None:
    run(["db", "upgrade"], url)
    result = run(["jobs", "retry"], url)
    assert result.exit_code == 1
    assert result.stderr.startswith('Error: Name the jobs to retry ("shopify-odoo jobs retry 12')
    missing = run(["jobs", "retry", "424242"], url)
    assert missing.exit_code == 1
    assert "There is no job 424242" in missing.stderr


def test_commands_on_a_database_never_upgraded_say_what_to_run(url: str) -> None:
    result = run(["jobs", "list"], url)
    assert result.exit_code == 2
    assert 'run "shopify-odoo db upgrade"' in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (
            "postgresql://bob:s3cret-pw@127.0.0.1:1/x",
            'Cannot connect to the state database "postgresql://bob:***@127.0.0.1:1/x"',
        ),
        ("mysql://bob:s3cret-pw@db/x", 'The database URL "mysql://bob:***@db/x" uses "mysql"'),
        ("sqlite:///no/such/folder/state.db", "check that the folder exists and is writable"),
        ("not a url", "cannot be parsed"),
    ],
)
def test_a_wrong_database_url_gives_one_line_and_no_secret(bad: str, expected: str) -> None:
    result = run(["db", "upgrade", "--database-url", bad])
    assert result.exit_code == 2
    first, *rest = result.stderr.splitlines()
    assert first.startswith("Error: ")
    assert expected in first
    assert rest == ["(run with --debug for details)"]
    assert "s3cret-pw" not in result.output
    assert "Traceback" not in result.output


@pytest.mark.postgres
def test_a_wrong_postgresql_user_names_the_fix(pg_server_url: str) -> None:
    bad = pg_server_url.replace("://", "://no_such_role_x:pw@", 1)
    result = run(["status", "--database-url", bad])
    assert result.exit_code == 2
    assert "check the user name and password in the URL" in result.stderr
