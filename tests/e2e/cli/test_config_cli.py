"""``shopify-odoo init`` and ``check`` as a person runs them, on good and bad files."""

from __future__ import annotations

import stat
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from shopify_odoo.cli import config_cmds
from shopify_odoo.cli.app import app
from shopify_odoo.config import Problem, Settings
from shopify_odoo.errors import TransientError
from tests.unit.config.helpers import BASE, base, to_toml

runner = CliRunner()


def run(args: Sequence[str], env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def write(tmp_path: Path, data: dict[str, Any] | str) -> Path:
    path = tmp_path / "shopify-odoo.toml"
    path.write_text(data if isinstance(data, str) else to_toml(data), encoding="utf-8")
    return path


def test_init_writes_an_example_that_check_accepts(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "shopify-odoo.toml"
    result = run(["init", "--path", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {path}." in result.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    check = run(["--config", str(path), "check", "--offline"])  # placeholders: nothing to reach
    assert check.exit_code == 0, check.output
    assert "Configuration OK (6 warning(s))." in check.stdout
    assert "client_credentials" in check.stdout
    assert "access_token" in check.stdout


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = write(tmp_path, "# mine\n")
    result = run(["init", "--path", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: {path} already exists and was left unchanged: pass --force to replace it, "
        "or --path to write another file"
    )
    assert path.read_text() == "# mine\n"
    assert run(["init", "--path", str(path), "--force"]).exit_code == 0
    assert "[[location_map]]" in path.read_text()


def test_init_uses_the_global_config_option(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    assert run(["--config", str(path), "init"]).exit_code == 0
    assert path.exists()


def _broken(kind: str) -> dict[str, Any] | str:
    data = base()
    if kind == "missing field":
        del data["odoo"]["url"]
    elif kind == "wrong type":
        data["location_map"][0]["buffer"] = "two"
    elif kind == "unknown key":
        data["odoo"]["apikey"] = "x"
    elif kind == "broken toml":
        return to_toml(data).replace('database = "mycompany"', "database = mycompany")
    elif kind == "duplicate mapping":
        data["location_map"].append(dict(data["location_map"][0]))
    elif kind == "split not 100":
        data["pools"] = [{"name": "WH/Stock", "allocation": "split", "split": {"eu": 50, "us": 40}}]
    elif kind == "descendant locations":
        data["location_map"][0]["odoo_locations"] = ["WH/Stock", "WH/Stock/Shelf 1"]
    elif kind == "unknown direction":
        data["location_map"][1]["direction"] = "both"
    elif kind == "ambiguous credentials":
        data["stores"][0]["access_token"] = "shpat_1"
    return data


BROKEN = {
    "missing field": "odoo.url: missing: this setting is required",
    "wrong type": 'location_map[0].buffer: "two" is not a whole number',
    "unknown key": 'odoo.apikey: unknown key "apikey". Did you mean "api_key"?',
    "broken toml": "line 3, column 12: invalid TOML: Invalid value",
    "duplicate mapping": (
        'location_map[2].shopify_location: Shopify location "Online" of store "eu" is already '
        "mapped by location_map[0]"
    ),
    "split not 100": "pools[0].split: shares add up to 90, not 100 (eu 50 + us 40)",
    "descendant locations": (
        'location_map[0].odoo_locations: "WH/Stock/Shelf 1" is inside "WH/Stock"'
    ),
    "unknown direction": 'location_map[1].direction: "both" is not a valid direction',
    "ambiguous credentials": "stores[0].access_token: both access_token and client_id",
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_bad_configuration_gives_one_clear_message(tmp_path: Path, kind: str) -> None:
    path = write(tmp_path, _broken(kind))
    result = run(["--config", str(path), "check"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert BROKEN[kind] in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.rstrip().endswith("(run with --debug for details)")


def test_all_problems_are_listed(tmp_path: Path) -> None:
    data = base()
    data["odoo"]["protocol"] = "jsonrcp"
    data["location_map"][0]["direction"] = "both"
    data["location_map"][1]["store"] = "uss"
    result = run(["--config", str(write(tmp_path, data)), "check"])
    assert result.exit_code == 2
    assert "has 3 problems:" in result.stderr
    assert result.stderr.count("\n  - ") == 3


def test_missing_file_suggests_init(tmp_path: Path) -> None:
    result = run(["--config", str(tmp_path / "none.toml"), "check"])
    assert result.exit_code == 2
    assert 'Create one with "shopify-odoo init"' in result.stderr
    assert "Traceback" not in result.stderr


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    result = run(["check", "--offline"], env={"SHOPIFY_ODOO_CONFIG": str(path)})
    assert result.exit_code == 0, result.output
    assert f"Configuration {path}" in result.stdout


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, _broken("unknown key"))
    result = run(["--debug", "--config", str(path), "check"])
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "ConfigInvalidError" in result.stderr
    assert 'odoo.apikey: unknown key "apikey"' in result.stderr


def test_check_output_never_shows_secrets(tmp_path: Path) -> None:
    data = base()
    data["odoo"]["api_key"] = "odoo-key-sekrit-1"
    data["stores"][0]["client_secret"] = "shpss_sekrit-2"
    data["stores"][1]["access_token"] = "shpat_sekrit-3"
    data["stores"][1]["webhook_secret"] = "hook-sekrit-4"
    data["dashboard"] = {"token": "dash-sekrit-5", "session_secret": "sess-sekrit-6"}
    data["database_url"] = "postgresql://conn:db-sekrit-7@127.0.0.1:5432/test"
    env = {"SHOPIFY_ODOO_STORE_EU_CLIENT_SECRET": "shpss_env-sekrit-8"}
    result = run(["--config", str(write(tmp_path, data)), "check", "--offline"], env=env)
    assert result.exit_code == 0, result.output
    output = result.stdout + result.stderr
    assert "sekrit" not in output
    assert "set (SHOPIFY_ODOO_STORE_EU_CLIENT_SECRET)" in output
    assert "postgresql+asyncpg://conn:***@127.0.0.1:5432/test" in output
    # and in failures too
    data["stores"][0]["access_token"] = "shpat_sekrit-9"
    data["odoo"]["api_key"] = 123456789
    failed = run(["--config", str(write(tmp_path, data)), "check"], env=env)
    assert failed.exit_code == 2
    assert "sekrit" not in failed.stdout + failed.stderr
    assert "123456789" not in failed.stderr


def test_online_checks_plug_in_and_offline_skips_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    async def odoo_reachable(settings: Settings, console: Any) -> list[Problem]:
        seen.append(settings.odoo.url)
        return [Problem("odoo.url", "connection refused", "Start Odoo or fix odoo.url")]

    monkeypatch.setattr(config_cmds, "_ONLINE_CHECKS", [])
    config_cmds.online_check("odoo")(odoo_reachable)
    path = str(write(tmp_path, BASE))
    result = run(["--config", path, "check"])
    assert result.exit_code == 1
    assert "Online check: odoo" in result.stdout
    assert "error: odoo.url: connection refused. Start Odoo or fix odoo.url" in result.stdout
    assert "1 error(s), 0 warning(s)." in result.stdout
    assert seen == ["https://mycompany.odoo.com"]
    offline = run(["--config", path, "check", "--offline"])
    assert offline.exit_code == 0
    assert "Online checks skipped (--offline)." in offline.stdout
    assert seen == ["https://mycompany.odoo.com"]


def _script() -> str:
    return str(Path(sys.executable).parent / "shopify-odoo")


@pytest.mark.slow
def test_installed_command_exits_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, _broken("descendant locations"))
    plain = subprocess.run(
        [_script(), "--config", str(path), "check"], capture_output=True, text=True, check=False
    )
    assert plain.returncode == 2
    assert "Traceback" not in plain.stderr
    assert BROKEN["descendant locations"] in plain.stderr
    debug = subprocess.run(
        [_script(), "--debug", "--config", str(path), "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert debug.returncode == 2
    assert "Traceback (most recent call last)" in debug.stderr


def test_an_online_check_that_raises_becomes_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unreachable(settings: Settings, console: Any) -> list[Problem]:
        raise TransientError("Odoo at https://mycompany.odoo.com did not answer", hint="is it up?")

    async def fine(settings: Settings, console: Any) -> list[Problem]:
        return []

    monkeypatch.setattr(config_cmds, "_ONLINE_CHECKS", [("odoo", unreachable), ("shopify", fine)])
    result = run(["--config", str(write(tmp_path, BASE)), "check"])
    assert result.exit_code == 1
    assert "Online check: shopify" in result.stdout
    assert (
        "error: online check odoo: Odoo at https://mycompany.odoo.com did not answer. is it up?"
        in result.stdout
    )


def test_help_names_the_settings_variables() -> None:
    result = run(["--help"])
    assert result.exit_code == 0
    assert "SHOPIFY_ODOO_CONFIG" in result.stdout
    assert "docs/reference/configuration.md" in result.stdout


def test_usage_error_exits_2_without_traceback() -> None:
    result = run(["check", "--no-such-option"])
    assert result.exit_code == 2
    assert "No such option" in result.stderr
    assert "Traceback" not in result.stderr
