"""Logging for the command line: console or JSON lines on stderr, secrets redacted.

Only the CLI configures handlers (DESIGN.md §3); library code logs with
``logging.getLogger(__name__)`` and stable ``extra`` keys (``action``, ``store``, ``sku``,
``job``), which the JSON format emits as fields.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["console", "json"]

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_REDACTED = "***"


class RedactingFilter(logging.Filter):
    """Replaces every known secret value in a record's message and fields with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        known = set(self.secrets)
        # longest first, so a secret containing another is replaced whole
        self.secrets = sorted(known | {s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, _REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self._clean(record.getMessage())
            record.args = None
            for key, value in list(vars(record).items()):
                if key not in _STANDARD_ATTRS and isinstance(value, str):
                    setattr(record, key, self._clean(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, then the record's extra keys."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                data[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    """``12:00:01 INFO  shopify_odoo.engine: message  store=eu sku=X``."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        extras = " ".join(
            f"{k}={v}"
            for k, v in vars(record).items()
            if k not in _STANDARD_ATTRS and not k.startswith("_")
        )
        line = f"{when} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if extras:
            line += f"  {extras}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


_handler: logging.Handler | None = None
_redactor = RedactingFilter()


def configure_logging(fmt: LogFormat = "console", level: str = "info") -> None:
    """Install the one stderr handler of the ``shopify_odoo`` logger (idempotent)."""
    global _handler
    logger = logging.getLogger("shopify_odoo")
    if _handler is not None:
        logger.removeHandler(_handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    handler.addFilter(_redactor)
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    _handler = handler


def redact_secrets(secrets: Iterable[str]) -> None:
    """Register secret values that must never reach a log line."""
    _redactor.add(secrets)
