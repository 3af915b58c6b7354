"""Issue 10 item 6 and Must show 3: ``shopify-odoo check`` reports each store's credential mode,
token, expiry and scopes (naming each missing one) and the Odoo login, against both sandboxes;
no token, key or secret value appears in its output or its log."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner, Result

from shopify_odoo.cli.app import STATE, app
from shopify_odoo.sandbox.odoo.server import OdooSandbox, run_odoo_sandbox
from shopify_odoo.sandbox.shopify import ShopifySandbox, run_shopify_sandbox
from shopify_odoo.sandbox.shopify.world import DEFAULT_SCOPES
from shopify_odoo.store.migrate import upgrade
from tests.unit.config.helpers import to_toml

from ..engine_stock.harness import location_rows


@dataclass
class Setup:
    shop: ShopifySandbox
    odoo: OdooSandbox
    path: Path
    env: dict[str, str]

    def secrets(self) -> list[str]:
        values = [self.odoo.api_key, self.env["SHOPIFY_ODOO_TOKEN_KEY"]]
        for store in self.shop.stores:
            values += [store.client_secret, store.access_token, *store.tokens]
            values += list(store.refresh_tokens)
        return values

    async def check(self, *args: str, env: dict[str, str] | None = None) -> Result:
        def invoke() -> Result:
            STATE.settings = None  # the CLI loads the settings once per process
            return CliRunner().invoke(
                app,
                ["--config", str(self.path), "check", *args],
                env=env if env is not None else self.env,
                catch_exceptions=False,
            )

        # the CLI runs its own event loop: give it a thread, the sandboxes keep serving here
        return await asyncio.to_thread(invoke)


@contextlib.asynccontextmanager
async def setup(
    tmp_path: Path, *, odoo_version: str = "18.0", plan: str = "on_premise"
) -> AsyncIterator[Setup]:
    async with (
        run_shopify_sandbox(stores=2, scenario="small") as shop,
        run_odoo_sandbox(version=odoo_version, scenario="small", plan=plan) as odoo,
    ):
        first, second = shop.stores
        rows, pools = location_rows([first.handle, second.handle])
        db_url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
        await upgrade(db_url)
        data: dict[str, Any] = {
            "database_url": db_url,
            "odoo": {"url": odoo.url, "database": odoo.world.db, "login": "admin"},
            "stores": [
                {
                    "handle": first.handle,
                    "shop_domain": first.domain,
                    "admin_url": first.base_url,
                    "client_id": first.client_id,
                },
                {
                    "handle": second.handle,
                    "shop_domain": second.domain,
                    "admin_url": second.base_url,
                },
            ],
            "location_map": rows,
            "pools": pools,
        }
        path = tmp_path / "shopify-odoo.toml"
        path.write_text(to_toml(data), encoding="utf-8")
        env = {
            "SHOPIFY_ODOO_TOKEN_KEY": Fernet.generate_key().decode(),
            "SHOPIFY_ODOO_ODOO__API_KEY": odoo.api_key,
            f"SHOPIFY_ODOO_STORE_{first.handle.upper()}_CLIENT_SECRET": first.client_secret,
            f"SHOPIFY_ODOO_STORE_{second.handle.upper()}_ACCESS_TOKEN": second.access_token,
            f"SHOPIFY_ODOO_STORE_{second.handle.upper()}_WEBHOOK_SECRET": "whsec-not-a-token",
        }
        yield Setup(shop, odoo, path, env)


def _no_secret_in(setup: Setup, result: Result) -> None:
    text = result.stdout + result.stderr
    for value in setup.secrets():
        assert value not in text


async def test_check_reports_modes_expiry_scopes_and_odoo(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:
        result = await s.check()
        out = result.stdout
        assert result.exit_code == 0, out + result.stderr
        assert "Online check: shopify credentials" in out
        online = out.split("Online check: shopify credentials", 1)[1].splitlines()
        row1 = next(line for line in online if line.startswith("│ shop1"))
        assert "client_credentials" in row1
        assert "accepted" in row1
        assert "(in 23 h 59 min)" in row1  # expires_in 86399 (correction 20)
        assert "all 9 needed granted" in row1
        row2 = next(line for line in online if line.startswith("│ shop2"))
        assert "access_token" in row2
        assert "never" in row2
        assert "all 9 needed granted" in row2  # currentAppInstallation.accessScopes
        assert "version 18.0" in out
        assert "login admin accepted (API key); API keys expire on this version" in out
        _no_secret_in(s, result)
        assert len(s.shop.store("shop1").grants) == 1
        again = await s.check()  # the stored token is reused, not requested again
        assert again.exit_code == 0
        assert len(s.shop.store("shop1").grants) == 1
        _no_secret_in(s, again)


async def test_check_names_each_missing_scope(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:
        scopes = DEFAULT_SCOPES.split(",")
        s.shop.store("shop1").scopes = ",".join(
            x for x in scopes if x not in ("write_inventory", "read_customers", "write_customers")
        )
        legacy = s.shop.store("shop2")  # a legacy token granted without read_locations
        legacy.tokens[legacy.access_token].scope = ",".join(
            x for x in scopes if x != "read_locations"
        )
        result = await s.check()
        assert result.exit_code == 1
        out = result.stdout
        assert 'stores[0].scopes: store "shop1" lacks the access scope write_inventory' in out
        assert 'stores[1].scopes: store "shop2" lacks the access scope read_locations' in out
        assert 'store "shop1" lacks the access scope read_customers' in out
        assert "lacks the access scope read_inventory" not in out  # still granted
        assert "missing: write_inventory, read_customers" in out
        _no_secret_in(s, result)


async def test_check_names_refused_credentials_without_leaking_them(tmp_path: Path) -> None:
    async with setup(tmp_path, plan="standard") as s:
        env = dict(s.env)
        env["SHOPIFY_ODOO_STORE_SHOP1_CLIENT_SECRET"] = "shpss_" + "0" * 32  # wrong secret
        env["SHOPIFY_ODOO_STORE_SHOP2_ACCESS_TOKEN"] = "shpat_" + "1" * 32  # revoked token
        result = await s.check(env=env)
        out = result.stdout
        assert result.exit_code == 1
        assert "invalid_client" in out
        assert "check client_id and client_secret of store shop1" in out
        assert "refused the legacy custom app token (HTTP 401)" in out
        assert "reveal or reinstall the custom app's Admin API token" in out
        assert "Custom plan" in out  # Odoo Online plan without external API (§1.1)
        for value in ("shpss_" + "0" * 32, "shpat_" + "1" * 32):
            assert value not in out + result.stderr
        _no_secret_in(s, result)


async def test_check_requires_the_token_key_for_client_credentials(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:
        env = {k: v for k, v in s.env.items() if k != "SHOPIFY_ODOO_TOKEN_KEY"}
        result = await s.check(env=env)
        assert result.exit_code == 1
        assert 'error: token_key: missing: store(s) "shop1" get their Shopify tokens' in (
            result.stdout
        )
        assert "SHOPIFY_ODOO_TOKEN_KEY" in result.stdout
        # the credentials themselves are still checked, with a token kept for the check only
        online = result.stdout.split("Online check: shopify credentials", 1)[1].splitlines()
        assert "accepted" in next(line for line in online if line.startswith("│ shop1"))
        _no_secret_in(s, result)


async def test_check_before_the_database_is_upgraded_warns(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:
        s.path.write_text(s.path.read_text().replace("state.db", "fresh.db"), encoding="utf-8")
        result = await s.check()
        assert result.exit_code == 0, result.stdout
        assert "warning: database_url:" in result.stdout
        assert "shopify-odoo db upgrade" in result.stdout
        assert "tokens of store(s) shop1 were obtained for this check only" in result.stdout
        _no_secret_in(s, result)


@pytest.mark.parametrize("version", ["16.0"])
async def test_check_on_odoo_16_says_nothing_of_key_expiry(tmp_path: Path, version: str) -> None:
    async with setup(tmp_path, odoo_version=version) as s:
        result = await s.check()
        assert result.exit_code == 0, result.stdout
        assert "version 16.0" in result.stdout
        assert "API keys expire" not in result.stdout
