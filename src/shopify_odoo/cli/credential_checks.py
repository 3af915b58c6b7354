"""Online parts of ``shopify-odoo check`` for credentials (issue 10 item 6).

``shopify credentials``: per store, the credential mode, whether Shopify accepts the token
(obtaining one first for client credentials; refreshing an OAuth token if needed), when it
expires, and the scopes granted against those the connector needs, naming each missing one.
``odoo connection``: version, protocol and whether the login works (refused, expired key, or no
external API on the Odoo Online plan: the client's error says which, odoo-external-api §1.1).
No token, key or secret value is ever printed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from shopify_odoo.config import MODE_LABEL, Problem, Settings
from shopify_odoo.config.credentials import RENEWING_MODES, token_key_problem
from shopify_odoo.engine.credentials import NEEDED_SCOPES, credential_report
from shopify_odoo.engine.runtime import odoo_client
from shopify_odoo.errors import ShopifyOdooError
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.store.migrate import require_current

from .config_cmds import online_check

SCOPES_FIX = (
    "Add the missing scopes to the app (Shopify Dev Dashboard > the app > Versions: access "
    "scopes; for a legacy custom app: Admin API access scopes in the Shopify admin), release "
    'the version and approve it on the store (OAuth: install again), then run "shopify-odoo '
    'check"'
)


def _expiry(at: datetime | None, mode: str) -> str:
    if at is None:
        return "never" if mode == "access_token" else "unknown"
    left = (at - datetime.now(UTC)).total_seconds()
    hours, rest = divmod(max(0, int(left)), 3600)
    when = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{when} (in {hours} h {rest // 60} min)" if left > 0 else f"{when} (expired)"


@online_check("shopify credentials")
async def shopify_credentials(settings: Settings, out: Console) -> list[Problem]:
    problems: list[Problem] = []
    db: Database | None = None
    renewing = [s.handle for s in settings.stores if s.credential_mode in RENEWING_MODES]
    key_problem = token_key_problem(settings)
    if key_problem is not None:
        problems.append(key_problem)
    elif renewing:
        db = await open_database(settings.database_url)
    try:
        if db is not None:
            try:
                await require_current(db)
            except ShopifyOdooError as exc:
                await db.dispose()
                db = None
                problems.append(
                    Problem(
                        "database_url",
                        f"{exc.message}; the tokens of store(s) {', '.join(renewing)} were "
                        "obtained for this check only",
                        exc.hint or 'Run "shopify-odoo db upgrade"',
                        "warning",
                    )
                )
        table = Table(title="Shopify credentials", title_justify="left")
        for column in ("store", "mode", "token", "expires", "scopes"):
            table.add_column(column, overflow="fold")
        for index, store in enumerate(settings.stores):
            mode = store.credential_mode or "none"
            report = await credential_report(settings, store, db=db)
            label = f"{mode} ({MODE_LABEL.get(mode, 'no credentials')})"
            if report.scopes_known:
                missing = ", ".join(report.missing)
                scopes = (
                    f"all {len(NEEDED_SCOPES)} needed granted"
                    if not report.missing
                    else f"missing: {missing}"
                )
            else:
                scopes = "not reported for this mode"
            table.add_row(
                store.handle,
                label,
                "accepted" if report.ok else "refused",
                _expiry(report.expires_at, mode) if report.ok else "-",
                scopes if report.ok else "-",
            )
            path = f"stores[{index}]"
            if not report.ok:
                problems.append(
                    Problem(
                        path,
                        report.detail,
                        report.hint or 'Fix the credentials, then run "shopify-odoo check"',
                    )
                )
            for scope in report.missing:
                problems.append(
                    Problem(
                        f"{path}.scopes",
                        f'store "{store.handle}" lacks the access scope {scope}',
                        SCOPES_FIX,
                    )
                )
        out.print(table)
    finally:
        if db is not None:
            await db.dispose()
    return problems


@online_check("odoo connection")
async def odoo_connection(settings: Settings, out: Console) -> list[Problem]:
    try:
        client = odoo_client(settings)
    except ShopifyOdooError as exc:
        return [Problem("odoo", exc.message, exc.hint or "Fix the odoo settings")]
    try:
        caps = await client.connect()
    except ShopifyOdooError as exc:
        reason = getattr(exc, "reason", None)
        path = "odoo.api_key" if reason and "key" in str(reason) else "odoo"
        return [Problem(path, exc.message, exc.hint or 'Fix it, then run "shopify-odoo check"')]
    finally:
        await client.aclose()
    key = "API key" if settings.odoo.api_key is not None else "password"
    expiry = (
        "; API keys expire on this version: renew the key before the date chosen for it"
        if caps.api_key_expiry and settings.odoo.api_key is not None
        else ""
    )
    out.print(
        f"Odoo {settings.odoo.url}: version {caps.version}, protocol {client.protocol}, "
        f"login {settings.odoo.login or '-'} accepted ({key}){expiry}",
        markup=False,
    )
    return []
