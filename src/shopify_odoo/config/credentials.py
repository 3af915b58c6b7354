"""Checks of the connections: Odoo credentials, Shopify credential modes, exposure.

Shopify Admin API access comes in three modes (shopify-admin-api.md §h): a static token of a
legacy custom app, the client credentials grant (apps of the merchant's own organisation), or
an OAuth installation (client id + secret, redirect URL, offline token and refresh token).
The mode is ``auth`` when given, else inferred from the fields that are set; a mixture that
fits no mode is refused with what to remove.
"""

from __future__ import annotations

from collections.abc import Sequence

from .models import (
    ENV_PREFIX,
    CredentialMode,
    DashboardSettings,
    OdooSettings,
    Settings,
    StoreSettings,
    SyncSettings,
)
from .problems import Problem, did_you_mean, show
from .types import is_myshopify

MODE_LABEL: dict[str, str] = {
    "access_token": "legacy custom app token",
    "client_credentials": "client credentials grant",
    "oauth": "OAuth installation",
}

CREDENTIAL_FIELDS = ("access_token", "client_id", "client_secret", "redirect_url", "refresh_token")
STORE_ENV_FIELDS = (*CREDENTIAL_FIELDS, "webhook_secret")
_SECRET_FIELDS = {"access_token", "client_secret", "refresh_token", "webhook_secret"}

_REQUIRED: dict[str, tuple[str, ...]] = {
    "access_token": ("access_token",),
    "client_credentials": ("client_id", "client_secret"),
    "oauth": ("client_id", "client_secret", "redirect_url"),
}
_ALLOWED: dict[str, set[str]] = {
    "access_token": {"access_token"},
    "client_credentials": {"client_id", "client_secret"},
    "oauth": set(CREDENTIAL_FIELDS),
}

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

TOKEN_KEY_ENV = f"{ENV_PREFIX}TOKEN_KEY"
#: modes whose tokens are obtained at run time and kept (encrypted) in the state database
RENEWING_MODES: tuple[CredentialMode, ...] = ("client_credentials", "oauth")


def stores_needing_token_key(settings: Settings) -> list[str]:
    """Handles of the stores whose credential mode stores tokens (client credentials, OAuth)."""
    return [s.handle for s in settings.stores if s.credential_mode in RENEWING_MODES]


def token_key_problem(settings: Settings, handles: Sequence[str] | None = None) -> Problem | None:
    """An error when a store (of ``handles``, default all) needs the token key and it is unset."""
    needing = [h for h in stores_needing_token_key(settings) if handles is None or h in handles]
    if settings.token_key is not None or not needing:
        return None
    which = ", ".join(f'"{h}"' for h in needing)
    return Problem(
        "token_key",
        f"missing: store(s) {which} get their Shopify tokens at run time (client credentials "
        "or OAuth), and the state database keeps them only encrypted with this key",
        f"Set the environment variable {TOKEN_KEY_ENV} (or token_key) to a key made with: "
        'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key()'
        '.decode())"; keep it: tokens stored under another key are requested again',
    )


def store_env_var(handle: str, field: str) -> str:
    """The environment variable that gives ``field`` of store ``handle``."""
    return f"{ENV_PREFIX}STORE_{handle.upper().replace('-', '_')}_{field.upper()}"


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def _set_it(store: StoreSettings, field: str) -> str:
    where = f'[[stores]] "{store.handle}"'
    if field in _SECRET_FIELDS:
        env = store_env_var(store.handle, field)
        return f"Set {field} in {where} or the environment variable {env}"
    return f"Set {field} in {where}"


def check_store_credentials(index: int, store: StoreSettings) -> list[Problem]:
    path = f"stores[{index}]"
    present = {f for f in CREDENTIAL_FIELDS if getattr(store, f) is not None}
    mode: CredentialMode | None = store.credential_mode
    if mode is None:
        if not present:
            env = store_env_var(store.handle, "access_token")
            fix = (
                "Set access_token (legacy custom app, shpat_...), or client_id and client_secret "
                "(app of your own organisation: client credentials grant), or client_id, "
                f"client_secret and redirect_url (OAuth installation); secrets may come from {env} "
                "and the like"
            )
            return [Problem(path, f'store "{store.handle}" has no Admin API credentials', fix)]
        fix = (
            "Keep only access_token for a legacy custom app, or only client_id and client_secret "
            'for the client credentials grant; for an OAuth installation set auth = "oauth" and '
            "redirect_url"
        )
        message = (
            "both access_token and client_id/client_secret are set, so the credential mode is "
            "ambiguous"
        )
        return [Problem(f"{path}.access_token", message, fix)]

    problems: list[Problem] = []
    label = f'auth mode "{mode}" ({MODE_LABEL[mode]})'
    for field in _REQUIRED[mode]:
        if field not in present:
            problems.append(
                Problem(f"{path}.{field}", f"missing: {label} needs it", _set_it(store, field))
            )
    for field in sorted(present - _ALLOWED[mode]):
        if mode == "access_token" and field == "client_secret":
            fix = (
                "Remove it; a legacy custom app signs webhooks with its API secret key: put that "
                "in webhook_secret"
            )
        else:
            fix = "Remove it, or set auth to the mode that uses it"
        problems.append(Problem(f"{path}.{field}", f"is set but {label} does not use it", fix))
    if mode == "oauth" and store.refresh_token is not None and store.access_token is None:
        problems.append(
            Problem(
                f"{path}.access_token",
                "missing: a refresh_token is set without the offline access_token it renews",
                _set_it(store, "access_token"),
            )
        )
    if mode == "oauth" and store.access_token is None and store.refresh_token is None:
        problems.append(
            Problem(
                f"{path}.access_token",
                f'store "{store.handle}" has no offline token yet (the app is not installed)',
                f"Install it through the web app at /auth/install?shop={store.shop_domain}, or "
                "set access_token and refresh_token",
                "warning",
            )
        )
    if mode == "access_token" and store.webhook_secret is None:
        problems.append(
            Problem(
                f"{path}.webhook_secret",
                "missing: webhooks from this store cannot be verified and will be refused "
                "(orders are still picked up by the poller)",
                "Set webhook_secret to the custom app's API secret key, or the environment "
                f"variable {store_env_var(store.handle, 'webhook_secret')}",
                "warning",
            )
        )
    return problems


