"""Load the settings once: TOML file, then ``SHOPIFY_ODOO_*`` environment on top.

Order of precedence (last wins): defaults, the TOML file, nested environment variables
(``SHOPIFY_ODOO_ODOO__API_KEY``, parsed by pydantic-settings), then per-store secrets
(``SHOPIFY_ODOO_STORE_<HANDLE>_ACCESS_TOKEN`` and the like).  Every problem is collected and
raised together as ``ConfigInvalidError``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_settings import EnvSettingsSource
from pydantic_settings.exceptions import SettingsError

from shopify_odoo.errors import ConfigError

from .checks import check_all, check_settings
from .credentials import STORE_ENV_FIELDS, store_env_var
from .messages import SECRET_KEY, problems_from_validation, with_origin
from .models import (
    DEFAULT_CONFIG_FILE,
    ENV_PREFIX,
    DashboardSettings,
    LocationRow,
    OdooSettings,
    PoolSettings,
    Settings,
    SkuBuffer,
    StoreSettings,
    SyncSettings,
)
from .problems import ConfigInvalidError, Problem, did_you_mean, errors_of, show, warnings_of

CONFIG_ENV = f"{ENV_PREFIX}CONFIG"
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def resolve_config_path(path: Path | None, env: Mapping[str, str]) -> Path:
    """``path`` if given, else ``SHOPIFY_ODOO_CONFIG``, else ``shopify-odoo.toml`` here."""
    if path is not None:
        return path
    from_env = env.get(CONFIG_ENV, "").strip()
    return Path(from_env) if from_env else Path(DEFAULT_CONFIG_FILE)


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed file, or a ``ConfigError`` saying what is wrong and where."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"Configuration file {path} not found (looked in {path.absolute().parent}). "
            f'Create one with "shopify-odoo init", or pass --config PATH or set {CONFIG_ENV}',
            problems=[f"{path}: not found"],
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"Configuration path {path} is a directory, not a file",
            problems=[f"{path}: is a directory"],
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"Configuration file {path} cannot be read: {exc.strerror}",
            problems=[f"{path}: {exc.strerror}"],
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"Configuration file {path} is not UTF-8 text (byte {exc.start}): save it as UTF-8",
            problems=[f"{path}: not UTF-8"],
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, text, exc) from None


def _toml_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    reason = str(exc)
    position = _TOML_POSITION.search(reason)
    reason = _TOML_POSITION.sub("", reason).strip()
    fix = (
        "Fix the syntax there: text values need double quotes, true/false are lowercase, "
        "tables are written [name] and list entries [[name]]"
    )
    if position is None:
        message = f"{path} is not valid TOML: {reason}"
        return ConfigError(f"{message}. {fix}", problems=[message])
    line_no, column = int(position.group(1)), int(position.group(2))
    lines = text.splitlines()
    shown = _redact_line(lines[line_no - 1]) if 0 < line_no <= len(lines) else ""
    where = f"{path}, line {line_no}, column {column}"
    message = f"{where}: invalid TOML: {reason}"
    gutter = f"{line_no:>5} | "
    excerpt = f"{gutter}{shown}\n{' ' * (len(gutter) + column - 1)}^"
    return ConfigError(f"{message}\n{excerpt}\n{fix}", problems=[message])


def _redact_line(line: str) -> str:
    """A source line for an error message, with the value hidden if the key names a secret."""
    key = line.split("=", 1)[0]
    if "=" in line and SECRET_KEY.search(key):
        return f"{key.rstrip()} = <hidden>"
    return line


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' environment parsing, over a given mapping instead of os.environ."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._given = {k.lower(): v for k, v in env.items()}
        super().__init__(
            Settings,
            case_sensitive=False,
            env_prefix=ENV_PREFIX,
            env_nested_delimiter="__",
            env_ignore_empty=True,
        )

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return self._given


def _env_layer(env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    """Values from nested ``SHOPIFY_ODOO_*`` variables, their origins by path, and problems."""
    origins: dict[str, str] = {}
    for name in env:
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or not env[name]:
            continue
        parts = upper[len(ENV_PREFIX) :].lower().split("__")
        if parts[0] in Settings.model_fields:
            origins[".".join(parts)] = upper
    try:
        values = _MappingEnvSource(env)()
    except SettingsError as exc:
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"{ENV_PREFIX}{field.group(1).upper()}" if field else f"{ENV_PREFIX}*"
        problem = Problem(
            name,
            "is not valid JSON (lists and tables given by environment are JSON)",
            "Write it as JSON (a list [...] of tables {...}, or one table {...}), or set the "
            "value in the TOML file",
        )
        return {}, origins, [problem]
    return values, origins, []


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _store_env(
    data: dict[str, Any], env: Mapping[str, str], origins: dict[str, str]
) -> list[Problem]:
    """Apply ``SHOPIFY_ODOO_STORE_<HANDLE>_<FIELD>`` variables to the stores of ``data``.

    ``data["stores"]`` is replaced by a new list; the caller's list is left as it was.
    """
    stores = data.get("stores")
    if isinstance(stores, list):
        stores = list(stores)
        data["stores"] = stores
    else:
        stores = []
    by_env_handle: dict[str, int] = {}
    for i, store in enumerate(stores):
        if isinstance(store, dict) and isinstance(store.get("handle"), str):
            by_env_handle.setdefault(store["handle"].upper().replace("-", "_"), i)
    problems: list[Problem] = []
    prefix = f"{ENV_PREFIX}STORE_"
    for name, value in sorted(env.items()):
        upper = name.upper()
        if not upper.startswith(prefix) or not value:
            continue
        rest = upper[len(prefix) :]
        field = next((f for f in STORE_ENV_FIELDS if rest.endswith("_" + f.upper())), None)
        if field is None:
            problems.append(
                Problem(
                    upper,
                    "does not end with a store field this variable can set",
                    "Use SHOPIFY_ODOO_STORE_<HANDLE>_<FIELD> with FIELD one of "
                    + ", ".join(f.upper() for f in STORE_ENV_FIELDS),
                    "warning",
                )
            )
            continue
        handle_part = rest[: -len(field) - 1]
        index = by_env_handle.get(handle_part)
        if index is None:
            guess = did_you_mean(handle_part, list(by_env_handle))
            fix = (
                f"Did you mean {store_env_var(guess, field)}?"
                if guess
                else "Add the store as a [[stores]] table, or unset the variable"
            )
            problems.append(
                Problem(
                    upper,
                    f"is set but no store has the handle {show(handle_part.lower())}",
                    fix,
                    "warning",
                )
            )
            continue
        stores[index] = {**stores[index], field: value}
        origins[f"stores[{index}].{field}"] = upper
    return problems


def _best_effort(model: type[BaseModel], value: Any) -> tuple[Any, set[str]]:
    """``value`` validated, dropping top-level keys with type errors once (their defaults are
    used), so cross-row rules still run on the rest of a broken row.  Returns the model (or
    None) and the dropped keys."""
    if not isinstance(value, dict):
        return None, set()
    try:
        return model.model_validate(value), set()
    except ValidationError as exc:
        dropped = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    try:
        kept = {k: v for k, v in value.items() if k not in dropped}
        return model.model_validate(kept), dropped
    except ValidationError:
        return None, dropped


def _partial_checks(data: Mapping[str, Any]) -> list[Problem]:
    """Cross-row rules over what passed type validation (when something did not).

    Problems about a field that already has a type error are left out: they would only
    repeat it in other words.
    """
    skip: set[str] = set()

    def items(name: str, model: type[BaseModel]) -> list[tuple[int, Any]]:
        value = data.get(name)
        out: list[tuple[int, Any]] = []
        for i, item in enumerate(value if isinstance(value, list) else []):
            parsed, dropped = _best_effort(model, item)
            skip.update(f"{name}[{i}].{key}" for key in dropped)
            if parsed is not None:
                out.append((i, parsed))
        return out

    def section(name: str, model: type[BaseModel]) -> Any:
        parsed, dropped = _best_effort(model, data.get(name, {}))
        skip.update(f"{name}.{key}" for key in dropped)
        return parsed

    raw_stores = data.get("stores", [])
    readable = isinstance(raw_stores, list)
    handles = (
        [
            s["handle"]
            for s in raw_stores
            if isinstance(s, dict) and isinstance(s.get("handle"), str)
        ]
        if readable
        else None
    )
    found = check_all(
        odoo=section("odoo", OdooSettings) if "odoo" in data else None,
        stores=items("stores", StoreSettings),
        rows=items("location_map", LocationRow),
        pools=items("pools", PoolSettings),
        sku_buffers=items("sku_buffers", SkuBuffer),
        dashboard=section("dashboard", DashboardSettings),
        sync=section("sync", SyncSettings),
        handles=handles,
        store_count=len(raw_stores) if readable else None,
    )
    return [p for p in found if not any(p.path == k or p.path.startswith(k + ".") for k in skip)]


_SECTION_ORDER = {name: i for i, name in enumerate(Settings.model_fields)}
_PATH_HEAD = re.compile(r"^(\w+)(?:\[(\d+)\])?")


def _order(problem: Problem) -> tuple[int, int]:
    """Problems sorted the way the file reads: by section, then row."""
    head = _PATH_HEAD.match(problem.path)
    if head is None or head.group(1) not in _SECTION_ORDER:
        return (len(_SECTION_ORDER), 0)
    return (_SECTION_ORDER[head.group(1)], int(head.group(2) or 0))


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read, merge and validate the configuration; raise ``ConfigError`` listing every problem.

    ``path`` defaults to ``SHOPIFY_ODOO_CONFIG`` or ``shopify-odoo.toml`` in the working
    directory; ``env`` defaults to ``os.environ``.  Warnings are kept on ``Settings.warnings``.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    config_path = resolve_config_path(path, environ)
    return settings_from_mapping(read_toml(config_path), environ, config_path)


def settings_from_mapping(
    data: Mapping[str, Any], env: Mapping[str, str] | None = None, source: Path | None = None
) -> Settings:
    """Validate already parsed configuration data (as the TOML file would give it).

    The environment layers apply as in ``load_settings`` (``env`` defaults to none here, so
    generated configurations are checked as written).  ``source`` only names the file in
    messages.
    """
    environ: Mapping[str, str] = env or {}
    file_paths = _secret_paths(data)
    env_values, origins, problems = _env_layer(environ)
    merged = _deep_merge(dict(data), env_values)
    problems += _store_env(merged, environ, origins)
    label = f"Configuration {source}" if source else "Configuration"
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        problems = problems_from_validation(exc, origins=origins) + problems
        problems += [with_origin(p, origins) for p in _partial_checks(merged)]
        raise ConfigInvalidError(label, sorted(problems, key=_order)) from None
    problems += [with_origin(p, origins) for p in check_settings(settings)]
    problems += _placeholders(merged)
    problems.sort(key=_order)
    if errors_of(problems):
        raise ConfigInvalidError(label, problems)
    settings._source = source
    settings._warnings = tuple(warnings_of(problems))
    settings._secret_origins = {
        p: origins.get(p, "file")
        for p in _secret_paths(settings.model_dump())
        if p in origins or p in file_paths
    }
    return settings


PLACEHOLDER = "REPLACE-ME"


def _placeholders(data: Any, prefix: str = "") -> list[Problem]:
    """Warnings for values still holding the placeholder that ``init`` writes."""
    found: list[Problem] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _placeholders(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _placeholders(value, f"{prefix}[{i}]")
    elif isinstance(data, str) and PLACEHOLDER in data.upper():
        found.append(
            Problem(
                prefix,
                "still holds the placeholder written by shopify-odoo init",
                "Put the real value here or in its environment variable",
                "warning",
            )
        )
    return found


def _secret_paths(data: Any, prefix: str = "") -> set[str]:
    """Paths of secret-named keys holding a non-empty value."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if SECRET_KEY.search(str(key)) and value:
                found.add(path)
            found |= _secret_paths(value, path)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found |= _secret_paths(value, f"{prefix}[{i}]")
    return found
