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
* **Lock-out**: ``MAX_FAILURES`` wrong logins from one client address within ``LOCK_SECONDS``
  lock that address out for ``LOCK_SECONDS`` (per process).
* No secret is ever rendered: pages get the actor's name and the CSRF token only.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from shopify_odoo.config import DashboardSettings
from shopify_odoo.web.passwords import verify_password

SESSION_COOKIE = "so_session"
#: the cookies are sent to the dashboard only (never with webhook or metrics requests)
COOKIE_PATH = "/dashboard"
LOGIN_CSRF_COOKIE = "so_login_csrf"
SESSION_SECONDS = 12 * 3600
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60


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


@dataclass
class Lockout:
    """Failed logins per client address; ``clock`` is injectable for tests."""

    max_failures: int = MAX_FAILURES
    seconds: float = LOCK_SECONDS
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _locked: dict[str, float] = field(default_factory=dict)

    def locked_for(self, ip: str) -> float:
        """Seconds ``ip`` stays locked out (0: not locked)."""
        until = self._locked.get(ip)
        if until is None:
            return 0.0
        left = until - self.clock()
        if left <= 0:
            del self._locked[ip]
            return 0.0
        return left

    def fail(self, ip: str) -> None:
        now = self.clock()
        recent = [t for t in self._failures.get(ip, []) if now - t < self.seconds]
        recent.append(now)
        self._failures[ip] = recent
        if len(recent) >= self.max_failures:
            self._locked[ip] = now + self.seconds
            self._failures[ip] = []
        if len(self._failures) > 10_000:  # bound memory under a spray of addresses
            oldest = sorted(self._failures, key=lambda k: max(self._failures[k], default=0))
            for key in oldest[:5_000]:
                del self._failures[key]

    def succeed(self, ip: str) -> None:
        self._failures.pop(ip, None)


class Access:
    """Credentials check, session cookies and CSRF for one app."""

    def __init__(self, settings: DashboardSettings, *, lockout: Lockout | None = None) -> None:
        self._hash = settings.password_hash.get_secret_value() if settings.password_hash else ""
        self._token = settings.token.get_secret_value() if settings.token else ""
        secret = settings.session_secret.get_secret_value() if settings.session_secret else ""
        self._serializer = URLSafeTimedSerializer(
            secret or secrets.token_urlsafe(32), salt="shopify-odoo-dashboard-session"
        )
        self.lockout = lockout or Lockout()
        self._revoked: dict[str, float] = {}

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

    def session_of(self, request: Request) -> Session | None:
        if self.closed:
            return None
        bearer = request.headers.get("authorization", "")
        if bearer.lower().startswith("bearer ") and self._token:
            # a header credential counts towards the same lock-out as the login form
            ip = client_ip(request)
            if self.lockout.locked_for(ip):
                return None
            given = bearer[7:].strip()
            if hmac.compare_digest(given.encode(), self._token.encode()):
                self.lockout.succeed(ip)
                return Session("token", "", "", "bearer")
            self.lockout.fail(ip)
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
        if session.nonce in self._revoked:
            return None
        return session

    def revoke(self, session: Session) -> None:
        now = time.monotonic()
        self._revoked = {n: t for n, t in self._revoked.items() if now - t < SESSION_SECONDS}
        self._revoked[session.nonce] = now

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
