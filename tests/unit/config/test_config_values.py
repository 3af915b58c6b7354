"""Values, defaults, normalisation and the environment layer of the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopify_odoo.config import (
    ConfigInvalidError,
    LocationRow,
    Settings,
    example_config,
    load_settings,
    location_key,
)
from shopify_odoo.config.types import parse_duration, redact_url

from .helpers import BASE, base, load, problems, warnings, write


def test_minimal_config_gets_documented_defaults(tmp_path: Path) -> None:
    settings = load(tmp_path, BASE)
    assert settings.database_url == "sqlite+aiosqlite:///shopify-odoo.db"
    assert settings.odoo.protocol == "auto"
    assert settings.odoo.timeout == 30.0
    eu = settings.store("eu")
    assert eu.api_version == "2026-04"
    assert eu.graphql_url == "https://acme-eu.myshopify.com/admin/api/2026-04/graphql.json"
    assert eu.token_url == "https://acme-eu.myshopify.com/admin/oauth/access_token"
    assert settings.sync.reconcile_interval == 3600.0
    assert settings.sync.max_attempts == 10
    assert settings.sync.receiver_host == "127.0.0.1"
    assert settings.location_map[0].direction == "odoo_to_shopify"
    assert settings.location_map[0].pool_name == "WH/Stock"
    assert settings.pool("WH/Stock").allocation == "shared"
    assert settings.source == tmp_path / "shopify-odoo.toml"
    assert warnings(settings) == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@127.0.0.1:5432/test", "postgresql+asyncpg://u@127.0.0.1:5432/test"),
        ("postgres://u@db/x", "postgresql+asyncpg://u@db/x"),
        ("postgresql+psycopg2://u@db/x?schema=s1", "postgresql+asyncpg://u@db/x?schema=s1"),
        ("postgresql+asyncpg://u@db/x", "postgresql+asyncpg://u@db/x"),
        ("sqlite:///state.db", "sqlite+aiosqlite:///state.db"),
        ("state/connector.db", "sqlite+aiosqlite:///state/connector.db"),
        ("/var/lib/so.db", "sqlite+aiosqlite:////var/lib/so.db"),
    ],
)
def test_database_url_is_normalised_to_async_drivers(
    tmp_path: Path, given: str, expected: str
) -> None:
    assert load(tmp_path, base(database_url=given)).database_url == expected


def test_unsupported_database_scheme(tmp_path: Path) -> None:
    assert problems(tmp_path, base(database_url="mysql://u:pw@h/db")) == [
        'database_url: the database scheme "mysql" is not supported. Use '
        '"sqlite+aiosqlite:///path/to/file.db", a file path, or '
        '"postgresql://user@host:5432/dbname"'
    ]


def test_redact_url_hides_the_password() -> None:
    assert redact_url("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"


@pytest.mark.parametrize(
    ("given", "seconds"),
    [
        (90, 90.0),
        ("90", 90.0),
        ("90s", 90.0),
        ("15m", 900.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("1d", 86400.0),
        (0.5, 0.5),
        ("250ms", 0.25),
    ],
)
def test_durations(given: object, seconds: float) -> None:
    assert parse_duration(given) == seconds


@pytest.mark.parametrize("given", ["1 hour", "h", "-5", 0, True, "1h x", "inf", "nan"])
def test_bad_durations_are_refused(tmp_path: Path, given: object) -> None:
    found = problems(tmp_path, base(sync={"reconcile_interval": given}))
    assert len(found) == 1
    assert found[0].startswith("sync.reconcile_interval: ")
    assert found[0].endswith(
        'Give seconds as a number (e.g. 300) or a string like "30s", "15m", "1h", "1h30m"'
    )


def test_shop_domain_is_normalised(tmp_path: Path) -> None:
    data = base()
    data["stores"][0]["shop_domain"] = "https://Acme-EU.myshopify.com/"
    settings = load(tmp_path, data)
    assert settings.store("eu").shop_domain == "acme-eu.myshopify.com"
    found = settings.store_for_domain("ACME-EU.myshopify.com")
    assert found is not None
    assert found.handle == "eu"
    assert settings.store_for_domain("other.myshopify.com") is None


def test_admin_url_allows_a_loopback_sandbox(tmp_path: Path) -> None:
    data = base()
    data["stores"][0].update(shop_domain="eu.sandbox.test", admin_url="http://127.0.0.1:40123/")
    data["odoo"]["url"] = "http://127.0.0.1:40200"
    settings = load(tmp_path, data)
    eu = settings.store("eu")
    assert eu.base_url == "http://127.0.0.1:40123"
    assert eu.graphql_url == "http://127.0.0.1:40123/admin/api/2026-04/graphql.json"
    assert settings.odoo.url == "http://127.0.0.1:40200"


def test_location_references_compare_by_id_or_name() -> None:
    assert location_key("gid://shopify/Location/123") == location_key("123")
    assert location_key(" Paris Shop ") == location_key("paris shop")
    row = LocationRow.model_validate({"store": "eu", "shopify_location": 123})
    assert row.shopify_location == "123"
    single = LocationRow.model_validate(
        {"store": "eu", "shopify_location": "x", "odoo_locations": "WH/Stock"}
    )
    assert single.odoo_locations == ["WH/Stock"]


def test_sku_buffer_most_specific_scope_wins(tmp_path: Path) -> None:
    data = base(
        sku_buffers=[
            {"sku": "TSHIRT-M", "buffer": 5},
            {"sku": "TSHIRT-M", "buffer": 7, "store": "eu"},
            {"sku": "TSHIRT-M", "buffer": 9, "store": "eu", "shopify_location": "online"},
        ]
    )
    data["location_map"][1]["buffer"] = 3
    settings = load(tmp_path, data)
    eu_row, us_row = settings.location_map
    assert settings.buffer_for("TSHIRT-M", eu_row) == 9
    assert settings.buffer_for("TSHIRT-M", us_row) == 5
    assert settings.buffer_for("OTHER", us_row) == 3


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {
        "SHOPIFY_ODOO_ODOO__API_KEY": "from-env-key",
        "SHOPIFY_ODOO_SYNC__ODOO_POLL_INTERVAL": "5m",
        "SHOPIFY_ODOO_DATABASE_URL": "postgresql://u@h/db",
        "SHOPIFY_ODOO_TEST_PG_URL": "ignored: not a setting",
    }
    settings = load(tmp_path, BASE, env)
    assert settings.odoo.api_key is not None
    assert settings.odoo.api_key.get_secret_value() == "from-env-key"
    assert settings.sync.odoo_poll_interval == 300.0
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.secret_origin("odoo.api_key") == "SHOPIFY_ODOO_ODOO__API_KEY"
    assert settings.secret_origin("stores[0].client_secret") == "file"


def test_store_secrets_from_the_environment(tmp_path: Path) -> None:
    data = base()
    data["stores"][1] = {"handle": "us-west", "shop_domain": "acme-us.myshopify.com"}
    data["location_map"][1]["store"] = "us-west"
    env = {
        "SHOPIFY_ODOO_STORE_US_WEST_ACCESS_TOKEN": "shpat_env",
        "SHOPIFY_ODOO_STORE_US_WEST_WEBHOOK_SECRET": "hook-env",
        "SHOPIFY_ODOO_STORE_EU_CLIENT_SECRET": "shpss_env_override",
    }
    settings = load(tmp_path, data, env)
    us = settings.store("us-west")
    assert us.credential_mode == "access_token"
    assert us.access_token is not None
    assert us.access_token.get_secret_value() == "shpat_env"
    eu = settings.store("eu")
    assert eu.client_secret is not None
    assert eu.client_secret.get_secret_value() == "shpss_env_override"
    assert settings.secret_origin("stores[1].access_token") == (
        "SHOPIFY_ODOO_STORE_US_WEST_ACCESS_TOKEN"
    )


def test_store_env_for_an_unknown_handle_is_a_warning(tmp_path: Path) -> None:
    settings = load(tmp_path, BASE, {"SHOPIFY_ODOO_STORE_UX_ACCESS_TOKEN": "shpat_x"})
    assert warnings(settings) == [
        'SHOPIFY_ODOO_STORE_UX_ACCESS_TOKEN: is set but no store has the handle "ux". '
        "Did you mean SHOPIFY_ODOO_STORE_US_ACCESS_TOKEN?"
    ]


def test_env_value_errors_name_the_variable(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE, {"SHOPIFY_ODOO_ODOO__TIMEOUT": "soon"})
    assert found == [
        'odoo.timeout: "soon" is not a duration (from SHOPIFY_ODOO_ODOO__TIMEOUT). Give '
        'seconds as a number (e.g. 300) or a string like "30s", "15m", "1h", "1h30m"'
    ]


def test_env_unknown_nested_key_gets_a_suggestion(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE, {"SHOPIFY_ODOO_ODOO__APIKEY": "k"})
    assert found == [
        'odoo.apikey: unknown key "apikey" (from SHOPIFY_ODOO_ODOO__APIKEY). '
        'Did you mean "api_key"?'
    ]


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, BASE, name="elsewhere.toml")
    settings = load_settings(None, env={"SHOPIFY_ODOO_CONFIG": str(path)})
    assert settings.source == path


def test_example_config_is_valid_and_only_warns_about_placeholders(tmp_path: Path) -> None:
    settings = load(tmp_path, example_config())
    assert [s.handle for s in settings.stores] == ["eu", "us"]
    assert [s.credential_mode for s in settings.stores] == ["client_credentials", "access_token"]
    assert settings.pool("main").allocation == "split"
    assert all(
        "placeholder" in w or w.startswith("sync.webhook_base_url") for w in warnings(settings)
    )
    # every setting of every section is mentioned in the example
    text = example_config()
    for section in ("odoo", "sync", "dashboard", "logging"):
        model = type(getattr(settings, section))
        for name in model.model_fields:
            assert name in text, f"{section}.{name} is not documented in example.toml"
    for model in (type(settings.stores[0]), LocationRow):
        for name in model.model_fields:
            assert name in text, f"{name} is not documented in example.toml"
    for name in Settings.model_fields:
        assert name in text


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load(tmp_path, BASE)
    with pytest.raises(ValueError, match="frozen"):
        settings.odoo.url = "https://other"  # type: ignore[misc]


def test_config_invalid_error_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigInvalidError) as info:
        load(tmp_path, base(database_url="mysql://x"))
    assert info.value.problems == [str(info.value.items[0])]
    assert str(info.value).startswith(
        f"Configuration {tmp_path / 'shopify-odoo.toml'} has 1 problem:"
    )


def test_list_entries_cannot_be_set_one_by_one(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE, {"SHOPIFY_ODOO_STORES__0__HANDLE": "x"})
    assert found[0] == (
        "stores: a table is not a list (from SHOPIFY_ODOO_STORES__0__HANDLE). Write a list in "
        'brackets, e.g. ["WH/Stock"], or [[name]] tables'
    )


def test_lists_by_environment_are_json(tmp_path: Path) -> None:
    env = {"SHOPIFY_ODOO_POOLS": '[{"name": "WH/Stock"}]'}
    assert load(tmp_path, BASE, env).pools[0].name == "WH/Stock"
    assert problems(tmp_path, BASE, {"SHOPIFY_ODOO_POOLS": "[{name"}) == [
        "SHOPIFY_ODOO_POOLS: is not valid JSON (lists and tables given by environment are "
        "JSON). Write it as JSON (a list [...] of tables {...}, or one table {...}), or set the "
        "value in the TOML file"
    ]
