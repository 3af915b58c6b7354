"""The standard ORM methods the external API exposes (§2.2): search, search_count,
search_read, read, create, write, unlink, fields_get, default_get, name_search, name_get."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .rpc import rpc

if TYPE_CHECKING:
    from .world import Env

#: ``order`` for searches whose result order does not matter (grouping, counting)
UNORDERED = "__unordered__"


class StandardMethods:
    """Mixed into ``Model``; the storage-level helpers live there."""

    @rpc(model=True, op="read")
    def search(
        self: Any,
        env: Env,
        domain: list[Any],
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[int]:
        ids: list[int] = self.search_ids(env, domain, offset, limit, order)
        return ids

    @rpc(model=True, op="read")
    def search_count(self: Any, env: Env, domain: list[Any], limit: int | None = None) -> int:
        return len(self.search_ids(env, domain, 0, limit, UNORDERED))

    @rpc(model=True, op="read")
    def search_read(
        self: Any,
        env: Env,
        domain: list[Any] | None = None,
        fields: list[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[dict[str, Any]]:
        ids = self.search_ids(env, domain or [], offset, limit, order)
        rows: list[dict[str, Any]] = self.read_rows(env, ids, fields, searched=True)
        return rows

    @rpc(op="read")
    def read(
        self: Any,
        env: Env,
        ids: list[int],
        fields: list[str] | None = None,
        load: str | None = "_classic_read",
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.read_rows(env, ids, fields, load)
        return rows

    @rpc(model=True, op="create")
    def create(self: Any, env: Env, vals_list: Any) -> Any:
        """§2.1: an id for a dict, a list of ids for a list of dicts."""
        if isinstance(vals_list, dict):
            return self.create_rows(env, [vals_list])[0]
        return self.create_rows(env, list(vals_list))

    @rpc(op="write")
    def write(self: Any, env: Env, ids: list[int], vals: dict[str, Any]) -> bool:
        ids = self.existing(env, ids)
        self.check_rule(env, ids, "write")
        self.write_rows(env, ids, vals)
        return True

    @rpc(op="unlink")
    def unlink(self: Any, env: Env, ids: list[int]) -> bool:
        ids = self.existing(env, ids)
        self.check_rule(env, ids, "write")
        self.delete_rows(env, ids)
        return True

    @rpc(model=True, op="read")
    def fields_get(
        self: Any, env: Env, allfields: list[str] | None = None, attributes: list[str] | None = None
    ) -> dict[str, Any]:
        out = {}
        for name, field in self.fields.items():
            if allfields and name not in allfields:
                continue
            info = field.describe()
            out[name] = {k: v for k, v in info.items() if k in attributes} if attributes else info
        return out

    @rpc(model=True, op="read")
    def default_get(self: Any, env: Env, fields_list: list[str]) -> dict[str, Any]:
        values = self.default_values(env)
        return {k: self.fields[k].to_wire(v) for k, v in values.items() if k in fields_list}

    @rpc(model=True, op="read")
    def name_search(self: Any, env: Env, name: str = "", *positional: Any, **kw: Any) -> list[Any]:
        """§2.2: ``name_search(name, args|domain, operator, limit)``; the keyword is
        ``args`` before 18.3 and ``domain`` after (odoo/odoo#198154)."""
        kw_name = env.profile.name_search_domain_kw
        params = ["domain_or_args", "operator", "limit"]
        bound = dict(zip(params, positional, strict=False))
        for key, value in kw.items():
            if key == kw_name:
                key = "domain_or_args"
            elif key not in ("operator", "limit"):
                raise TypeError(f"name_search() got an unexpected keyword argument '{key}'")
            bound[key] = value
        domain = list(bound.get("domain_or_args") or [])
        operator = bound.get("operator", "ilike")
        limit = bound.get("limit", 100)
        if name:
            domain = [*domain, (self._rec_name, operator, name)]
        ids = self.search_ids(env, domain, 0, limit)
        names = self.display_names(env, ids)
        return [[i, names[i]] for i in ids]

    @rpc(op="read", until=(17, 0))
    def name_get(self: Any, env: Env, ids: list[int]) -> list[Any]:
        """§2.2: deprecated in 16.4, removed by 17."""
        names = self.display_names(env, ids)
        return [[i, names[i]] for i in ids if i in names]
