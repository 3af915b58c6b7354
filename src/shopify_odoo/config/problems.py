"""One configuration problem: where it is, what is wrong, and how to fix it.

Every check of the configuration (types, cross-row rules, credentials) returns ``Problem``
values rather than raising, so a run can report *all* of them at once (STYLE.md §12).  Secret
values never enter a problem: messages show "set"/"missing" instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from shopify_odoo.errors import ConfigError

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A single finding about the configuration.

    ``path`` is the field path in the file (``location_map[3].direction``); ``message`` says
    what is wrong, with the bad value when it is not a secret; ``fix`` is the next step.
    """

    path: str
    message: str
    fix: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.path or "configuration"
        return f"{where}: {self.message}. {self.fix}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def errors_of(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]


def warnings_of(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if not p.is_error]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``word`` (typos, case, dash/underscore), if any."""
    options = list(choices)
    lowered = {c.lower().replace("-", "_"): c for c in options}
    key = word.lower().replace("-", "_")
    if key in lowered:
        return lowered[key]
    cutoff = 0.5 if len(key) <= 3 else 0.6  # one typo in a short handle is half of it
    matches = difflib.get_close_matches(key, list(lowered), n=1, cutoff=cutoff)
    return lowered[matches[0]] if matches else None


def show(value: object) -> str:
    """A value as a person would type it in TOML (strings quoted), shortened if long."""
    if isinstance(value, str):
        text = '"' + value.replace('"', '\\"') + '"'
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(show(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ConfigInvalidError(ConfigError):
    """The configuration has errors; ``items`` holds them as ``Problem`` values.

    ``problems`` (inherited) holds the same problems as one-line strings, for callers that
    only print them.
    """

    def __init__(self, source: str, items: Sequence[Problem]) -> None:
        errors = errors_of(items)
        count = len(errors)
        noun = "problem" if count == 1 else "problems"
        header = f"{source} has {count} {noun}"
        lines = "\n".join(f"  - {p}" for p in errors)
        super().__init__(f"{header}:\n{lines}", problems=[str(p) for p in errors])
        self.items: tuple[Problem, ...] = tuple(items)
        self.source = source
