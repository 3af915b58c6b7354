"""Location-map rows saved from the dashboard: same rules and messages as the configuration
file, used by the running runtime at once, kept across a restart, audited, revertible."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shopify_odoo.config import ConfigInvalidError, LocationRow, settings_from_mapping
from shopify_odoo.engine.dashboard_locations import MapEditor
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.store import migrate
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.store.tables import audit_log

from .conftest import config


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no remote call expected, got {request.url}")


async def runtime(data: dict[str, Any], db: Database) -> Runtime:
    transport = httpx.MockTransport(no_network)
    settings = settings_from_mapping(data)
    await register_stores(db, settings)
    return await Runtime.open(
        settings,
        db=db,
        shopify_transports={"eu": transport, "us": transport},
        odoo_transport=transport,
    )


@pytest.fixture
async def setup(tmp_path: Path, db_url: str) -> AsyncIterator[tuple[dict[str, Any], Database]]:
    await migrate.upgrade(db_url)
    db = await open_database(db_url)
    try:
        yield config(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"), db
    finally:
        await db.dispose()


async def test_saved_rows_are_used_at_once_and_after_a_restart(
    setup: tuple[dict[str, Any], Database],
) -> None:
    data, db = setup
    rt = await runtime(data, db)
    editor = MapEditor(rt)
    popup = LocationRow(
        store="eu",
        shopify_location="Popup Store",
        type="retail",
        odoo_locations=["SHOP/Stock"],
        enabled=False,
        notes="cutover next week",
    )
    assert await editor.save(popup, actor="alice (password)") == []
    override = LocationRow(
        store="us", shopify_location="online", odoo_locations=["WH/Stock"], buffer=3
    )
    assert await editor.save(override, actor="alice (password)") == []
    rows = rt.settings.location_map
    assert popup in rows
    assert [r.buffer for r in rows if r.store == "us"] == [3]  # replaced, not added
    assert len(rows) == 3
    entries = await editor.entries()
    assert [(e.origin, e.overrides_config) for e in entries] == [
        ("config", False),
        ("saved", True),
        ("saved", False),
    ]
    async with db.connect() as conn:
        audit = (await conn.execute(select(audit_log).order_by(audit_log.c.id))).all()
    assert [(a.actor, a.action, a.target) for a in audit] == [
        ("alice (password)", "location_map.save", "eu/Popup Store"),
        ("alice (password)", "location_map.save", "us/online"),
    ]

    # a new process (same file, same database) uses the saved rows from start-up
    restarted = await runtime(data, db)
    assert popup not in restarted.settings.location_map
    await MapEditor(restarted).apply_saved()
    assert restarted.settings.location_map == rows

    # revert: the file's row applies again
    assert await editor.revert("us", "online", actor="bob (token)")
    assert [r.buffer for r in rt.settings.location_map if r.store == "us"] == [0]


async def test_an_edit_gets_the_configuration_files_messages(
    setup: tuple[dict[str, Any], Database],
) -> None:
    data, db = setup
    rt = await runtime(data, db)
    editor = MapEditor(rt)
    bad: dict[str, Any] = {
        "store": "eu",
        "shopify_location": "Outlet",
        "odoo_locations": ["WH/Stock/Shelf 1"],  # inside another pool's WH/Stock
        "direction": "sideways",
        "buffer": "-2",
    }
    problems, index = editor.check(await editor.entries(), bad)
    assert index == 2
    # the same row written in the configuration file
    with pytest.raises(ConfigInvalidError) as caught:
        settings_from_mapping({**data, "location_map": [*data["location_map"], bad]})
    from_file = {(p.path, p.message, p.fix) for p in caught.value.items if p.is_error}
    from_dashboard = {(p.path, p.message, p.fix) for p in problems if p.is_error}
    assert from_dashboard
    assert from_dashboard == from_file
    paths = {p for p, _m, _f in from_dashboard}
    assert {"location_map[2].direction", "location_map[2].buffer"} <= paths
    # nothing was saved
    assert await editor.save(LocationRow(store="eu", shopify_location="Outlet"), actor="x")
    assert all(r.shopify_location != "Outlet" for r in rt.settings.location_map)
