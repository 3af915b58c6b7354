"""Pydantic's validation errors turned into problems a person can act on.

Each error becomes one ``Problem`` with the field path (``location_map[3].direction``), the
bad value (never for a secret-named field), and the fix: a "did you mean" for unknown keys
and enum values, the expected form for wrong types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .models import Settings
from .problems import Problem, did_you_mean, show

SECRET_KEY = re.compile(r"(token|secret|password|api_key|apikey|hash)", re.IGNORECASE)

Loc = tuple[str | int, ...]


def format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _unwrap(annotation: Any) -> Any:
    """The model or Literal inside ``list[X]``, ``X | None``, ``Annotated[X, ...]``."""
    while True:
        origin = get_origin(annotation)
        args = [a for a in get_args(annotation) if a is not type(None)]
        if origin is None or not args:
            return annotation
        if str(origin).endswith("Literal"):
            return annotation
        if origin is dict:
            annotation = args[-1]
            continue
        annotation = args[0]


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class found at ``loc`` (list indexes skipped); ``Settings`` for ``()``."""
    model: Any = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _unwrap(field.annotation)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
    return model  # type: ignore[no-any-return]


def _annotation_at(loc: Loc) -> Any:
    parent = _model_at(loc[:-1])
    key = loc[-1] if loc else None
    if parent is None or not isinstance(key, str) or key not in parent.model_fields:
        return None
    return _unwrap(parent.model_fields[key].annotation)


_EXPECTED: dict[str, tuple[str, str]] = {
    "int": ("a whole number", "Write a number without quotes, e.g. 5"),
    "float": ("a number", "Write a number without quotes, e.g. 2.5"),
    "bool": ("true or false", "Write true or false (lowercase, no quotes)"),
    "string": ("text", 'Put the text in double quotes, e.g. "WH/Stock"'),
    "list": ("a list", 'Write a list in brackets, e.g. ["WH/Stock"], or [[name]] tables'),
    "dict": ("a table", "Write a table, e.g. split = { eu = 60, us = 40 }"),
    "model": ("a table", "Write it as a [section] table, or a [[list]] entry"),
    "decimal": ("a number", "Write a number without quotes, e.g. 60"),
}


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return show(value)


def _problem_from_error(err: Mapping[str, Any], loc: Loc, secret: bool) -> Problem:
    path = format_loc(loc)
    kind: str = err["type"]
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    value = "the value" if secret else _describe(err.get("input"))
    key = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "config":
        return Problem(path, str(ctx["message"]), str(ctx["fix"]))
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = list(parent.model_fields) if parent else []
        guess = did_you_mean(key, allowed)
        fix = (
            f"Did you mean {show(guess)}?"
            if guess
            else "Remove it; keys allowed here: " + ", ".join(allowed)
        )
        return Problem(path, f"unknown key {show(key)}", fix)
    if kind == "missing":
        parent = _model_at(loc[:-1])
        field = parent.model_fields.get(key) if parent else None
        about = f" ({field.description})" if field and field.description else ""
        where = format_loc(loc[:-1])
        target = f"under {where}" if where else "at the top of the file"
        return Problem(path, f"missing: this setting is required{about}", f"Add {key} {target}")
    if kind == "literal_error":
        annotation = _annotation_at(loc)
        choices = [str(a) for a in get_args(annotation)]
        guess = did_you_mean(str(err.get("input")), choices) if not secret else None
        fix = "Use one of: " + ", ".join(choices) if choices else "See the allowed values"
        if guess:
            fix = f"Did you mean {show(guess)}? " + fix
        return Problem(path, f"{value} is not a valid {key}", fix)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than_equal": "<=",
            "less_than": "<",
        }
        limit = next(iter(ctx.values()), "")
        return Problem(path, f"{value} is out of range", f"Use a value {bound[kind]} {limit}")
    if kind in ("string_too_short", "too_short"):
        return Problem(path, "is empty", "Give a value")
    if kind == "finite_number":
        return Problem(path, f"{value} is not a finite number", "Write a number, e.g. 5")
    for prefix, (expected, fix) in _EXPECTED.items():
        if kind.startswith(prefix) and kind.endswith(("_type", "_parsing", "_from_float")):
            return Problem(path, f"{value} is not {expected}", fix)
    return Problem(
        path, f"{value}: {err.get('msg', 'invalid')}", "See docs/reference/configuration.md"
    )


def problems_from_validation(
    exc: ValidationError, prefix: Loc = (), origins: Mapping[str, str] | None = None
) -> list[Problem]:
    """Turn pydantic's errors into problems (one per field path), secrets never shown."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        loc: Loc = prefix + tuple(p for p in err["loc"] if isinstance(p, int) or "[" not in p)
        secret = any(isinstance(p, str) and SECRET_KEY.search(p) for p in loc)
        problem = _problem_from_error(err, loc, secret)
        if problem.path in seen:
            continue
        seen.add(problem.path)
        problems.append(with_origin(problem, origins or {}))
    return problems


def with_origin(problem: Problem, origins: Mapping[str, str]) -> Problem:
    """Name the environment variable a problem's value came from, if it did."""
    path = problem.path
    candidates = [p for p in origins if path == p or path.startswith((p + ".", p + "["))]
    if candidates:
        var = origins[max(candidates, key=len)]
    else:
        # a variable below the problem's path (SHOPIFY_ODOO_STORES__0__HANDLE made ``stores``
        # a table): name it too
        below = sorted(p for p in origins if path and p.startswith(path + "."))
        if not below:
            return problem
        var = origins[below[0]]
    return Problem(path, f"{problem.message} (from {var})", problem.fix, problem.severity)