def check_store(index: int, store: StoreSettings) -> list[Problem]:
    path = f"stores[{index}]"
    problems = check_store_credentials(index, store)
    if store.admin_url is None and not is_myshopify(store.shop_domain):
        problems.append(
            Problem(
                f"{path}.shop_domain",
                f"{show(store.shop_domain)} is not a *.myshopify.com domain",
                'Use the permanent domain shown in the Shopify admin, e.g. "acme.myshopify.com"; '
                "for a sandbox or proxy set admin_url as well",
            )
        )
    if store.plan is not None and store.points_per_second is not None:
        problems.append(
            Problem(
                f"{path}.points_per_second",
                f"is set along with plan {show(store.plan)}; points_per_second wins",
                "Remove one of plan and points_per_second",
                "warning",
            )
        )
    if store.api_version not in ("2026-04",):
        problems.append(
            Problem(
                f"{path}.api_version",
                f"{show(store.api_version)} differs from 2026-04, the version the connector's "
                "GraphQL documents are validated against",
                'Remove api_version (default "2026-04") unless you have checked the documents',
                "warning",
            )
        )
    return problems


def check_stores(stores: Sequence[tuple[int, StoreSettings]]) -> list[Problem]:
    problems: list[Problem] = []
    handles: dict[str, int] = {}
    domains: dict[str, int] = {}
    for index, store in stores:
        problems += check_store(index, store)
        if store.handle in handles:
            problems.append(
                Problem(
                    f"stores[{index}].handle",
                    f"{show(store.handle)} is also the handle of stores[{handles[store.handle]}]",
                    "Give every store a unique handle",
                )
            )
        else:
            handles[store.handle] = index
        domain_key = f"{store.admin_url or ''} {store.shop_domain}"
        if domain_key in domains:
            problems.append(
                Problem(
                    f"stores[{index}].shop_domain",
                    f"{show(store.shop_domain)} is the same shop as stores[{domains[domain_key]}]",
                    "List each store once",
                )
            )
        else:
            domains[domain_key] = index
    return problems


def check_odoo(odoo: OdooSettings) -> list[Problem]:
    problems: list[Problem] = []
    key_fix = (
        "Set odoo.api_key (preferred: in Odoo, the integration user's Preferences > Account "
        f"Security > New API Key) or the environment variable {ENV_PREFIX}ODOO__API_KEY"
    )
    if odoo.protocol == "json2":
        if odoo.api_key is None:
            problems.append(
                Problem(
                    "odoo.api_key", "missing: protocol json2 authenticates with an API key", key_fix
                )
            )
    elif odoo.api_key is None and odoo.password is None:
        problems.append(
            Problem(
                "odoo.api_key",
                "missing: neither api_key nor password is set",
                key_fix + "; or odoo.password",
            )
        )
    if odoo.api_key is not None and odoo.password is not None:
        problems.append(
            Problem(
                "odoo.password",
                "is set along with api_key; the API key is used",
                "Remove password",
                "warning",
            )
        )
    if odoo.protocol != "json2":
        needed_by = f"protocol {show(odoo.protocol)}"
        if odoo.database is None:
            problems.append(
                Problem(
                    "odoo.database",
                    f"missing: {needed_by} needs the database name",
                    'Set odoo.database (Odoo Online: the instance name, e.g. "mycompany")',
                )
            )
        if odoo.login is None:
            problems.append(
                Problem(
                    "odoo.login",
                    f"missing: {needed_by} needs the login of the integration user",
                    'Set odoo.login, e.g. "shopify-bot@example.com"',
                )
            )
    return problems


def check_exposure(dash: DashboardSettings, sync: SyncSettings, has_stores: bool) -> list[Problem]:
    """Dashboard access and webhook delivery settings."""
    problems: list[Problem] = []
    # The dashboard is served by the receiver's app, on its address and port.
    if not is_loopback(sync.receiver_host) and dash.password_hash is None and dash.token is None:
        problems.append(
            Problem(
                "sync.receiver_host",
                f"{show(sync.receiver_host)} is reachable from other machines and the dashboard "
                "it serves has neither password_hash nor token",
                f"Set dashboard.token (e.g. {ENV_PREFIX}DASHBOARD__TOKEN) or password_hash, or "
                'bind to "127.0.0.1"',
            )
        )
    if sync.webhook_base_url is None and has_stores:
        problems.append(
            Problem(
                "sync.webhook_base_url",
                "not set: no webhooks are subscribed, Shopify changes arrive by polling only",
                "Set sync.webhook_base_url to the public https URL of the receiver",
                "warning",
            )
        )
    return problems


def unknown_store(path: str, handle: str, handles: Sequence[str]) -> Problem:
    guess = did_you_mean(handle, handles)
    if guess:
        fix = f"Did you mean {show(guess)}?"
    elif handles:
        fix = "Use one of: " + ", ".join(handles)
    else:
        fix = "Add the store as a [[stores]] table first"
    return Problem(path, f"{show(handle)} is not the handle of any store", fix)
