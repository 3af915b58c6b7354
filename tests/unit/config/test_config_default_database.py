"""One default state database: the configuration and the store agree on its file name."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopify_odoo import store
from shopify_odoo.config import DEFAULT_DATABASE_URL, Settings, example_config
from shopify_odoo.errors import ConfigError
from shopify_odoo.store.url import parse_database_url

DEFAULT_FILE = "shopify-odoo.db"


def test_config_and_store_share_one_default() -> None:
    assert store.DEFAULT_DATABASE_URL is DEFAULT_DATABASE_URL
    assert Settings.model_fields["database_url"].default == DEFAULT_DATABASE_URL


def test_the_default_is_an_sqlite_file_in_the_working_directory() -> None:
    parsed = parse_database_url(DEFAULT_DATABASE_URL)
    assert parsed.backend == "sqlite"
    assert parsed.url.database == DEFAULT_FILE
    assert Path(parsed.url.database).parent == Path(".")


def test_the_example_config_names_the_same_file() -> None:
    assert f'database_url = "{DEFAULT_DATABASE_URL}"' in example_config()


@pytest.mark.parametrize("raw", ["", "sqlite://", "mysql://u@h/db", "::not a url::"])
def test_database_url_messages_show_the_default_file_name(raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_database_url(raw)
    message = str(info.value)
    assert DEFAULT_FILE in message
    assert ".sqlite3" not in message
