"""``shopify-odoo orders import --since`` as a person runs it, over loopback against both
sandboxes: the dry run lists what each order would get and writes nothing; --apply imports
them; running it again changes nothing."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from shopify_odoo.sandbox.demo_config import to_toml
from shopify_odoo.sandbox.odoo import OdooSandboxDriver
from shopify_odoo.sandbox.shopify.storefront import Cart, place_order
from tests.e2e.cli.sandboxes import Running, sandboxes_with_config, table_rows


def with_order_settings(env: Running) -> None:
    async def ids(driver: OdooSandboxDriver) -> tuple[int, int, int]:
        ship = await driver.read("product.product", [("default_code", "=", "SHIP-STD")], ["id"])
        tax = await driver.read("account.tax", [("name", "=", "21% incl.")], ["id"])
        disc = await driver.read("product.product", [("type", "=", "service")], ["id"])
        return int(ship[0]["id"]), int(tax[0]["id"]), int(disc[0]["id"])

    ship, tax, service = env.odoo(ids)
    data: dict[str, Any] = tomllib.loads(env.config.read_text(encoding="utf-8"))
    for store in data["stores"]:
        store["orders"] = {
            "confirmation": "confirm_paid",
            "shipping_product_id": ship,
            "rounding_product_id": service,
            "discount_product_id": service,
            "tax_rules": [{"rate": "0.21", "taxes_included": True, "odoo_tax_ids": [tax]}],
        }
    env.config.write_text(to_toml(data), encoding="utf-8")


def test_orders_import_dry_run_then_apply_once(tmp_path: Path) -> None:
    with sandboxes_with_config(tmp_path) as env:
        with_order_settings(env)
        linked = env.cli("link", "--apply", "--show", "none")
        assert linked.exit_code == 0, linked.output
        world = env.sandboxes.shopify.world
        store = env.store("shop1")
        cart = Cart(lines=[("TSHIRT-0001-BLA-M", 2)], tax_rate=Decimal("0.21"))
        orders = [env.on_loop(lambda: place_order(world, store, cart)) for _ in range(2)]
        since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")

        dry = env.cli("orders", "import", "--since", since, "--store", "shop1")
        assert dry.exit_code == 0, dry.output
        rows = {r[1]: r[2] for r in table_rows(dry.stdout)}
        assert rows == {o.name: "create" for o in orders}, dry.stdout
        assert "2 order(s) since" in dry.stdout
        assert "dry run" in dry.stdout

        def sale_orders(driver: OdooSandboxDriver) -> Any:
            refs = [f"shop1#{o.number}" for o in orders]
            return driver.read("sale.order", [("client_order_ref", "in", refs)], ["state"])

        assert env.odoo(sale_orders) == []

        applied = env.cli("orders", "import", "--since", since, "--store", "shop1", "--apply")
        assert applied.exit_code == 0, applied.output
        assert {r[2] for r in table_rows(applied.stdout)} == {"create"}
        assert [r["state"] for r in env.odoo(sale_orders)] == ["sale", "sale"]

        again = env.cli("orders", "import", "--since", since, "--apply")
        assert again.exit_code == 0, again.output
        assert {r[2] for r in table_rows(again.stdout)} == {"unchanged"}
        assert len(env.odoo(sale_orders)) == 2
