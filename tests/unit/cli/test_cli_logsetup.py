"""Logging set up by the CLI: JSON lines with stable keys, secrets redacted."""

from __future__ import annotations

import json
import logging

import pytest

from shopify_odoo.cli import logsetup


@pytest.fixture
def restore_logging() -> object:
    logger = logging.getLogger("shopify_odoo")
    level, handlers = logger.level, list(logger.handlers)
    yield logger
    for handler in list(logger.handlers):
        if handler not in handlers:
            logger.removeHandler(handler)
    logger.setLevel(level)
    logsetup._handler = None


def test_json_lines_carry_extra_keys_and_redact_secrets(
    restore_logging: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    logsetup.configure_logging("json", "info")
    logsetup.redact_secrets(["shpat_abcdef123456", "xy"])
    log = logging.getLogger("shopify_odoo.engine.test")
    log.info("pushed with %s", "shpat_abcdef123456", extra={"store": "eu", "sku": "A-1"})
    log.debug("not shown at info")
    line = capsys.readouterr().err.strip().splitlines()
    assert len(line) == 1
    record = json.loads(line[0])
    assert record["message"] == "pushed with ***"
    assert record["level"] == "info"
    assert record["logger"] == "shopify_odoo.engine.test"
    assert (record["store"], record["sku"]) == ("eu", "A-1")
    assert "shpat_abcdef123456" not in line[0]


def test_console_format_and_redacted_extras(
    restore_logging: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    logsetup.configure_logging("console", "debug")
    logsetup.configure_logging("console", "debug")  # idempotent: one handler
    logsetup.redact_secrets(["token-value-42"])
    logging.getLogger("shopify_odoo.x").debug("hello", extra={"job": "token-value-42"})
    err = capsys.readouterr().err
    assert err.count("hello") == 1
    assert "DEBUG   shopify_odoo.x: hello  job=***" in err


def test_current_settings_loads_once_and_logs_warnings(
    restore_logging: logging.Logger,
    tmp_path: object,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from pathlib import Path

    from shopify_odoo.cli import app as cli_app
    from shopify_odoo.config import example_config

    path = Path(str(tmp_path)) / "shopify-odoo.toml"
    path.write_text(example_config(), encoding="utf-8")
    monkeypatch.setattr(cli_app, "STATE", cli_app.CliState(config=path))
    caplog.set_level(logging.WARNING, logger="shopify_odoo")
    first = cli_app.current_settings()
    assert cli_app.current_settings() is first
    logged = [r.getMessage() for r in caplog.records if r.name == "shopify_odoo.cli.app"]
    assert len(logged) == len(first.warnings) > 0
    assert logged[0].startswith("configuration: ")
    assert "REPLACE-ME" not in " ".join(logged)
