"""``shopify-odoo demo`` as a newcomer runs it: a short scenario ends with a passing verdict.

One subprocess run of the real command (sandboxes, connector, web app, traffic, final check);
the assertions read only what it prints, as a newcomer would, plus what it leaves behind.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_short_demo_prints_a_passing_verdict(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    command = [
        sys.executable,
        "-c",
        "from shopify_odoo.cli.app import main; main()",
        "demo",
        "--duration",
        "6",
        "--seed",
        "3",
        "--workdir",
        str(workdir),
    ]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        head: list[str] = []
        while not any("Login:" in line for line in head):
            line = proc.stdout.readline()
            assert line, "".join(head)  # the demo ended before printing its login
            head.append(line)
        text = "".join(head)
        # the dashboard's address and login come first, before linking, and it is served now
        dashboard = re.search(r"Dashboard: (http://127\.0\.0\.1:\d+/dashboard/)", text)
        login = re.search(r"Login:\s+any name, password (\S+)", text)
        assert dashboard is not None, text
        assert login is not None, text
        assert "Linked" not in text
        with httpx.Client(timeout=10) as client:
            closed = client.get(dashboard.group(1))
            assert closed.status_code in (302, 303, 307), closed.text  # to the login page
            assert client.get(dashboard.group(1) + "login").status_code == 200
        rest, err = proc.communicate(timeout=170)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    out = text + rest
    assert proc.returncode == 0, out + err
    assert "Traceback" not in err, err
    # the story, step by step
    assert "Linked 288 variants to their Odoo products by SKU (0 problem(s))" in out
    assert re.search(r"Reconciled 144 products: \d+ level\(s\) differed", out)
    assert re.search(r"storefront orders\s+│\s+[1-9]", out)
    assert re.search(r"webhooks received\s+│\s+[1-9]", out)
    # the figures the issue asks for, in the final table
    for label in (
        "stock mismatches",
        "time to correction",
        "oversold units",
        "errors by cause",
        "webhook lag",
        "queue depth",
        "Shopify points used",
    ):
        assert re.search(rf"│ {label}\s+│", out), label
    assert re.search(r"time to correction\s+│ p50 [\d.]+ m?s · p95 [\d.]+ m?s · p99 ", out)
    assert re.search(r"Shopify points used\s+│ shop1 [\d,]+, shop2 [\d,]+", out)
    verdict = re.search(
        r"VERDICT: PASS: 0 stock mismatches across (\d+) stock levels \((\d+) SKUs x (\d+) "
        r"locations in (\d+) stores\); every one of the (\d+) orders became exactly one "
        r"confirmed Odoo sale order; 0 oversold units",
        out,
    )
    assert verdict is not None, out
    levels, skus, locations, stores, orders = map(int, verdict.groups())
    # shop1: Main Warehouse, 3PL, Retail (two-way); shop2: Main, 3PL (its Retail is excluded)
    assert (levels, skus, locations, stores) == (720, 144, 5, 2)
    assert orders > 0
    placed = re.search(r"orders → sale orders\s+│ (\d+) placed, (\d+) with exactly one", out)
    assert placed is not None
    assert placed.groups() == (str(orders), str(orders))
    # what it leaves behind is a real configuration and state database, and the server is gone
    config = tomllib.loads((workdir / "shopify-odoo.toml").read_text())
    assert [s["handle"] for s in config["stores"]] == ["shop1", "shop2"]
    assert config["database_url"].startswith("sqlite+aiosqlite:///")
    assert config["dashboard"]["password_hash"]
    assert login.group(1) not in (workdir / "shopify-odoo.toml").read_text()
    assert (workdir / "state.db").exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(dashboard.group(1), timeout=2)
