"""The two kinds of error every layer raises (STYLE.md §5).

``TransientError``: the same call may succeed later (network, 5xx, throttling, serialization
failure); the queue retries with backoff.  ``TerminalError``: retrying cannot help (bad
credentials, missing scope, validation, unknown product); the work is parked for a person and
the message says what to do.  Messages never contain secrets.
"""

from __future__ import annotations


class ShopifyOdooError(Exception):
    """Base of every error this package raises on purpose."""

    def __init__(self, message: str, *, cause: str = "error", hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: short stable machine label, used to group errors for people ("unmapped_location")
        self.cause = cause
        #: the next step for a person, when the message itself does not carry it
        self.hint = hint

    def __str__(self) -> str:
        if self.hint and self.hint not in self.message:
            return f"{self.message}: {self.hint}"
        return self.message


class TransientError(ShopifyOdooError):
    """Retry later; ``retry_after`` (seconds) when the remote side said how long to wait."""

    def __init__(
        self,
        message: str,
        *,
        cause: str = "transient",
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, cause=cause, hint=hint)
        self.retry_after = retry_after


class TerminalError(ShopifyOdooError):
    """Retrying cannot help; park the work for a person."""


class ConfigError(TerminalError):
    """The configuration is wrong; the message lists every problem with its fix."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message, cause="config")
        self.problems = problems or []
