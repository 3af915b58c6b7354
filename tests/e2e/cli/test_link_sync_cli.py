"""``link``, ``sync``, ``status`` and ``errors`` as a person runs them, against both sandboxes.

Configuration: the demo's (two stores sharing Main Warehouse, a 60/40 split 3PL pool, shop1's
Retail Store two-way and shop2's excluded), written to a file and passed with ``--config``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shopify_odoo.sandbox.odoo import OdooSandboxDriver

from .sandboxes import Running, sandboxes_with_config, table_rows, totals

LINK_TOTALS = ("new", "kept", "relink", "remove", "blocked", "warning")
SYNC_TOTALS = ("products", "levels", "mismatches", "applied", "failed", "stale_requeued")


def no_traceback(result: Any) -> None:
    assert "Traceback" not in result.output, result.output
    assert "Traceback" not in (result.stderr or ""), result.stderr


def product_id(env: Running, sku: str) -> int:
    async def read(driver: OdooSandboxDriver) -> list[dict[str, Any]]:
        return await driver.read("product.product", [("default_code", "=", sku)], ["id"])

    rows = env.odoo(read)
    return int(rows[0]["id"])


def test_link_reports_what_blocks_then_applies_and_takes_a_manual_link(tmp_path: Path) -> None:
    with sandboxes_with_config(tmp_path) as env:
        hoodie_l = product_id(env, "HOODIE-0001-NAV-L")
        env.set_sku("shop1", "CAP-0001-RED-S", "")  # blank in Shopify
        env.set_sku("shop1", "CAP-0001-RED-M", "CAP-0001-RED-L")  # two variants, one SKU
        # Odoo: two products now carry HOODIE-0001-NAV-L (many-to-one on the Odoo side)
        env.odoo(lambda d: d.change_sku("HOODIE-0001-NAV-XL", "HOODIE-0001-NAV-L"))

        dry = env.cli("link", "--dry-run")
        assert dry.exit_code == 0, dry.output
        out = dry.stdout
        counts = totals(out, LINK_TOTALS)
        # 64 variants: shop1 loses the blank one and both duplicates; both stores lose the
        # Odoo duplicate and the variant whose Odoo SKU is gone
        assert counts["new"] == 64 - 3 - 2 - 2, out
        # one row each: the blank SKU, the duplicate (naming both variants), and per store the
        # SKU matching two Odoo products and the variant whose Odoo SKU is gone
        assert counts["blocked"] == 1 + 1 + 2 + 2, out
        assert counts["warning"] == 1, out  # the Odoo-side duplicate itself
        blocked = {(r[0], r[2]): r[5] for r in table_rows(out) if r[1] == "blocked"}
        assert "has no SKU" in blocked[("shop1", "(blank)")]
        assert "is used by 2 variants in store shop1" in blocked[("shop1", "CAP-0001-RED-L")]
        for store in ("shop1", "shop2"):
            note = blocked[(store, "HOODIE-0001-NAV-L")]
            assert "matches 2 Odoo products" in note
            assert '"shopify-odoo link --sku HOODIE-0001-NAV-L --product <id>"' in note  # fix
            assert "has no Odoo product" in blocked[(store, "HOODIE-0001-NAV-XL")]
        assert "Dry run: nothing stored." in out
        # nothing was stored: the sweep finds no linked product
        assert totals(env.cli("sync", "--dry-run").stdout, SYNC_TOTALS)["products"] == 0

        applied = env.cli("link", "--apply", "--show", "problems")
        assert applied.exit_code == 0, applied.output
        # 57 links of 30 products (the two HOODIE-0001-NAV-L products stay unlinked)
        assert "Links stored; stock of 30 product(s) queued for sync." in applied.stdout

        manual = env.cli("link", "--sku", "HOODIE-0001-NAV-L", "--product", str(hoodie_l))
        assert manual.exit_code == 0, manual.output
        assert "Links stored; stock of 1 product(s) queued for sync." in manual.stdout
        again = env.cli("link", "--dry-run", "--show", "none")
        counts = totals(again.stdout, LINK_TOTALS)
        assert counts["new"] == 0, again.stdout
        assert counts["kept"] == 57 + 2, again.stdout

        # the manual link is kept by later runs, and the duplicate is still reported
        later = env.cli("link", "--apply", "--show", "problems")
        assert totals(later.stdout, LINK_TOTALS)["kept"] == 59, later.stdout

        # mistakes a person makes: one clear line, non-zero exit, no traceback
        for args, code, text in (
            (("link",), 2, "Error: choose --dry-run (show the plan) or --apply (store it)"),
            (("link", "--dry-run", "--apply"), 2, "Error: choose one of --dry-run"),
            (("link", "--sku", "X"), 2, "Error: give --sku and --product together"),
            (
                ("link", "--sku", "NOPE-1", "--product", str(hoodie_l)),
                1,
                "Error: No variant has the SKU 'NOPE-1' in store(s) shop1, shop2",
            ),
            (
                ("link", "--sku", "SOCKS-0001-RED-S", "--product", "999999"),
                1,
                "which does not exist",
            ),
            (("link", "--dry-run", "--store", "nowhere"), 2, 'Error: Store "nowhere" is not'),
            (("sync",), 2, "Error: choose --dry-run (show the diff) or --apply"),
        ):
            result = env.cli(*args)
            assert result.exit_code == code, (args, result.output)
            assert text in result.stderr, (args, result.stderr)
            no_traceback(result)


def test_sync_shows_the_diff_applies_it_and_status_and_errors_report(tmp_path: Path) -> None:
    with sandboxes_with_config(tmp_path) as env:
        assert env.cli("link", "--apply", "--show", "none").exit_code == 0

        first = env.cli("sync", "--dry-run")
        assert first.exit_code == 0, first.output
        found = totals(first.stdout, SYNC_TOTALS)
        assert found["products"] == 32, first.stdout
        assert found["mismatches"] > 0, first.stdout
        assert "Dry run: nothing written." in first.stdout
        assert "skipped excluded_location: 32" in first.stdout  # shop2's Retail Store
        # a dry run writes nothing: the same diff again
        assert totals(env.cli("sync", "--dry-run").stdout, SYNC_TOTALS) == found

        applied = env.cli("sync", "--apply", "--rows", "0")
        assert applied.exit_code == 0, applied.output
        done = totals(applied.stdout, SYNC_TOTALS)
        assert done["applied"] == found["mismatches"], applied.stdout
        assert done["failed"] == 0, applied.stdout
        assert totals(env.cli("sync", "--dry-run").stdout, SYNC_TOTALS)["mismatches"] == 0

        # a receipt in Odoo: both stores' Main Warehouse (the shared pool) must go up by 5
        env.odoo(lambda d: d.receive("SOCKS-0001-GRE-M", 5, "WH/Stock"))
        diff = env.cli("sync", "--dry-run")
        rows = [r for r in table_rows(diff.stdout) if r[1] == "SOCKS-0001-GRE-M"]
        cells = sorted((r[0], r[3], r[6]) for r in rows)
        assert cells == [("shop1", "Main Warehouse", "+5"), ("shop2", "Main Warehouse", "+5")]
        assert totals(diff.stdout, SYNC_TOTALS)["mismatches"] == 2

        # an untracked variant: left alone by the sweep and listed for a person
        env.on_loop(lambda: setattr(_item(env, "shop1", "CAP-0001-NAV-M"), "tracked", False))
        assert env.cli("sync", "--apply", "--rows", "0").exit_code == 0
        errors = env.cli("errors")
        assert errors.exit_code == 0, errors.output
        text = " ".join(errors.stdout.split())
        for part in ("shop1", "not_tracked", 'SKU "CAP-0001-NAV-M"', "Odoo product"):
            assert part in text, text
        assert "Track quantity" in text  # the fix

        status = env.cli("status")
        assert status.exit_code == 0, status.output
        for label in (
            "queue depth",
            "stock mismatches",
            "time to correction",
            "oversell exposure",
            "errors by cause",
            "Shopify points used",
        ):
            assert label in status.stdout, status.stdout
        figures = json.loads(env.cli("status", "--json").stdout)["Sync figures (last 1h)"]
        f = figures["figures"]
        assert f["mismatches_by_store"] == {"shop1": 0, "shop2": 0}
        assert f["errors_by_cause"] == {"not_tracked": 1}
        assert f["shopify_points_by_store"]["shop1"] > 0
        assert f["shopify_points_by_store"]["shop2"] > 0

        # fixed in Shopify: the next sweep syncs it and closes the problem
        env.on_loop(lambda: setattr(_item(env, "shop1", "CAP-0001-NAV-M"), "tracked", True))
        assert env.cli("sync", "--apply", "--rows", "0").exit_code == 0
        assert "No problems need a person." in env.cli("errors").stdout


def test_unreachable_store_is_one_line_and_non_zero(tmp_path: Path) -> None:
    with sandboxes_with_config(tmp_path) as env:
        assert env.cli("link", "--apply", "--show", "none").exit_code == 0
        text = env.config.read_text()
        admin = env.store("shop2").base_url
        env.config.write_text(text.replace(admin, "http://127.0.0.1:9"))
        result = env.cli("sync", "--dry-run")
        assert result.exit_code == 1, result.output
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, result.stderr
        assert "shop2" in errors[0], result.stderr
        no_traceback(result)


def _item(env: Running, handle: str, sku: str) -> Any:
    """The sandbox's variant (it carries its inventory item's ``tracked``)."""
    return env.store(handle).variants_by_sku(sku)[0]
