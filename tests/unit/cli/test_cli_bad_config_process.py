"""Bad configuration through the installed ``shopify-odoo`` command, in its own process.

What a person sees: one message naming each problem (field path, bad value, fix), exit code 2,
nothing on stdout and no traceback.  (tests/e2e/cli drives each kind in-process one by one;
here the real console script runs, so the exit code and stderr are the process's own.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.config.helpers import base, to_toml

pytestmark = pytest.mark.slow  # each run starts a Python process with the whole CLI


def _shopify_odoo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "shopify-odoo"
    return subprocess.run(
        [str(script), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


def _assert_clean_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr
    assert result.stderr.rstrip().endswith("(run with --debug for details)")


def test_every_kind_of_bad_value_is_named_with_its_fix(tmp_path: Path) -> None:
    data = base()
    del data["odoo"]["url"]  # missing field
    data["odoo"]["apikey"] = "typo"  # unknown key
    data["odoo"]["timeout"] = "soon"  # wrong type
    data["location_map"][0]["buffer"] = "two"  # wrong type
    data["location_map"].append(  # duplicate mapping (location names compare casefolded)
        {"store": "eu", "shopify_location": "online", "odoo_locations": ["PAR/Stock"]}
    )
    (tmp_path / "shopify-odoo.toml").write_text(to_toml(data), encoding="utf-8")
    result = _shopify_odoo("check", cwd=tmp_path)
    _assert_clean_failure(result)
    err = result.stderr
    assert "has 5 problems:" in err
    assert "odoo.url: missing: this setting is required" in err
    assert "Add url under odoo" in err
    assert 'odoo.apikey: unknown key "apikey". Did you mean "api_key"?' in err
    assert 'odoo.timeout: "soon" is not a duration' in err
    assert 'location_map[0].buffer: "two" is not a whole number' in err
    assert "Write a number without quotes" in err
    assert (
        'location_map[2].shopify_location: Shopify location "online" of store "eu" is already '
        "mapped by location_map[0]"
    ) in err
    assert "merge the two rows or delete one" in err
    # secrets of the file never appear, even beside the problems
    for secret in ("odoo-key-1234", "shpss_eu_secret", "shpat_us_token", "us-webhook-key"):
        assert secret not in err


def test_broken_toml_points_at_line_and_column(tmp_path: Path) -> None:
    text = to_toml(base()).replace('database = "mycompany"', "database = mycompany")
    line = text.splitlines().index("database = mycompany") + 1
    (tmp_path / "shopify-odoo.toml").write_text(text, encoding="utf-8")
    result = _shopify_odoo("check", cwd=tmp_path)
    _assert_clean_failure(result)
    assert f"shopify-odoo.toml, line {line}, column 12: invalid TOML" in result.stderr
    assert "text values need double quotes" in result.stderr


def test_an_unopenable_database_url_is_one_line(tmp_path: Path) -> None:
    result = _shopify_odoo(
        "db", "upgrade", "--database-url", "sqlite:///no/such/folder/state.db", cwd=tmp_path
    )
    _assert_clean_failure(result)
    first, *rest = result.stderr.splitlines()
    assert first.startswith('Error: Cannot open the SQLite state database "sqlite:///no/such/')
    assert "check that the folder exists and is writable" in first
    assert rest == ["(run with --debug for details)"]
