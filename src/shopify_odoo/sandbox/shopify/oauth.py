"""``/admin/oauth/authorize`` and ``POST /admin/oauth/access_token`` (§h, correction 20):
client credentials (expires_in 86399, no refresh token), authorization code (optionally
expiring, with a refresh token) and refresh_token grants; Shopify's error answers."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from .gql import field
from .world import Store, Token, World

INVALID_TOKEN_BODY = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
OFFLINE_EXPIRY = 3600.0  # expiring offline tokens last 60 min (§h)
REFRESH_EXPIRY = 7_776_000.0  # 90 days (inference)


#: the scopes of the token of the request being answered, per store (``check_token`` sets it
#: right before the synchronous GraphQL execution reads it)
_REQUEST_SCOPE: dict[int, str] = {}


def check_token(world: World, store: Store, token: str | None) -> bool:
    """A known, unexpired token of ``store`` (legacy shpat_ tokens never expire, §h)."""
    if not token or not store.installed:
        return False
    found = store.tokens.get(token)
    if found is None:
        return False
    if found.expires_at is not None and world.now() >= found.expires_at:
        store.tokens.pop(token, None)
        return False
    _REQUEST_SCOPE[id(store)] = found.scope
    return True


@field("QueryRoot", "currentAppInstallation")
def _current_installation(_: Any, info: Any) -> dict[str, Any]:
    """The scopes granted to the token in use (``AppInstallation.accessScopes``, 2026-04 [S])."""
    store: Store = info.context.store
    scope = _REQUEST_SCOPE.get(id(store), store.scopes)
    return {
        "id": f"gid://shopify/AppInstallation/{store.shop_id}",
        "accessScopes": [
            {"handle": h, "description": f"Allows {h.replace('_', ' ', 1)}"}
            for h in scope.split(",")
            if h
        ],
    }


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def _params(request: Request) -> dict[str, str]:
    """Form-urlencoded (docs) or JSON (Shopify's own library), and the query string."""
    raw = await request.body()
    params: dict[str, str] = dict(request.query_params)
    ctype = request.headers.get("content-type", "")
    if "json" in ctype:
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {}
        if isinstance(data, dict):
            params.update({k: str(v) for k, v in data.items() if v is not None})
    else:
        params.update(dict(parse_qsl(raw.decode(errors="replace"))))
    return params


def _issue(
    world: World,
    store: Store,
    kind: str,
    lifetime: float | None,
    scope: str,
    *,
    refresh: bool = False,
) -> dict[str, Any]:
    prefix = "shpca_" if kind == "client_credentials" else "shpat_"
    token = prefix + secrets.token_hex(16)
    expires_at = world.now() + lifetime if lifetime is not None else None
    answer: dict[str, Any] = {"access_token": token, "scope": scope}
    rt = None
    if lifetime is not None:
        answer["expires_in"] = int(lifetime) if lifetime >= 1 else lifetime
    if refresh:
        rt = "shprt_" + secrets.token_hex(16)
        store.refresh_tokens[rt] = scope
        answer["refresh_token"] = rt
        answer["refresh_token_expires_in"] = int(REFRESH_EXPIRY)
    store.tokens[token] = Token(scope, expires_at, kind, rt)
    store.grants.append((world.now(), kind))
    return answer


async def access_token(world: World, store: Store, request: Request) -> Response:
    p = await _params(request)
    grant = p.get("grant_type", "authorization_code" if "code" in p else "")
    if p.get("client_id") != store.client_id or not hmac.compare_digest(
        p.get("client_secret", "").encode(), store.client_secret.encode()
    ):
        return _error(
            401, "invalid_client", "Client authentication failed: wrong client_id or client_secret."
        )
    if grant == "client_credentials":
        if not store.same_organisation:
            # correction 20: app and store not in the same organisation
            return _error(
                400, "shop_not_permitted", "Client credentials cannot be performed on this shop."
            )
        # correction 20: expires_in is always 86399 (configurable here for tests), no refresh
        return JSONResponse(
            _issue(world, store, "client_credentials", store.token_lifetime, store.scopes)
        )
    if grant == "authorization_code":
        scope = store.auth_codes.pop(p.get("code", ""), None)
        if scope is None:
            return _error(
                400, "invalid_request", "The authorization code was not found or was already used."
            )
        expiring = p.get("expiring") in ("1", "true")
        lifetime = min(OFFLINE_EXPIRY, store.token_lifetime) if expiring else None
        return JSONResponse(_issue(world, store, "offline", lifetime, scope, refresh=expiring))
    if grant == "refresh_token":
        scope = store.refresh_tokens.pop(p.get("refresh_token", ""), None)
        if scope is None:
            return _error(
                400, "invalid_grant", "The refresh token is invalid, expired or already used."
            )
        return JSONResponse(
            _issue(
                world,
                store,
                "offline",
                min(OFFLINE_EXPIRY, store.token_lifetime),
                scope,
                refresh=True,
            )
        )
    return _error(400, "unsupported_grant_type", f"grant_type {grant!r} is not supported.")


def oauth_hmac(secret: str, params: dict[str, str]) -> str:
    """Hex HMAC-SHA256 over the sorted ``k=v`` pairs joined by ``&``, ``hmac`` left out (§h)."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "hmac")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


async def authorize(world: World, store: Store, request: Request) -> Response:
    """The merchant approves at once: redirect to ``redirect_uri`` with code, hmac, shop, state,
    timestamp (authorization code grant)."""
    q = request.query_params
    if q.get("client_id") != store.client_id:
        return _error(400, "invalid_request", "Unknown client_id for this shop.")
    redirect = q.get("redirect_uri")
    if not redirect:
        return _error(400, "invalid_request", "redirect_uri is required.")
    code = secrets.token_hex(16)
    store.auth_codes[code] = q.get("scope") or store.scopes
    params = {
        "code": code,
        "host": "c2FuZGJveA",
        "shop": store.domain,
        "state": q.get("state", ""),
        "timestamp": str(int(world.now())),
    }
    params["hmac"] = oauth_hmac(store.client_secret, params)
    sep = "&" if "?" in redirect else "?"
    return RedirectResponse(f"{redirect}{sep}{urlencode(params)}", status_code=302)
