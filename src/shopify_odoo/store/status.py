"""``shopify-odoo status`` (and the dashboard) gathered from contributors.

Each part of the connector registers a contributor with :func:`status_contributor`: an async
function of the open state database returning a :class:`StatusSection`.  The queue registers
its own in ``shopify_odoo.queue.status``; the engine, orders, webhooks… add theirs the same way
(and import their module where the ``status`` command is defined).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from shopify_odoo.store.database import Database


@dataclass(frozen=True, slots=True)
class StatusSection:
    title: str
    #: (label, value) pairs, shown in order
    rows: tuple[tuple[str, str], ...] = ()
    #: things a person should look at, each with its next step
    attention: tuple[str, ...] = field(default=())
    #: machine-readable figures for ``status --json`` and the dashboard
    figures: dict[str, object] = field(default_factory=dict)


StatusContributor = Callable[[Database], Awaitable[StatusSection]]

_CONTRIBUTORS: dict[str, tuple[int, StatusContributor]] = {}


def status_contributor(
    name: str, *, order: int = 100
) -> Callable[[StatusContributor], StatusContributor]:
    """Register ``fn`` as the status section ``name`` (lower ``order`` shows first)."""

    def register(fn: StatusContributor) -> StatusContributor:
        _CONTRIBUTORS[name] = (order, fn)
        return fn

    return register


def contributors() -> list[tuple[str, StatusContributor]]:
    return [(name, fn) for name, (_o, fn) in sorted(_CONTRIBUTORS.items(), key=lambda i: i[1][0])]


async def collect_status(db: Database) -> list[StatusSection]:
    """Every registered section, in order; a failing contributor shows as its own problem."""
    sections = []
    for name, fn in contributors():
        try:
            sections.append(await fn(db))
        except Exception as exc:
            sections.append(
                StatusSection(
                    title=name,
                    attention=(f"could not read {name} status: {type(exc).__name__}: {exc}",),
                )
            )
    return sections
