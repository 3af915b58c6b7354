"""Local Odoo 16-19 external API (issue 5): XML-RPC, JSON-RPC, web session routes and JSON-2
over an in-memory database seeded from the shared SKU catalogue.

Public entry points: :func:`run_odoo_sandbox` (async context manager yielding an
:class:`OdooSandbox` handle) and :class:`OdooSandboxDriver` (the control API).
"""

from .driver import OdooSandboxDriver
from .seed import build_world
from .server import OdooSandbox, run_odoo_sandbox
from .versions import VersionProfile, parse_version
from .world import World

__all__ = [
    "OdooSandbox",
    "OdooSandboxDriver",
    "VersionProfile",
    "World",
    "build_world",
    "parse_version",
    "run_odoo_sandbox",
]
