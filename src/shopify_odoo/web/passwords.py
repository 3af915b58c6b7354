"""Dashboard password hashes: scrypt (default) or PBKDF2-SHA256, from the standard library.

A hash is one self-describing string, safe to put in the configuration
(``dashboard.password_hash``)::

    scrypt$16384$8$1$<salt, base64>$<key, base64>
    pbkdf2_sha256$600000$<salt, base64>$<key, base64>

``hash_password`` makes one (the demo uses it; ``python -m shopify_odoo.web.passwords`` asks
for a password and prints its hash); ``verify_password`` compares in constant time and answers
False for anything malformed (never raises on user input).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
PBKDF2_ITERATIONS = 600_000
_KEY_LEN = 32


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def hash_password(password: str, *, scheme: str = "scrypt") -> str:
    """A new salted hash of ``password`` (``scheme``: ``scrypt`` or ``pbkdf2_sha256``)."""
    salt = secrets.token_bytes(16)
    if scheme == "scrypt":
        key = hashlib.scrypt(
            password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=_KEY_LEN
        )
        return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"
    if scheme == "pbkdf2_sha256":
        key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ITERATIONS, _KEY_LEN)
        return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${_b64(salt)}${_b64(key)}"
    raise ValueError(f"unknown password scheme {scheme!r}: use scrypt or pbkdf2_sha256")


def is_password_hash(text: str) -> bool:
    """Whether ``text`` looks like a hash this module makes (not a plain password)."""
    parts = text.split("$")
    return (parts[0] == "scrypt" and len(parts) == 6) or (
        parts[0] == "pbkdf2_sha256" and len(parts) == 4
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        parts = stored.split("$")
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            if n > 2**20 or r > 32 or p > 16:
                return False  # refuse parameters that would exhaust memory
            salt, want = _unb64(parts[4]), _unb64(parts[5])
            got = hashlib.scrypt(
                password.encode(), salt=salt, n=n, r=r, p=p, dklen=len(want), maxmem=2**27
            )
        elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            iterations = int(parts[1])
            if iterations > 10_000_000:
                return False
            salt, want = _unb64(parts[2]), _unb64(parts[3])
            got = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, len(want))
        else:
            return False
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def main() -> None:
    """``python -m shopify_odoo.web.passwords``: asks for a password, prints its hash for
    ``dashboard.password_hash`` (the password itself is never printed)."""
    import getpass

    first = getpass.getpass("Dashboard password: ")
    if len(first) < 12:
        raise SystemExit("Choose a password of at least 12 characters.")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("The two passwords differ; nothing printed.")
    print(hash_password(first))


if __name__ == "__main__":
    main()
