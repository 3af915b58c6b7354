"""Marking which model methods the external API may call (§2.1) and how."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

Op = Literal["read", "write", "create", "unlink"]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class RpcSpec:
    #: ``@api.model``: no ids are taken from ``args[0]`` (§1.2, §2.4)
    model_level: bool = False
    #: the access right checked before the call (ir.model.access)
    op: Op = "read"
    since: tuple[int, int] | None = None
    until: tuple[int, int] | None = None
    #: §1.2 / correction 4: a method that really returns None (XML-RPC then faults)
    returns_none: bool = False
    #: name-translated keyword arguments per version, e.g. name_search's args/domain
    readonly: bool = False


def rpc(
    *,
    model: bool = False,
    op: Op = "write",
    since: tuple[int, int] | None = None,
    until: tuple[int, int] | None = None,
    returns_none: bool = False,
) -> Callable[[F], F]:
    """Expose a model method to the external API (every non-private Odoo method is)."""

    def mark(fn: F) -> F:
        fn._rpc = RpcSpec(  # type: ignore[attr-defined]
            model_level=model, op=op, since=since, until=until, returns_none=returns_none
        )
        return fn

    return mark
