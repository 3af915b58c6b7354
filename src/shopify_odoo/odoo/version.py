"""Odoo server versions: ``16.0``, ``17.0+e``, ``saas~17.1+e``, ``saas~19.1+e`` as (major, minor).

Odoo Online runs intermediate ``saas~X.Y`` releases, so every gate compares (major, minor)
tuples, never majors alone (fact sheet, introduction and correction 1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shopify_odoo.errors import TerminalError

_VERSION_RE = re.compile(r"^\s*(?P<saas>saas[~-])?(?P<major>\d+)(?:\.(?P<minor>\d+))?")


@dataclass(frozen=True, slots=True)
class OdooVersion:
    """A parsed server version; compare with :meth:`at_least` or :attr:`tuple`."""

    major: int
    minor: int = 0
    saas: bool = False
    enterprise: bool = False
    raw: str = ""

    @property
    def tuple(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def at_least(self, major: int, minor: int = 0) -> bool:
        return self.tuple >= (major, minor)

    def __str__(self) -> str:
        return self.raw or f"{self.major}.{self.minor}"


def parse_version(value: str) -> OdooVersion:
    """Parse ``server_version`` / ``server_serie`` strings.

    >>> parse_version("saas~17.1+e").tuple
    (17, 1)
    """
    match = _VERSION_RE.match(value or "")
    if match is None:
        raise TerminalError(
            f"Odoo answered an unreadable server version {value!r}",
            cause="odoo_version",
            hint="check that the URL points at an Odoo server (16.0 or later)",
        )
    return OdooVersion(
        major=int(match["major"]),
        minor=int(match["minor"] or 0),
        saas=match["saas"] is not None,
        enterprise="+e" in value,
        raw=value.strip(),
    )


def parse_version_info(info: Sequence[Any]) -> OdooVersion:
    """Parse the 6-element ``server_version_info`` array (correction 1).

    Community ``[16, 0, 0, "final", 0, ""]``, Enterprise ``[17, 0, 0, "final", 0, "e"]``,
    SaaS ``["saas~17", 1, 0, "final", 0, "e"]``.
    """
    if not info:
        raise TerminalError(
            "Odoo answered an empty server_version_info",
            cause="odoo_version",
            hint="check that the URL points at an Odoo server (16.0 or later)",
        )
    first = info[0]
    minor = int(info[1]) if len(info) > 1 and isinstance(info[1], int) else 0
    edition = str(info[5]) if len(info) > 5 and info[5] else ""
    if isinstance(first, str):
        base = parse_version(first)
        raw = f"{first}.{minor}" + ("+e" if edition == "e" else "")
        return OdooVersion(base.major, minor, base.saas, edition == "e", raw)
    raw = f"{int(first)}.{minor}" + ("+e" if edition == "e" else "")
    return OdooVersion(int(first), minor, False, edition == "e", raw)


def version_from_answer(answer: Mapping[str, Any]) -> OdooVersion:
    """Read a ``common.version()`` / ``/web/webclient/version_info`` / ``/web/version`` dict."""
    text = answer.get("server_version") or answer.get("version")
    info = answer.get("server_version_info") or answer.get("version_info")
    if isinstance(text, str) and text:
        parsed = parse_version(text)
        if isinstance(info, list) and info and isinstance(info[0], str) and not parsed.saas:
            return parse_version_info(info)
        return parsed
    if isinstance(info, list):
        return parse_version_info(info)
    raise TerminalError(
        "Odoo's version answer has neither server_version nor server_version_info",
        cause="odoo_version",
        hint="check that the URL points at an Odoo server (16.0 or later)",
    )
