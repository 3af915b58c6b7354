"""The service layer every transport shares: authentication (§1.1, correction 3), the private
method guard (correction 7), method lookup (correction 8), access rights, one transaction per
call with Odoo's serialization retries (§9), automation rules after the call (§7.1)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .errors import AccessDenied, AccessError, SerializationFailure, UserError
from .world import Env, World

MAX_TRIES_ON_CONCURRENCY_FAILURE = 5  # §9
PLAN_REFUSAL = (
    "Access to data via the external API is only available on Custom Odoo pricing plans; this "
    "database is on the {plan} plan."
)


class OperationalError(Exception):
    """What Odoo raises for an unknown database (psycopg2)."""


OperationalError.__module__ = "psycopg2"


class Dispatcher:
    def __init__(self, world: World) -> None:
        self.world = world
        #: when the current request arrived (set by the transport right before dispatching)
        self.started: str | None = None

    # -- common service ------------------------------------------------------------------------
    def check_db(self, db: str) -> None:
        if db != self.world.db:
            raise OperationalError(f'connection failed: FATAL:  database "{db}" does not exist\n')

    def check_plan(self) -> None:
        """§1.1: no external API on One App Free / Standard (the refusal's shape is ours: the
        fact sheet records only that access is unavailable)."""
        if self.world.plan in ("standard", "one_app_free"):
            raise AccessDenied(PLAN_REFUSAL.format(plan=self.world.plan.replace("_", " ")))

    def _user_by_login(self, login: str) -> dict[str, Any] | None:
        users = self.world.models["res.users"]
        for uid in users.table.ids_where("login", login):
            row = users.row(uid)
            if row["active"]:
                return dict(row)
        return None

    def key_uid(self, key: str) -> int | None:
        """An API key's user, if the key exists and (18+, §1.1) has not expired."""
        api_key = self.world.api_keys.get(key)
        if api_key is None:
            return None
        if (
            api_key.expires is not None
            and self.world.profile.api_key_expiry
            and api_key.expires <= self.world.utcnow()
        ):
            return None
        return api_key.uid

    def authenticate(
        self, db: str, login: str, password: str, *, allow_key: bool = True
    ) -> int | None:
        """Password or API key (§1.1: keys work wherever the password does, except the
        interactive session route)."""
        self.check_db(db)
        self.check_plan()
        user = self._user_by_login(login)
        if user is None or not password:
            return None
        if user["password"] and password == user["password"]:
            return int(user["id"])
        if allow_key and self.key_uid(password) == user["id"]:
            return int(user["id"])
        return None

    def check_credentials(self, db: str, uid: Any, password: Any) -> int:
        """Correction 3: wrong password, a uid that does not match, (18+) an empty password
        → AccessDenied (fault 3)."""
        self.check_db(db)
        self.check_plan()
        if not password and not self.world.profile.empty_password_denied:
            raise AccessDenied()
        users = self.world.models["res.users"].table.rows
        row = users.get(uid) if isinstance(uid, int) else None
        if row is None or not row["active"] or not password:
            raise AccessDenied()
        if row["password"] and password == row["password"]:
            return int(uid)
        if self.key_uid(str(password)) == uid:
            return int(uid)
        raise AccessDenied()

    # -- object service ------------------------------------------------------------------------
    def execute_kw(
        self,
        db: str,
        uid: Any,
        password: Any,
        model: str,
        method: str,
        args: list[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        uid = self.check_credentials(db, uid, password)
        return self.call(uid, model, method, list(args or []), dict(kwargs or {}))

    def resolve(self, model: str, method: str) -> Any:
        world = self.world
        if model not in world.models:
            raise UserError(f"Object {model} doesn't exist")  # correction 8: fault 2
        if method.startswith("_"):
            raise AccessError(world.profile.private_method_message(model, method))
        spec = world.models[model].rpc_spec(method)
        if spec is None:
            raise AttributeError(world.profile.unknown_method_message(model, method))
        return spec

    def call(
        self,
        uid: int,
        model_name: str,
        method: str,
        args: list[Any],
        kwargs: dict[str, Any],
        *,
        ids: list[int] | None = None,
    ) -> Any:
        world = self.world
        world.calls[(model_name, method)] += 1
        spec = self.resolve(model_name, method)
        model = world.models[model_name]
        context = kwargs.pop("context", None) or {}
        if not isinstance(context, dict):
            raise TypeError("context must be a dictionary")
        env = Env(world, uid, context, self.started or world.now_str())
        self.started = None
        env.companies  # noqa: B018  (§1.7: refuses unauthorized allowed_company_ids)
        model.check_access(env, spec.op)
        fn = getattr(model, method)
        if not spec.model_level and ids is None:
            if not args:
                raise TypeError(
                    f"{model_name}.{method}() missing 1 required positional argument: 'ids'"
                )
            first, args = args[0], args[1:]
            ids = [first] if isinstance(first, int) else list(first or [])
        self._serialization_fault(model_name, method)
        with world.transaction():
            result = fn(env, ids, *args, **kwargs) if ids is not None else fn(env, *args, **kwargs)
            self._automations(env)
        return result

    def _serialization_fault(self, model: str, method: str) -> None:
        """§9: Odoo retries serialization failures up to 5 times; only the 5th surfaces."""
        for fault in self.world.faults:
            if fault.kind != "serialization":
                continue
            tries = 0
            while fault.matches(model, method):
                fault.consume()
                tries += 1
                if tries >= MAX_TRIES_ON_CONCURRENCY_FAILURE:
                    raise SerializationFailure()

    def _automations(self, env: Env) -> None:
        """§7.1: each rule POSTs ``{_model, _id, _action}`` + ``read(fields, load=None)`` once
        per record and call (json.dumps sort_keys, default=str)."""
        world = self.world
        events = world.take_touched()
        if not events or not world.profile.webhooks:
            return
        seen: set[tuple[int, int]] = set()
        su = env.sudo()
        for model, event, rid, changed in events:
            for rule in world.automations:
                if rule.model != model or (rule.id, rid) in seen:
                    continue
                if rule.trigger == "on_create" and event != "create":
                    continue
                if rule.trigger == "on_write" and event != "write":
                    continue
                if (
                    event == "write"
                    and rule.trigger_fields
                    and not (changed & set(rule.trigger_fields))
                ):
                    continue
                if rid not in world.models[model].table.rows:
                    continue
                seen.add((rule.id, rid))
                fields = list(rule.field_names) or ["id"]
                data = world.models[model].read_rows(su, [rid], fields, load=None)[0]
                payload = {
                    "_model": model,
                    "_id": rid,
                    "_action": f"{rule.name}(#{rule.id})",
                    **data,
                }
                body = json.dumps(payload, sort_keys=True, default=str).encode()
                world.outbox.pending.append((rule.url, body))


def expiry_in(seconds: float, world: World) -> dt.datetime:
    return world.utcnow() + dt.timedelta(seconds=seconds)
