"""Dashboard access: login, signed session cookies, CSRF tokens, lock-out after failures.

* **Closed by default**: with neither ``dashboard.password_hash`` nor ``dashboard.token`` set,
  nobody can log in (the login page says what to configure).
* **Login** with the password (checked against its scrypt/PBKDF2 hash) or the token (constant
  time comparison).  Scripts may send ``Authorization: Bearer <token>`` instead of a cookie.
* **Session cookie** ``so_session``: signed (itsdangerous, key ``dashboard.session_secret`` or
  a random per-process key), expires after ``SESSION_SECONDS``; ``HttpOnly``,
  ``SameSite=Strict``, ``Secure`` when the request came over TLS (``https`` scheme or
  ``X-Forwarded-Proto: https`` from the proxy in front).
* **CSRF**: each session carries a random token; every form posts it back (``csrf`` field) and
  a POST without the right one is refused (403).  The login form uses a double-submit cookie.
  A POST whose ``Origin`` names another host is refused too.
* **Lock-out**: ``MAX_FAILURES`` wrong logins (or wrong bearer tokens) from one client address
  within ``LOCK_SECONDS`` lock that address out for ``LOCK_SECONDS``.
* **Logout** ends the session on every process.  Both are kept in the state database
  (:class:`shopify_odoo.engine.dashboard_access.LoginGuard`), so they hold when several
  processes serve the dashboard (docs/how-to/scale-out.md); no password or token is stored.
* No secret is ever rendered: pages get the actor's name and the CSRF token only.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from shopify_odoo.config import DashboardSettings
from shopify_odoo.engine.dashboard_access import LOCK_SECONDS, MAX_FAILURES, LoginGuard
from shopify_odoo.web.passwords import verify_password

SESSION_COOKIE = "so_session"
#: the cookies are sent to the dashboard only (never with webhook or metrics requests)
COOKIE_PATH = "/dashboard"
LOGIN_CSRF_COOKIE = "so_login_csrf"
SESSION_SECONDS = 12 * 3600
__all__ = [
    "COOKIE_PATH",
    "LOCK_SECONDS",
    "LOGIN_CSRF_COOKIE",
    "MAX_FAILURES",
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "Access",
    "Session",
    "client_ip",
    "is_tls",
]


@dataclass(frozen=True, slots=True)
class Session:
    actor: str
    csrf: str
    nonce: str
    #: "password", "token" (cookie after a token login) or "bearer" (header, no cookie)
    method: str


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def is_tls(request: Request) -> bool:
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or proto == "https"


class Access:
    """Credentials check, session cookies and CSRF for one app."""

    def __init__(self, settings: DashboardSettings, *, guard: LoginGuard) -> None:
        self._hash = settings.password_hash.get_secret_value() if settings.password_hash else ""
        self._token = settings.token.get_secret_value() if settings.token else ""
        secret = settings.session_secret.get_secret_value() if settings.session_secret else ""
        self._serializer = URLSafeTimedSerializer(
            secret or secrets.token_urlsafe(32), salt="shopify-odoo-dashboard-session"
        )
        #: lock-out and logged-out sessions, shared by every process through the database
        self.guard = guard

    @property
    def closed(self) -> bool:
        """No way to log in is configured: the dashboard stays closed."""
        return not self._hash and not self._token

    def check_secret(self, given: str) -> str | None:
        """The login method ``given`` is valid for ("password" or "token"), else None."""
        if not given:
            return None
        ok_token = bool(self._token) and hmac.compare_digest(given.encode(), self._token.encode())
        if ok_token:
            return "token"
        if self._hash and verify_password(given, self._hash):
            return "password"
        return None

    # -- sessions -----------------------------------------------------------------------

    def new_session(self, actor: str, method: str) -> tuple[Session, str]:
        session = Session(actor, secrets.token_urlsafe(24), secrets.token_urlsafe(12), method)
        value = self._serializer.dumps(
            {"a": session.actor, "c": session.csrf, "n": session.nonce, "m": method}
        )
        return session, value

    async def session_of(self, request: Request) -> Session | None:
        if self.closed:
            return None
        bearer = request.headers.get("authorization", "")
        if bearer.lower().startswith("bearer ") and self._token:
            # a header credential counts towards the same lock-out as the login form
            ip = client_ip(request)
            if await self.guard.locked_for(ip):
                return None
            given = bearer[7:].strip()
            if hmac.compare_digest(given.encode(), self._token.encode()):
                await self.guard.succeed(ip)
                return Session("token", "", "", "bearer")
            await self.guard.fail(ip)
            return None
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data: Any = self._serializer.loads(raw, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        try:
            session = Session(str(data["a"]), str(data["c"]), str(data["n"]), str(data["m"]))
        except KeyError:
            return None
        if await self.guard.revoked(session.nonce):
            return None
        return session

    async def revoke(self, session: Session) -> None:
        """Logout: the session's cookie is refused from now on, by every process."""
        if session.nonce:
            await self.guard.revoke(session.nonce, lifetime=SESSION_SECONDS)

    def set_session_cookie(self, response: Response, request: Request, value: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=SESSION_SECONDS,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=is_tls(request),
        )

    def clear_session_cookie(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            SESSION_COOKIE,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=is_tls(request),
        )

    # -- CSRF ---------------------------------------------------------------------------

    @staticmethod
    def same_origin(request: Request) -> bool:
        """A browser's ``Origin`` (when sent) must name this host."""
        origin = request.headers.get("origin")
        if not origin or origin == "null":
            return origin is None
        host = request.headers.get("host", "")
        return origin.split("://", 1)[-1].rstrip("/") == host

    @staticmethod
    def csrf_ok(session: Session, given: str | None) -> bool:
        if session.method == "bearer":
            return True  # a header credential is never sent by a browser on its own
        return bool(given) and hmac.compare_digest(str(given).encode(), session.csrf.encode())

    @staticmethod
    def login_csrf(request: Request) -> str:
        return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)

    @staticmethod
    def set_login_csrf(response: Response, request: Request, value: str) -> None:
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            value,
            max_age=3600,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=is_tls(request),
        )
