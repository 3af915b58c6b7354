"""``shopify-odoo init`` and ``shopify-odoo check``.

``check`` validates the configuration offline, prints what it understood (stores and their
credential mode, the location map, pools) and every problem.  Online checks (credentials,
scopes, locations, SKUs) plug in with ``@online_check("name")``: an async function of the
settings and the console returning problems; ``check`` runs each one unless ``--offline``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shopify_odoo.config import (
    DEFAULT_CONFIG_FILE,
    Problem,
    Settings,
    StoreSettings,
    example_config,
)
from shopify_odoo.config.types import redact_url
from shopify_odoo.errors import ShopifyOdooError

from .app import STATE, app, current_settings, stdout

OnlineCheck = Callable[[Settings, Console], Awaitable[Sequence[Problem]]]
_ONLINE_CHECKS: list[tuple[str, OnlineCheck]] = []


def online_check(name: str) -> Callable[[OnlineCheck], OnlineCheck]:
    """Register an online part of ``check`` (e.g. ``@online_check("odoo")``)."""

    def register(check: OnlineCheck) -> OnlineCheck:
        _ONLINE_CHECKS.append((name, check))
        return check

    return register


@app.command()
def init(
    path: Annotated[
        Path | None,
        typer.Option(
            "--path",
            "-p",
            help="Where to write (default: --config, else shopify-odoo.toml).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented example configuration to fill in."""
    target = path or STATE.config or Path(DEFAULT_CONFIG_FILE)
    if target.exists() and not force:
        raise ShopifyOdooError(
            f"{target} already exists and was left unchanged",
            cause="exists",
            hint="pass --force to replace it, or --path to write another file",
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # owner-only: the file may hold secrets once filled in
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(example_config())
    except OSError as exc:
        raise ShopifyOdooError(
            f"cannot write {target}: {exc.strerror}", hint="choose another --path"
        ) from None
    out = stdout()
    out.print(f"Wrote {target}.", style="green", markup=False)
    out.print(
        "Fill in the values marked REPLACE-ME (secrets are better given as environment "
        f'variables, see the comments), then run "shopify-odoo --config {target} check".',
        markup=False,
    )


def _secret(settings: Settings, path: str, present: bool) -> str:
    if not present:
        return "missing"
    origin = settings.secret_origin(path)
    return f"set ({origin})" if origin and origin != "file" else "set"


def _store_secrets(settings: Settings, index: int, store: StoreSettings) -> str:
    parts = []
    for field in ("access_token", "client_secret", "refresh_token"):
        value = getattr(store, field)
        if value is not None:
            parts.append(f"{field}: {_secret(settings, f'stores[{index}].{field}', True)}")
    if store.webhook_secret is not None:
        path = f"stores[{index}].webhook_secret"
        parts.append(f"webhook_secret: {_secret(settings, path, True)}")
    elif store.client_secret is not None:
        parts.append("webhooks: signed with client_secret")
    else:
        parts.append("webhook_secret: missing")
    return "\n".join(parts)


def _print_summary(settings: Settings, out: Console) -> None:
    odoo = settings.odoo
    out.print(f"Configuration {settings.source}", style="bold", markup=False)
    out.print(f"State database: {redact_url(settings.database_url)}", markup=False)
    key = "api_key" if odoo.api_key is not None else "password"
    out.print(
        f"Odoo: {odoo.url} database={odoo.database or '-'} login={odoo.login or '-'} "
        f"protocol={odoo.protocol} company={odoo.company_id or '-'} "
        f"{key}: {_secret(settings, f'odoo.{key}', getattr(odoo, key) is not None)}",
        markup=False,
    )

    stores = Table(title=f"Stores ({len(settings.stores)})", title_justify="left")
    for column in ("handle", "shop", "api", "rate", "credentials", "secrets"):
        stores.add_column(column, overflow="fold")
    for i, store in enumerate(settings.stores):
        mode = store.credential_mode
        shop = store.shop_domain + (f"\nvia {store.admin_url}" if store.admin_url else "")
        rate = f"{store.rate_hint} pts/s" if store.rate_hint else "from answers"
        label = mode or "-"
        stores.add_row(
            store.handle, shop, store.api_version, rate, label, _store_secrets(settings, i, store)
        )
    out.print(stores)

    rows = Table(title=f"Location map ({len(settings.location_map)} rows)", title_justify="left")
    for column in ("#", "store", "shopify location", "type", "odoo locations", "direction"):
        rows.add_column(column, overflow="fold")
    for column in ("buffer", "pool", "state"):
        rows.add_column(column, overflow="fold")
    for i, row in enumerate(settings.location_map):
        state = "excluded" if row.excluded else "enabled" if row.enabled else "disabled"
        rows.add_row(
            str(i),
            row.store,
            row.shopify_location,
            row.type or "-",
            "\n".join(row.odoo_locations) or "-",
            row.direction,
            str(row.buffer),
            row.pool_name or "-",
            state,
        )
    out.print(rows)

    pools = {row.pool_name for row in settings.location_map if row.odoo_locations}
    pools |= {pool.name for pool in settings.pools}
    table = Table(title=f"Pools ({len(pools)})", title_justify="left")
    for column in ("pool", "allocation", "stores"):
        table.add_column(column, overflow="fold")
    for name in sorted(pools):
        pool = settings.pool(name)
        users = sorted({r.store for r in settings.location_map if r.pool_name == name})
        if pool.allocation == "split":
            shares = ", ".join(f"{h} {v}%" for h, v in pool.split.items())
        else:
            shares = ", ".join(users) or "-"
        table.add_row(name, pool.allocation, shares)
    out.print(table)
    if settings.sku_buffers:
        out.print(f"SKU buffers: {len(settings.sku_buffers)}", markup=False)


def _print_problems(problems: Sequence[Problem], out: Console) -> None:
    for problem in problems:
        style = "red" if problem.is_error else "yellow"
        out.print(f"{problem.severity}: {problem}", style=style, markup=False)


@app.command()
def check(
    offline: Annotated[
        bool, typer.Option("--offline", help="Only validate the file; do not connect.")
    ] = False,
) -> None:
    """Validate the configuration (and, when available, credentials and locations online)."""
    settings = current_settings(log_warnings=False)  # printed below with the others
    out = stdout()
    _print_summary(settings, out)
    problems: list[Problem] = list(settings.warnings)
    if offline:
        out.print("Online checks skipped (--offline).", markup=False)
    elif not _ONLINE_CHECKS:
        out.print("Online checks: none available in this version (offline checks only).")
    for name, run in [] if offline else _ONLINE_CHECKS:
        out.print(f"Online check: {name}", style="bold", markup=False)
        problems += asyncio.run(_run(name, run, settings, out))
    _print_problems(problems, out)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if errors:
        out.print(f"{errors} error(s), {warnings} warning(s).", style="bold red", markup=False)
        raise typer.Exit(1)
    out.print(f"Configuration OK ({warnings} warning(s)).", style="bold green", markup=False)


async def _run(
    name: str, check: OnlineCheck, settings: Settings, out: Console
) -> Sequence[Problem]:
    """One online check; an error it raises becomes a problem, so the others still run."""
    try:
        return await check(settings, out)
    except ShopifyOdooError as exc:
        fix = exc.hint or "Fix the cause above and run check again"
        return [Problem(f"online check {name}", exc.message, fix)]


# Online checks of the credentials register themselves on import (issue 10).
from . import credential_checks  # noqa: E402, F401
