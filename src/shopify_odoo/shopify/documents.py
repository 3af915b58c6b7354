"""The GraphQL operations of the client, one ``.graphql`` file each, loaded by name.

Every file under ``graphql/`` is validated against the real 2026-04 schema by
``../shared/tools/check_graphql.py``.  A file may open with ``# requested-cost: N``: a hand-made
estimate of Shopify's requested cost (fact sheet §b.1, corrections 1-2) that the rate limiter uses
until the first answer tells it the real figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from shopify_odoo.errors import TerminalError

_COST = re.compile(r"^#\s*requested-cost:\s*(\d+)\s*$", re.MULTILINE)
_OPERATION = re.compile(r"^\s*(query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
#: used when a file declares no estimate; the first answer replaces it
DEFAULT_REQUESTED_COST = 50


@dataclass(frozen=True)
class Document:
    """One operation: its file name, operation name, kind, text and cost estimate."""

    name: str
    operation_name: str
    kind: str  # "query" | "mutation"
    text: str
    requested_cost: int


@cache
def load(name: str) -> Document:
    """The operation in ``graphql/<name>.graphql``; raises TerminalError when it does not exist."""
    path = resources.files(__package__).joinpath("graphql", f"{name}.graphql")
    if not path.is_file():
        raise TerminalError(
            f"GraphQL operation {name!r} not found in shopify_odoo/shopify/graphql/",
            cause="internal",
            hint="this is a bug in the connector; report it",
        )
    text = path.read_text(encoding="utf-8")
    match = _OPERATION.search(text)
    if match is None:
        raise TerminalError(
            f"graphql/{name}.graphql holds no named query or mutation", cause="internal"
        )
    cost = _COST.search(text)
    return Document(
        name=name,
        operation_name=match.group(2),
        kind=match.group(1),
        text=text,
        requested_cost=int(cost.group(1)) if cost else DEFAULT_REQUESTED_COST,
    )


def names() -> list[str]:
    """Every operation file name (without ``.graphql``), sorted."""
    folder = resources.files(__package__).joinpath("graphql")
    return sorted(
        p.name[: -len(".graphql")] for p in folder.iterdir() if p.name.endswith(".graphql")
    )
