"""Credential modes of stores (issue 10) and of Odoo: each rule with its exact message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .helpers import base, load, problems, warnings


def _with_store(**store: Any) -> dict[str, Any]:
    data = base()
    data["stores"][0] = {"handle": "eu", "shop_domain": "acme-eu.myshopify.com", **store}
    return data


@pytest.mark.parametrize(
    ("store", "mode"),
    [
        ({"access_token": "shpat_a", "webhook_secret": "w"}, "access_token"),
        ({"client_id": "c", "client_secret": "s"}, "client_credentials"),
        (
            {
                "client_id": "c",
                "client_secret": "s",
                "redirect_url": "https://x.test/cb",
                "access_token": "t",
                "refresh_token": "r",
            },
            "oauth",
        ),
        (
            {
                "auth": "oauth",
                "client_id": "c",
                "client_secret": "s",
                "redirect_url": "https://x.test/cb",
                "access_token": "t",
            },
            "oauth",
        ),
        (
            {"auth": "client_credentials", "client_id": "c", "client_secret": "s"},
            "client_credentials",
        ),
    ],
)
def test_each_mode_is_recognised(tmp_path: Path, store: dict[str, Any], mode: str) -> None:
    assert load(tmp_path, _with_store(**store)).store("eu").credential_mode == mode


def test_no_credentials(tmp_path: Path) -> None:
    assert problems(tmp_path, _with_store()) == [
        'stores[0]: store "eu" has no Admin API credentials. Set access_token (legacy custom '
        "app, shpat_...), or client_id and client_secret (app of your own organisation: client "
        "credentials grant), or client_id, client_secret and redirect_url (OAuth installation); "
        "secrets may come from SHOPIFY_ODOO_STORE_EU_ACCESS_TOKEN and the like"
    ]


def test_token_and_client_credentials_together_are_ambiguous(tmp_path: Path) -> None:
    assert problems(tmp_path, _with_store(access_token="shpat_a", client_id="c")) == [
        "stores[0].access_token: both access_token and client_id/client_secret are set, so "
        "the credential mode is ambiguous. Keep only access_token for a legacy custom app, or "
        "only client_id and client_secret for the client credentials grant; for an OAuth "
        'installation set auth = "oauth" and redirect_url'
    ]


def test_client_credentials_missing_secret_names_the_env_variable(tmp_path: Path) -> None:
    assert problems(tmp_path, _with_store(client_id="c")) == [
        'stores[0].client_secret: missing: auth mode "client_credentials" (client credentials '
        'grant) needs it. Set client_secret in [[stores]] "eu" or the environment variable '
        "SHOPIFY_ODOO_STORE_EU_CLIENT_SECRET"
    ]


def test_oauth_missing_fields(tmp_path: Path) -> None:
    assert problems(tmp_path, _with_store(auth="oauth", client_secret="s")) == [
        'stores[0].client_id: missing: auth mode "oauth" (OAuth installation) needs it. Set '
        'client_id in [[stores]] "eu"',
        'stores[0].redirect_url: missing: auth mode "oauth" (OAuth installation) needs it. Set '
        'redirect_url in [[stores]] "eu"',
    ]


def test_oauth_refresh_token_needs_the_access_token(tmp_path: Path) -> None:
    store = {
        "client_id": "c",
        "client_secret": "s",
        "redirect_url": "https://x.test/cb",
        "refresh_token": "r",
    }
    assert problems(tmp_path, _with_store(**store)) == [
        "stores[0].access_token: missing: a refresh_token is set without the offline "
        'access_token it renews. Set access_token in [[stores]] "eu" or the environment '
        "variable SHOPIFY_ODOO_STORE_EU_ACCESS_TOKEN"
    ]


def test_oauth_without_tokens_is_not_installed_yet(tmp_path: Path) -> None:
    store = {"client_id": "c", "client_secret": "s", "redirect_url": "https://x.test/cb"}
    settings = load(tmp_path, _with_store(**store))
    assert warnings(settings) == [
        'stores[0].access_token: store "eu" has no offline token yet (the app is not '
        "installed). Install it through the web app at "
        "/auth/install?shop=acme-eu.myshopify.com, or set access_token and refresh_token"
    ]


def test_explicit_mode_refuses_fields_of_another_mode(tmp_path: Path) -> None:
    store = {
        "auth": "client_credentials",
        "client_id": "c",
        "client_secret": "s",
        "access_token": "shpat_a",
    }
    assert problems(tmp_path, _with_store(**store)) == [
        'stores[0].access_token: is set but auth mode "client_credentials" (client credentials '
        "grant) does not use it. Remove it, or set auth to the mode that uses it"
    ]


def test_legacy_app_client_secret_points_to_webhook_secret(tmp_path: Path) -> None:
    store = {"auth": "access_token", "access_token": "shpat_a", "client_secret": "s"}
    assert problems(tmp_path, _with_store(**store)) == [
        'stores[0].client_secret: is set but auth mode "access_token" (legacy custom app '
        "token) does not use it. Remove it; a legacy custom app signs webhooks with its API "
        "secret key: put that in webhook_secret"
    ]


def test_legacy_app_without_webhook_secret_warns(tmp_path: Path) -> None:
    settings = load(tmp_path, _with_store(access_token="shpat_a"))
    assert warnings(settings) == [
        "stores[0].webhook_secret: missing: webhooks from this store cannot be verified and "
        "will be refused (orders are still picked up by the poller). Set webhook_secret to the "
        "custom app's API secret key, or the environment variable "
        "SHOPIFY_ODOO_STORE_EU_WEBHOOK_SECRET"
    ]


def test_webhook_keys_default_to_the_client_secret(tmp_path: Path) -> None:
    app = load(tmp_path, _with_store(client_id="c", client_secret="s1")).store("eu")
    assert [k.get_secret_value() for k in app.webhook_secrets] == ["s1"]
    rotated = load(
        tmp_path, _with_store(client_id="c", client_secret="s1", webhook_secret="old")
    ).store("eu")
    assert [k.get_secret_value() for k in rotated.webhook_secrets] == ["old", "s1"]


def test_shop_domain_must_be_myshopify_without_admin_url(tmp_path: Path) -> None:
    data = _with_store(client_id="c", client_secret="s")
    data["stores"][0]["shop_domain"] = "shop.acme.com"
    assert problems(tmp_path, data) == [
        'stores[0].shop_domain: "shop.acme.com" is not a *.myshopify.com domain. Use the '
        'permanent domain shown in the Shopify admin, e.g. "acme.myshopify.com"; for a sandbox '
        "or proxy set admin_url as well"
    ]


def test_handles_and_domains_are_unique(tmp_path: Path) -> None:
    data = base()
    data["stores"][1].update(handle="eu", shop_domain="acme-eu.myshopify.com")
    data["location_map"] = data["location_map"][:1]
    assert problems(tmp_path, data) == [
        'stores[1].handle: "eu" is also the handle of stores[0]. Give every store a unique handle',
        'stores[1].shop_domain: "acme-eu.myshopify.com" is the same shop as stores[0]. List '
        "each store once",
    ]


def test_bad_handle_gets_a_suggestion(tmp_path: Path) -> None:
    data = base()
    data["stores"][0]["handle"] = "EU Shop"
    found = problems(tmp_path, data)
    assert found[0] == (
        'stores[0].handle: "EU Shop" is not a valid handle. Use lowercase letters, digits and '
        'dashes (at most 40), starting and ending with a letter or digit, e.g. "eu-shop"'
    )


def test_no_store_at_all(tmp_path: Path) -> None:
    data = base(location_map=[])
    del data["stores"]
    assert problems(tmp_path, data) == [
        "stores: no store is configured. Add a [[stores]] table with handle, shop_domain and "
        "credentials (shopify-odoo init writes an example)"
    ]


def test_plan_hint_and_api_version_warning(tmp_path: Path) -> None:
    data = base()
    data["stores"][0].update(plan="plus", points_per_second=500, api_version="2026-07")
    settings = load(tmp_path, data)
    assert settings.store("eu").rate_hint == 500
    assert settings.store("us").rate_hint is None
    assert warnings(settings) == [
        'stores[0].points_per_second: is set along with plan "plus"; points_per_second wins. '
        "Remove one of plan and points_per_second",
        'stores[0].api_version: "2026-07" differs from 2026-04, the version the connector\'s '
        'GraphQL documents are validated against. Remove api_version (default "2026-04") '
        "unless you have checked the documents",
    ]


def test_odoo_needs_a_key_or_password(tmp_path: Path) -> None:
    data = base()
    del data["odoo"]["api_key"]
    assert problems(tmp_path, data) == [
        "odoo.api_key: missing: neither api_key nor password is set. Set odoo.api_key "
        "(preferred: in Odoo, the integration user's Preferences > Account Security > New API "
        "Key) or the environment variable SHOPIFY_ODOO_ODOO__API_KEY; or odoo.password"
    ]


def test_odoo_json2_needs_an_api_key_but_no_database(tmp_path: Path) -> None:
    data = base()
    data["odoo"] = {"url": "https://x.odoo.com", "protocol": "json2", "password": "pw"}
    assert problems(tmp_path, data) == [
        "odoo.api_key: missing: protocol json2 authenticates with an API key. Set odoo.api_key "
        "(preferred: in Odoo, the integration user's Preferences > Account Security > New API "
        "Key) or the environment variable SHOPIFY_ODOO_ODOO__API_KEY"
    ]


def test_odoo_jsonrpc_needs_database_and_login(tmp_path: Path) -> None:
    data = base()
    data["odoo"] = {"url": "https://x.odoo.com", "protocol": "jsonrpc", "api_key": "k"}
    assert problems(tmp_path, data) == [
        'odoo.database: missing: protocol "jsonrpc" needs the database name. Set odoo.database '
        '(Odoo Online: the instance name, e.g. "mycompany")',
        'odoo.login: missing: protocol "jsonrpc" needs the login of the integration user. Set '
        'odoo.login, e.g. "shopify-bot@example.com"',
    ]


def test_odoo_key_and_password_warns(tmp_path: Path) -> None:
    data = base()
    data["odoo"]["password"] = "pw"
    assert warnings(load(tmp_path, data)) == [
        "odoo.password: is set along with api_key; the API key is used. Remove password"
    ]


def test_open_dashboard_needs_a_token(tmp_path: Path) -> None:
    assert problems(tmp_path, base(sync={"receiver_host": "0.0.0.0"})) == [
        'sync.receiver_host: "0.0.0.0" is reachable from other machines and the dashboard it '
        "serves has neither password_hash nor token. Set dashboard.token (e.g. "
        'SHOPIFY_ODOO_DASHBOARD__TOKEN) or password_hash, or bind to "127.0.0.1"'
    ]
    assert load(tmp_path, base(sync={"receiver_host": "0.0.0.0"}, dashboard={"token": "t0k3n"}))
