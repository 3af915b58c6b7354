"""Entry point of the ``shopify-odoo`` command.

Each command group lives in its own module, which registers its commands on ``app`` when
imported; to add one, add an import line at the bottom of this file.  Commands stay thin and
call the same service functions as the web app.  Only this package configures logging.

Commands get the settings with ``current_settings()`` (loaded once per run from ``--config``
/ ``SHOPIFY_ODOO_CONFIG`` / ``shopify-odoo.toml`` plus the environment).  Raising a
``ShopifyOdooError`` (or ``ConfigError``) from a command prints its message in red on stderr
and exits non-zero, without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from shopify_odoo.config import CONFIG_ENV, Settings, load_settings
from shopify_odoo.errors import ConfigError, ShopifyOdooError

from .logsetup import LogFormat, configure_logging, redact_secrets

#: exit status of a configuration error (also click's status for usage errors)
EXIT_CONFIG = 2
#: exit status of any other error a person can act on
EXIT_ERROR = 1


@dataclass
class CliState:
    """Options of the current run, set by the root callback."""

    config: Path | None = None
    debug: bool = False
    log_format: LogFormat | None = None
    settings: Settings | None = None


STATE = CliState()
log = logging.getLogger(__name__)


def current_settings(*, log_warnings: bool = True) -> Settings:
    """The settings of this run, loaded (and logging reconfigured from them) on first use.

    Warnings of the configuration are logged once, unless the caller shows them itself.
    """
    if STATE.settings is None:
        settings = load_settings(STATE.config)
        redact_secrets(settings.secret_values())
        level = "debug" if STATE.debug else settings.logging.level
        configure_logging(STATE.log_format or settings.logging.format, level)
        STATE.settings = settings
        if log_warnings:
            for problem in settings.warnings:
                log.warning("configuration: %s", problem, extra={"action": "config"})
    return STATE.settings


def stdout() -> Console:
    """A console on the current stdout (created per call, so test runners can capture it).

    Not on a terminal (a pipe, a log file, CI), tables get 160 columns instead of Rich's
    default 80, so values are not folded mid-word.
    """
    console = Console(soft_wrap=True, highlight=False)
    if not console.is_terminal:
        console = Console(soft_wrap=True, highlight=False, width=160)
    return console


def stderr() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


def report_error(exc: ShopifyOdooError, *, debug: bool) -> int:
    """Print ``exc`` for a person (traceback only with ``debug``); return the exit status."""
    console = stderr()
    if debug:
        console.print("".join(traceback.format_exception(exc)), markup=False, style="dim")
    console.print(f"Error: {exc}", style="bold red", markup=False)
    if not debug:
        console.print("(run with --debug for details)", style="dim", markup=False)
    return EXIT_CONFIG if isinstance(exc, ConfigError) else EXIT_ERROR


class _ErrorReportingGroup(TyperGroup):
    """Turns errors meant for people into one red message and an exit status."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        try:
            return super().invoke(ctx)
        except ShopifyOdooError as exc:
            raise typer.Exit(report_error(exc, debug=STATE.debug)) from None


app = typer.Typer(
    name="shopify-odoo",
    cls=_ErrorReportingGroup,
    help="Keep Odoo (16-19) and your Shopify stores in agreement: stock, products, orders.",
    epilog=(
        "Settings come from shopify-odoo.toml and SHOPIFY_ODOO_* environment variables, e.g. "
        "SHOPIFY_ODOO_ODOO__API_KEY or SHOPIFY_ODOO_STORE_<HANDLE>_ACCESS_TOKEN; every one is "
        "listed in docs/reference/configuration.md."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class _LogFormatChoice(StrEnum):
    console = "console"
    json = "json"


@app.callback()
def _root(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            envvar=CONFIG_ENV,
            help="Configuration file (default: shopify-odoo.toml in the working directory).",
            show_default=False,
        ),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar="SHOPIFY_ODOO_DEBUG", help="Debug logs and tracebacks."),
    ] = False,
    log_format: Annotated[
        _LogFormatChoice | None,
        typer.Option(
            "--log-format",
            help="console or json (default: logging.format of the configuration, else console).",
            show_default=False,
        ),
    ] = None,
) -> None:
    STATE.config = config
    STATE.debug = debug
    STATE.log_format = None if log_format is None else log_format.value
    STATE.settings = None
    configure_logging(STATE.log_format or "console", "debug" if debug else "info")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="shopify-odoo")


# Command modules: one import line each (they register their commands on ``app``).
from . import (  # noqa: E402, F401
    config_cmds,
    db_cmds,
    demo_cmd,
    jobs_cmds,
    link_cmds,
    reprocess_cmds,
    run_cmds,
    sandbox_cmd,
    sync_cmds,
)
