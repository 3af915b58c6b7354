"""OAuth install flow (authorization code grant) for merchants who install the connector as an
app on a store of another organisation (fact sheet §h; issue 10 item 3).

``GET /auth/install?shop=<shop>.myshopify.com`` → 302 to the shop's
``/admin/oauth/authorize?client_id&scope&redirect_uri&state`` with the scopes the connector
needs; ``GET /auth/callback?code&hmac&host&shop&state&timestamp`` (Shopify's redirect) is
accepted only when

* ``shop`` is a ``*.myshopify.com`` domain (or a configured store's domain when that store has
  an ``admin_url``: the sandbox or a proxy) and a configured store in OAuth mode;
* ``hmac`` is the hex HMAC-SHA256, keyed with the app's client secret, of the other query
  parameters sorted by name and joined as ``k=v`` with ``&`` (Shopify's redirect signature;
  the sandbox signs the same way, ``sandbox/shopify/oauth.py``);
* ``state`` was issued by ``/auth/install`` for that same shop, less than ``STATE_TTL`` ago,
  has not been used, and matches the browser's state cookie.

Then the code is exchanged for an expiring offline token and its refresh token, which are
stored encrypted (``engine.credentials``).  No token value is ever put in a page or a log.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from shopify_odoo.config import Settings, StoreSettings
from shopify_odoo.engine.credentials import store_installed_token
from shopify_odoo.errors import ShopifyOdooError
from shopify_odoo.shopify.auth import NEEDED_SCOPES, exchange_code, missing_scopes
from shopify_odoo.store.database import Database

log = logging.getLogger(__name__)

STATE_TTL = 600.0  # seconds a state stays valid (ten minutes to approve in the Shopify admin)
STATE_COOKIE = "shopify_odoo_oauth_state"
_MYSHOPIFY = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


def callback_hmac(secret: str, params: Mapping[str, str]) -> str:
    """Hex HMAC-SHA256 of the sorted ``k=v`` pairs joined by ``&``, ``hmac`` left out."""
    message = "&".join(
        f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature")
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass
class _State:
    shop: str
    expires: float


@dataclass
class OAuthStates:
    """Issued ``state`` values: single use, expiring, bound to a shop (this process)."""

    ttl: float = STATE_TTL
    clock: Callable[[], float] = time.monotonic
    _issued: dict[str, _State] = field(default_factory=dict)

    def issue(self, shop: str) -> str:
        now = self.clock()
        for key in [k for k, s in self._issued.items() if s.expires <= now]:
            del self._issued[key]
        state = secrets.token_urlsafe(24)
        self._issued[state] = _State(shop, now + self.ttl)
        return state

    def consume(self, state: str, shop: str) -> str | None:
        """None when ``state`` is valid for ``shop`` (and now used up), else why not."""
        issued = self._issued.pop(state, None)
        if issued is None:
            return "unknown or already used"
        if issued.expires <= self.clock():
            return "expired"
        if issued.shop != shop:
            return "issued for another shop"
        return None


class OAuthFlow:
    """The two routes; ``transport`` reaches Shopify's token endpoint (tests inject it)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        states: OAuthStates | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.states = states or OAuthStates()
        self.transport = transport

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/auth/install", self.install, methods=["GET"]),
            Route("/auth/callback", self.callback, methods=["GET"]),
        ]

    # -- checks -----------------------------------------------------------------------------
    def _store(self, shop: str) -> tuple[StoreSettings | None, str | None]:
        """The configured OAuth store of ``shop``, or why the shop is refused."""
        shop = shop.strip().lower()
        configured = self.settings.store_for_domain(shop) if shop else None
        sandboxed = configured is not None and configured.admin_url is not None
        if not _MYSHOPIFY.match(shop) and not sandboxed:
            return None, "is not a *.myshopify.com shop domain"
        if configured is None:
            return None, "is not a store of this connector (add it under [[stores]] first)"
        if configured.credential_mode != "oauth":
            return None, (
                f'is store "{configured.handle}", which is not configured for an OAuth '
                'installation (set auth = "oauth", client_id, client_secret and redirect_url)'
            )
        if configured.client_id is None or configured.client_secret is None:
            return None, f'store "{configured.handle}" has no client_id or client_secret'
        if configured.redirect_url is None:
            return None, f'store "{configured.handle}" has no redirect_url'
        return configured, None

    @staticmethod
    def _refuse(what: str, status: int = 400) -> Response:
        log.warning("OAuth install refused: %s", what, extra={"action": "oauth_refused"})
        page = f"<h1>Installation refused</h1><p>{html.escape(what)}</p>"
        return HTMLResponse(page, status_code=status)

    # -- routes -----------------------------------------------------------------------------
    async def install(self, request: Request) -> Response:
        shop = request.query_params.get("shop", "")
        store, why = self._store(shop)
        if store is None:
            return self._refuse(
                f"shop {shop!r} {why}. Start the installation from /auth/install?shop="
                "<your-shop>.myshopify.com"
            )
        assert store.client_id is not None
        assert store.redirect_url is not None
        state = self.states.issue(store.shop_domain)
        query = urlencode(
            {
                "client_id": store.client_id,
                "scope": ",".join(NEEDED_SCOPES),
                "redirect_uri": store.redirect_url,
                "state": state,
            }
        )
        response = RedirectResponse(f"{store.base_url}/admin/oauth/authorize?{query}", 302)
        response.set_cookie(
            STATE_COOKIE,
            state,
            max_age=int(self.states.ttl),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    async def callback(self, request: Request) -> Response:
        params = dict(request.query_params)
        shop = params.get("shop", "")
        store, why = self._store(shop)
        if store is None:
            return self._refuse(f"shop {shop!r} {why}")
        assert store.client_id is not None
        assert store.client_secret is not None
        secret = store.client_secret.get_secret_value()
        given = params.get("hmac", "")
        if not given or not hmac.compare_digest(given, callback_hmac(secret, params)):
            return self._refuse(
                f"the hmac of the callback for {store.shop_domain} is wrong: the request was "
                "not signed by Shopify with this app's client secret (check client_secret of "
                f'store "{store.handle}", then install again)',
                403,
            )
        state = params.get("state", "")
        problem = self.states.consume(state, store.shop_domain) if state else "missing"
        if problem is None and request.cookies.get(STATE_COOKIE) != state:
            problem = "not the one given to this browser"
        if problem is not None:
            return self._refuse(
                f"the state of the callback for {store.shop_domain} is {problem}: start again "
                f"at /auth/install?shop={store.shop_domain}",
                403,
            )
        code = params.get("code", "")
        if not code:
            return self._refuse("the callback carries no authorization code")
        try:
            record = await exchange_code(
                token_url=store.token_url,
                client_id=store.client_id,
                client_secret=secret,
                code=code,
                transport=self.transport,
                store=store.handle,
                shop_domain=store.shop_domain,
            )
            await store_installed_token(self.settings, self.db, store, record)
        except ShopifyOdooError as exc:
            return self._refuse(str(exc), 502)
        missing = missing_scopes(record.scopes)
        log.info(
            "store %s: installed through OAuth (%d scopes granted)",
            store.handle,
            len(record.scopes),
            extra={"action": "oauth_installed", "store": store.handle},
        )
        lines = [
            f"<h1>Connector installed on {html.escape(store.shop_domain)}</h1>",
            f"<p>Store {html.escape(store.handle)}: the offline token is stored encrypted"
            + (
                "; it is refreshed automatically.</p>"
                if record.refresh_token
                else " (it does not expire).</p>"
            ),
        ]
        if missing:
            lines.append(
                "<p>Missing scopes: "
                + html.escape(", ".join(missing))
                + ". Approve them by installing again.</p>"
            )
        response = HTMLResponse("\n".join(lines))
        response.delete_cookie(STATE_COOKIE)
        return response


def oauth_routes(settings: Settings, db: Database) -> list[BaseRoute]:
    """The install and callback routes of the web app."""
    return OAuthFlow(settings, db).routes()
