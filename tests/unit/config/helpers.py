"""Build configuration files for tests from plain data, and load them."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from shopify_odoo.config import ConfigInvalidError, Settings, load_settings


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {_value(v)}' for k, v in value.items()) + " }"
    return str(value)


def to_toml(data: Mapping[str, Any]) -> str:
    """TOML for our shapes: scalars, [tables] of scalars, [[arrays]] of tables."""
    top: list[str] = []
    rest: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict):
            rest.append(f"[{key}]")
            rest += [f"{k} = {_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                rest.append(f"[[{key}]]")
                rest += [f"{k} = {_value(v)}" for k, v in item.items()]
        else:
            top.append(f"{key} = {_value(value)}")
    return "\n".join(top + rest) + "\n"


BASE: dict[str, Any] = {
    "odoo": {
        "url": "https://mycompany.odoo.com",
        "database": "mycompany",
        "login": "bot@example.com",
        "api_key": "odoo-key-1234",
    },
    "stores": [
        {
            "handle": "eu",
            "shop_domain": "acme-eu.myshopify.com",
            "client_id": "cid-eu",
            "client_secret": "shpss_eu_secret",
        },
        {
            "handle": "us",
            "shop_domain": "acme-us.myshopify.com",
            "access_token": "shpat_us_token",
            "webhook_secret": "us-webhook-key",
        },
    ],
    "location_map": [
        {"store": "eu", "shopify_location": "Online", "odoo_locations": ["WH/Stock"]},
        {"store": "us", "shopify_location": "Online", "odoo_locations": ["WH/Stock"]},
    ],
    "sync": {"webhook_base_url": "https://connector.example.com"},
}


def base(**changes: Any) -> dict[str, Any]:
    """A deep copy of the valid base configuration with top-level keys replaced."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return data


def write(tmp_path: Path, data: Mapping[str, Any] | str, name: str = "shopify-odoo.toml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else to_toml(data), encoding="utf-8")
    return path


def load(
    tmp_path: Path, data: Mapping[str, Any] | str, env: Mapping[str, str] | None = None
) -> Settings:
    return load_settings(write(tmp_path, data), env=env or {})


def problems(
    tmp_path: Path, data: Mapping[str, Any] | str, env: Mapping[str, str] | None = None
) -> list[str]:
    """The error lines of an invalid configuration (fails the test if it is valid)."""
    with pytest.raises(ConfigInvalidError) as info:
        load(tmp_path, data, env)
    return [str(p) for p in info.value.items if p.is_error]


def warnings(settings: Settings) -> list[str]:
    return [str(p) for p in settings.warnings]
