"""Run both sandboxes together and describe them as one JSON object.

``shopify-odoo sandbox`` and ``shopify-odoo demo`` start the sandboxes through
:func:`run_sandboxes`; tests may too.  The JSON shape is the one the Shopify sandbox issue
fixes: ``{"shopify": {"stores": [...], "control_url"}, "odoo": {"url", "db", "login",
"password", "api_key", "version"}}``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shopify_odoo.sandbox.catalog import Scenario

ODOO_VERSIONS = ("16", "17", "18", "19")


@dataclass
class Sandboxes:
    """The running sandboxes: their handles and the JSON description."""

    shopify: Any
    odoo: Any

    def info(self) -> dict[str, Any]:
        return {"shopify": self.shopify.info(), "odoo": self.odoo.info()}


def odoo_version_string(version: str) -> str:
    """``"17"`` → ``"17.0"``; a full string such as ``"saas~17.1"`` passes through."""
    return f"{version}.0" if version in ODOO_VERSIONS else version


@asynccontextmanager
async def run_sandboxes(
    *,
    stores: int = 2,
    scenario: Scenario = "demo",
    odoo_version: str = "17",
    host: str = "127.0.0.1",
    plan: str = "standard",
    seed: int = 0,
) -> AsyncIterator[Sandboxes]:
    """Start the Shopify sandbox (a port per store) and the Odoo sandbox on ``host``."""
    from shopify_odoo.sandbox.odoo.server import run_odoo_sandbox
    from shopify_odoo.sandbox.shopify.server import run_shopify_sandbox

    async with (
        run_shopify_sandbox(
            stores=stores, scenario=scenario, plan=plan, host=host, seed=seed
        ) as shopify,
        run_odoo_sandbox(
            version=odoo_version_string(odoo_version), scenario=scenario, host=host, seed=seed
        ) as odoo,
    ):
        yield Sandboxes(shopify=shopify, odoo=odoo)


def write_info(info: dict[str, Any], path: Path | None) -> str:
    """Serialise ``info``; write it to ``path`` atomically when given.  Returns the JSON."""
    text = json.dumps(info, indent=2, sort_keys=True)
    if path is not None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(path)
    return text
