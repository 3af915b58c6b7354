"""The in-memory Odoo database: models, tables, users, clock, one transaction per call.

``World`` is what tests reach directly (``handle.world``); ``Env`` is Odoo's environment for
one call: user, context, transaction start time (§3.6) and active companies (§1.7).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .errors import AccessError
from .table import Row, Table
from .versions import VersionProfile

if TYPE_CHECKING:
    from .orm import Model

Plan = Literal["custom", "standard", "one_app_free", "on_premise"]
DATETIME_FMT = "%Y-%m-%d %H:%M:%S"


@dataclass(slots=True)
class ApiKey:
    """§1.1: an API key replaces the password; 18+ keys may expire."""

    key: str
    uid: int
    name: str
    scope: str = "rpc"
    expires: dt.datetime | None = None


@dataclass(slots=True)
class Fault:
    """One injected fault (control API): latency, an HTTP status, or serialization failures."""

    kind: Literal["latency", "http_status", "serialization"]
    model: str | None = None
    method: str | None = None
    #: how many calls it hits; None: every call until cleared
    remaining: int | None = 1
    seconds: float = 0.0
    status: int = 503

    def consume(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1

    @property
    def spent(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def matches(self, model: str | None, method: str | None) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.model is not None and self.model != model:
            return False
        return self.method is None or self.method == method


@dataclass(slots=True)
class Automation:
    """§7.1: an automation rule with a "Send Webhook Notification" action."""

    id: int
    model: str
    trigger: Literal["on_create", "on_write", "on_create_or_write"]
    url: str
    field_names: tuple[str, ...]
    name: str = "Send Webhook Notification"
    #: §7.1 ``trigger_field_ids``: writes fire only when one of these changed (empty: all)
    trigger_fields: tuple[str, ...] = ()


@dataclass
class Outbox:
    """Webhook POSTs waiting for the server loop (§7.1: fire-and-forget, 1 s timeout)."""

    pending: list[tuple[str, bytes]] = field(default_factory=list)
    sent: list[tuple[str, bytes, str]] = field(default_factory=list)


class World:
    def __init__(self, profile: VersionProfile, db: str = "sandbox") -> None:
        self.profile = profile
        self.db = db
        #: model name → model; typed Any because, as in Odoo, the registry is dynamic
        self.models: dict[str, Any] = {}
        self.plan: Plan = "on_premise"
        self.api_keys: dict[str, ApiKey] = {}
        self.calls: Counter[tuple[str, str]] = Counter()
        self.faults: list[Fault] = []
        self.automations: list[Automation] = []
        self.outbox = Outbox()
        self.clock_offset = dt.timedelta(0)
        self.sequences: Counter[str] = Counter()
        self.data_version = 0
        self._journal: list[tuple[Table, int, Row | None]] | None = None
        self._touched: list[tuple[str, str, int, frozenset[str]]] = []

    # -- models -----------------------------------------------------------------------------
    def register(self, model_cls: type[Model]) -> None:
        model = model_cls(self)
        self.models[model._name] = model

    def table(self, name: str) -> Table:
        table: Table = self.models[name].table
        return table

    # -- clock ------------------------------------------------------------------------------
    def utcnow(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) + self.clock_offset

    def now_str(self) -> str:
        return self.utcnow().strftime(DATETIME_FMT)

    def next_name(self, prefix: str, padding: int = 5) -> str:
        self.sequences[prefix] += 1
        return f"{prefix}{self.sequences[prefix]:0{padding}d}"

    # -- transactions -----------------------------------------------------------------------
    def _record(self, table: Table, rid: int, old: Row | None) -> None:
        if self._journal is not None:
            self._journal.append((table, rid, old))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """§1.2: one SQL transaction per call; a failure leaves no trace."""
        if self._journal is not None:  # nested (a business method calling another)
            yield
            return
        self._journal = []
        self._touched = []
        for model in self.models.values():
            model.table.journal = self._record
        try:
            yield
        except BaseException:
            for table, rid, old in reversed(self._journal):
                table.restore(rid, old)
            self._touched = []
            raise
        finally:
            for model in self.models.values():
                model.table.journal = None
            changed = bool(self._journal)
            self._journal = None
        if changed:
            self.data_version += 1

    def touched(self, model: str, event: str, rid: int, fields: Iterable[str] = ()) -> None:
        """Remember create/write events of this transaction for automation rules (§7.1)."""
        if self.automations:
            self._touched.append((model, event, rid, frozenset(fields)))

    def take_touched(self) -> list[tuple[str, str, int, frozenset[str]]]:
        events, self._touched = self._touched, []
        return events

    def env(self, uid: int = 2, context: dict[str, Any] | None = None, su: bool = False) -> Env:
        return Env(self, uid, dict(context or {}), self.now_str(), su)


class Env:
    """One call's environment: ``env[model]``, user, context, ``now`` (transaction start)."""

    __slots__ = ("_companies", "context", "now", "su", "uid", "world")

    def __init__(
        self, world: World, uid: int, context: dict[str, Any], now: str, su: bool = False
    ) -> None:
        self.world = world
        self.uid = uid
        self.context = context
        self.now = now
        self.su = su
        self._companies: list[int] | None = None

    def __getitem__(self, name: str) -> Any:
        return self.world.models[name]

    @property
    def profile(self) -> VersionProfile:
        return self.world.profile

    @property
    def user(self) -> Row:
        return self.world.table("res.users").rows[self.uid]

    def has_group(self, xmlid: str) -> bool:
        if self.su:
            return True
        group_id = self.world.models["ir.model.data"].xmlid_to_id(xmlid)
        return group_id in self.user["groups_id"]

    @property
    def companies(self) -> list[int]:
        """§1.7: ``allowed_company_ids`` else the user's companies; unauthorized ids refused."""
        if self._companies is None:
            user = self.user
            allowed = self.context.get("allowed_company_ids")
            if allowed:
                ids = [int(c) for c in allowed]
                if not self.su and not set(ids) <= set(user["company_ids"]):
                    raise AccessError("Access to unauthorized or invalid companies.")
                self._companies = ids
            else:
                self._companies = list(user["company_ids"])
        return self._companies

    @property
    def company_id(self) -> int:
        """§1.7: first id of ``allowed_company_ids``, else the user's main company."""
        if self.context.get("allowed_company_ids"):
            return self.companies[0]
        return int(self.user["company_id"])

    def with_context(self, **extra: Any) -> Env:
        return Env(self.world, self.uid, {**self.context, **extra}, self.now, self.su)

    def sudo(self) -> Env:
        return Env(self.world, self.uid, self.context, self.now, True)


NowFn = Callable[[], str]
