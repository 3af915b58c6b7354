"""Fixtures that run the Odoo sandbox over loopback, and in-process worlds for unit tests.

``odoo_sandbox`` yields a running :class:`OdooSandbox` (default profile 17.0); parametrise it
indirectly to pick the version::

    @pytest.mark.parametrize("odoo_sandbox", ["16.0", "19.0"], indirect=True)
    async def test_x(odoo_sandbox): ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from shopify_odoo.sandbox.odoo import (
    OdooSandbox,
    OdooSandboxDriver,
    World,
    build_world,
    run_odoo_sandbox,
)
from shopify_odoo.sandbox.odoo.dispatch import Dispatcher

ODOO_VERSIONS = ("16.0", "17.0", "18.0", "19.0", "saas~17.1")


@pytest.fixture
async def odoo_sandbox(request: pytest.FixtureRequest) -> AsyncIterator[OdooSandbox]:
    version = getattr(request, "param", "17.0")
    async with run_odoo_sandbox(version=version, scenario="small") as handle:
        yield handle


@pytest.fixture
async def odoo_driver(odoo_sandbox: OdooSandbox) -> AsyncIterator[OdooSandboxDriver]:
    async with OdooSandboxDriver(odoo_sandbox.url) as driver:
        yield driver


class InProcessOdoo:
    """Calls the sandbox's service layer directly (no sockets): ``odoo(model, method, ...)``."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.dispatcher = Dispatcher(world)

    def __call__(self, model: str, method: str, *args: Any, uid: int = 2, **kwargs: Any) -> Any:
        return self.dispatcher.call(uid, model, method, list(args), dict(kwargs))

    def uid(self, login: str) -> int:
        return min(self.world.models["res.users"].table.ids_where("login", login))


@pytest.fixture
def odoo_world() -> Callable[..., InProcessOdoo]:
    """Factory: ``odoo_world("16.0")`` → an in-process sandbox on the small scenario."""

    def make(version: str = "17.0", scenario: str = "small") -> InProcessOdoo:
        return InProcessOdoo(build_world(version, scenario))  # type: ignore[arg-type]

    return make
