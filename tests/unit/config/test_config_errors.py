"""Broken files, unknown keys and wrong types: the messages a person needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopify_odoo.config import ConfigInvalidError, load_settings
from shopify_odoo.errors import ConfigError

from .helpers import BASE, base, load, problems, to_toml, write


def test_missing_file_suggests_init(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert str(info.value) == (
        f"Configuration file {path} not found (looked in {tmp_path}). Create one with "
        '"shopify-odoo init", or pass --config PATH or set SHOPIFY_ODOO_CONFIG'
    )


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory, not a file"):
        load_settings(tmp_path, env={})


def test_broken_toml_reports_line_and_column(tmp_path: Path) -> None:
    text = to_toml(BASE).replace('login = "bot@example.com"', "login = bot@example.com")
    line = text.splitlines().index("login = bot@example.com") + 1
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert str(info.value) == (
        f"{path}, line {line}, column 9: invalid TOML: Invalid value\n"
        f"    {line} | login = bot@example.com\n"
        "                ^\n"
        "Fix the syntax there: text values need double quotes, true/false are lowercase, "
        "tables are written [name] and list entries [[name]]"
    )
    assert info.value.problems == [f"{path}, line {line}, column 9: invalid TOML: Invalid value"]


def test_broken_toml_never_echoes_a_secret(tmp_path: Path) -> None:
    text = to_toml(BASE).replace('"shpat_us_token"', "shpat_us_token")
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    assert "shpat_us_token" not in str(info.value)
    assert "access_token = <hidden>" in str(info.value)


def test_duplicate_key_in_toml(tmp_path: Path) -> None:
    text = to_toml(BASE).replace("[odoo]\n", '[odoo]\nurl = "https://a.test"\n', 1)
    with pytest.raises(ConfigError, match=r"line 3, column \d+: invalid TOML: Cannot overwrite"):
        load(tmp_path, text)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "shopify-odoo.toml"
    path.write_bytes(b'database_url = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_settings(path, env={})


def test_unknown_keys_everywhere_with_suggestions(tmp_path: Path) -> None:
    data = base(colour="blue")
    data["odoo"]["apikey"] = "k"
    data["stores"][0]["acces_token"] = "shpat_x"
    data["location_map"][0]["directon"] = "two_way"
    data["sync"]["frobnicate"] = 1
    assert problems(tmp_path, data) == [
        'odoo.apikey: unknown key "apikey". Did you mean "api_key"?',
        'stores[0].acces_token: unknown key "acces_token". Did you mean "access_token"?',
        'location_map[0].directon: unknown key "directon". Did you mean "direction"?',
        'sync.frobnicate: unknown key "frobnicate". Remove it; keys allowed here: '
        "odoo_poll_interval, order_poll_interval, reconcile_interval, barcode_fallback, "
        "max_attempts, webhook_base_url, receiver_host, receiver_port, odoo_webhook_secret",
        'colour: unknown key "colour". Remove it; keys allowed here: database_url, token_key, '
        "odoo, stores, location_map, sku_buffers, pools, sync, dashboard, logging",
    ]


def test_wrong_types(tmp_path: Path) -> None:
    data = base(stores="eu")
    data["odoo"]["company_id"] = "main"
    data["location_map"][0].update(buffer="two", enabled="maybe", odoo_locations=5)
    data["sync"]["max_attempts"] = 2.5
    data["sync"]["receiver_port"] = float("inf")
    assert problems(tmp_path, data) == [
        'odoo.company_id: "main" is not a whole number. Write a number without quotes, e.g. 5',
        'stores: "eu" is not a list. Write a list in brackets, e.g. ["WH/Stock"], or [[name]] '
        "tables",
        "location_map[0].odoo_locations: 5 is not a list. Write a list in brackets, e.g. "
        '["WH/Stock"], or [[name]] tables',
        'location_map[0].enabled: "maybe" is not true or false. Write true or false (lowercase, '
        "no quotes)",
        'location_map[0].buffer: "two" is not a whole number. Write a number without quotes, '
        "e.g. 5",
        "sync.max_attempts: 2.5 is not a whole number. Write a number without quotes, e.g. 5",
        "sync.receiver_port: inf is not a finite number. Write a number, e.g. 5",
    ]


def test_missing_required_fields(tmp_path: Path) -> None:
    data = base()
    del data["odoo"]["url"]
    del data["stores"][1]["shop_domain"]
    del data["location_map"][1]["shopify_location"]
    assert problems(tmp_path, data) == [
        "odoo.url: missing: this setting is required (Base URL of Odoo, e.g. "
        "https://mycompany.odoo.com). Add url under odoo",
        "stores[1].shop_domain: missing: this setting is required (Permanent domain, e.g. "
        "acme.myshopify.com). Add shop_domain under stores[1]",
        "location_map[1].shopify_location: missing: this setting is required (Location name, "
        "numeric id or GID). Add shopify_location under location_map[1]",
    ]


def test_missing_odoo_section(tmp_path: Path) -> None:
    data = base()
    del data["odoo"]
    assert problems(tmp_path, data) == [
        "odoo: missing: this setting is required. Add odoo at the top of the file"
    ]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = base(
        database_url="mysql://x",
        pools=[{"name": "WH/Stock", "allocation": "split", "split": {"eu": 70, "us": 20}}],
    )
    data["odoo"]["protocol"] = "jsonrcp"
    data["stores"][0]["shop_domain"] = "acme.com"
    data["location_map"][0].update(direction="both", odoo_locations=["WH/Stock", "WH/Stock/A"])
    data["location_map"].append(
        {"store": "us", "shopify_location": "online", "odoo_locations": ["WH/Stock"]}
    )
    found = problems(tmp_path, data)
    assert [p.split(":")[0] for p in found] == [
        "database_url",
        "odoo.protocol",
        "stores[0].shop_domain",
        "location_map[0].direction",
        "location_map[0].odoo_locations",
        "location_map[2].shopify_location",
        "pools[0].split",
    ]


def test_secret_values_never_appear_in_problems(tmp_path: Path) -> None:
    data = base(dashboard={"host": "0.0.0.0", "session_secret": ["dash-secret-xyz"]})
    data["odoo"].update(api_key=12345678, password="pw-secret-xyz", protocol="json2")
    data["stores"][0].update(client_secret={"v": "client-secret-xyz"}, access_token="tok-xyz1")
    data["stores"][1].update(webhook_secret=987654321, refresh_token="refresh-xyz")
    with pytest.raises(ConfigInvalidError) as info:
        load(tmp_path, data, env={"SHOPIFY_ODOO_DASHBOARD__TOKEN": "[1,2]"})
    text = str(info.value) + "\n".join(map(str, info.value.items))
    for secret in (
        "12345678",
        "pw-secret-xyz",
        "client-secret-xyz",
        "tok-xyz1",
        "987654321",
        "refresh-xyz",
        "dash-secret-xyz",
        "[1,2]",
    ):
        assert secret not in text
    assert "odoo.api_key: the value is not text" in text
