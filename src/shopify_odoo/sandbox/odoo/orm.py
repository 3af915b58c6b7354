"""The model base: storage-level CRUD with Odoo's semantics, plus the standard ORM methods
the external API exposes (§2.2): search, search_read, search_count, read, create, write,
unlink, name_search, fields_get, default_get (read_group lives in grouping.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, ClassVar

from . import commands
from .access import AccessMixin
from .api import UNORDERED, StandardMethods
from .domain import DomainCompiler, leaves, parse
from .errors import ValidationError, record_missing
from .fields import MAGIC, Field
from .grouping import GroupingMixin
from .rpc import RpcSpec
from .table import CHANGES, Row, Table
from .world import Env, World

_ORDER_ERR = (
    'Invalid "order" specified ({order}). A valid "order" specification is a comma-separated '
    "list of valid field names (optionally followed by asc/desc for the direction)"
)


class Model(AccessMixin, StandardMethods, GroupingMixin):
    _name: ClassVar[str] = ""
    _description: ClassVar[str] = ""
    _order: ClassVar[str] = "id"
    _rec_name: ClassVar[str] = "name"
    _parent_name: ClassVar[str | None] = None
    _declared: ClassVar[tuple[Field, ...]] = ()
    #: ir.model.access: group xmlid → letters of r(ead) w(rite) c(reate) u(nlink)
    _access: ClassVar[dict[str, str]] = {"base.group_user": "rwcu"}
    _transient: ClassVar[bool] = False
    #: the multi-company record rule applies (§1.7)
    _company_rule: ClassVar[bool] = True
    _rpc_methods: ClassVar[dict[str, RpcSpec]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        found: dict[str, RpcSpec] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                spec = getattr(value, "_rpc", None)
                if isinstance(spec, RpcSpec):
                    found[attr] = spec
        cls._rpc_methods = found

    def __init__(self, world: World) -> None:
        self.world = world
        profile = world.profile
        declared = {f.name: f for f in self._declared if f.exists_in(profile)}
        self.fields: dict[str, Field] = {f.name: f for f in MAGIC}
        self.fields.update(declared)
        indexed = [
            f.name
            for f in self.fields.values()
            if f.stored and (f.index or f.type in ("many2one", "many2many")) and f.name != "id"
        ]
        self.table = Table(self._name, indexed)
        self._sorted: dict[str, tuple[int, list[int]]] = {}
        self._compiled: dict[tuple[Any, ...], tuple[int, Any]] = {}
        #: full filtered, ordered results of unindexed searches, for paging (offset/limit)
        self._filtered: dict[tuple[Any, ...], tuple[int, list[int]]] = {}
        self.has_active = "active" in self.fields
        #: a model-specific record rule (e.g. 18+ accounts shared through company_ids)
        self._custom_visible = type(self).visible is not AccessMixin.visible
        company = self.fields.get("company_id")
        self.company_field = (
            "company_id" if company is not None and company.stored and self._company_rule else None
        )

    # ==== internal API used by business methods ============================================
    def row(self, rid: int) -> Row:
        return self.table.rows[rid]

    def rpc_spec(self, method: str) -> RpcSpec | None:
        spec = self._rpc_methods.get(method)
        if spec is None:
            return None
        key = self.world.profile.key
        if (spec.since and key < spec.since) or (spec.until and key >= spec.until):
            return None
        return spec

    def getter(self, env: Env, name: str) -> Callable[[Row], Any]:
        field = self.fields[name]
        if field.type == "one2many":
            comodel = env[field.relation or ""]
            index = comodel.table.indexes[field.inverse or ""]
            return lambda r: tuple(sorted(index.get(r["id"], ())))
        return lambda r: r.get(name)

    def compute(self, env: Env, ids: list[int], name: str) -> dict[int, Any]:
        """Value of a non-stored field for ``ids`` (computed or related)."""
        field = self.fields[name]
        if field.related:
            return self._related(env, ids, field.related)
        if field.type == "one2many":
            get = self.getter(env, name)
            return {i: get(self.table.rows[i]) for i in ids}
        method: Callable[[Env, list[int]], dict[int, Any]] = getattr(self, field.compute or "")
        return method(env, ids)

    def compute_all(self, env: Env, name: str) -> dict[int, Any]:
        return self.compute(env, list(self.table.rows), name)

    def _related(self, env: Env, ids: list[int], path: tuple[str, ...]) -> dict[int, Any]:
        head, rest = path[0], path[1:]
        rows = self.table.rows
        if not rest:
            field = self.fields[head]
            if field.stored:
                return {i: rows[i].get(head) for i in ids}
            return self.compute(env, ids, head)
        comodel = env[self.fields[head].relation or ""]
        links = {i: rows[i].get(head) for i in ids}
        targets = sorted({v for v in links.values() if v})
        values = comodel._related(env, targets, rest)
        return {i: values.get(v, False) if v else False for i, v in links.items()}

    def _compute_display_name(self, env: Env, ids: list[int]) -> dict[int, Any]:
        rows = self.table.rows
        rec = self._rec_name
        if rec in self.fields and not self.fields[rec].stored:
            return {i: v or "" for i, v in self.compute(env, ids, rec).items()}
        return {i: rows[i].get(rec) or f"{self._name},{i}" for i in ids}

    def display_names(self, env: Env, ids: Iterable[int]) -> dict[int, str]:
        wanted = [i for i in ids if i in self.table.rows]
        return {i: str(v) for i, v in self._compute_display_name(env, wanted).items()}

    def resolve_ids(self, env: Env, value: Any) -> list[int]:
        if isinstance(value, str):
            return self.search_ids(env, [(self._rec_name, "ilike", value)])
        if isinstance(value, (list, tuple)):
            return [int(v) for v in value]
        return [int(value)] if value else []

    def descendants(self, ids: Iterable[int]) -> set[int]:
        """child_of (§3.2: stock.location is a _parent_store model)."""
        parent = self._parent_name or "parent_id"
        index = self.table.indexes[parent]
        out: set[int] = set()
        todo = [i for i in ids if i in self.table.rows]
        while todo:
            current = todo.pop()
            if current in out:
                continue
            out.add(current)
            todo.extend(index.get(current, ()))
        return out

    def ancestors(self, ids: Iterable[int]) -> set[int]:
        parent = self._parent_name or "parent_id"
        out: set[int] = set()
        for rid in ids:
            while rid and rid in self.table.rows and rid not in out:
                out.add(rid)
                rid = self.table.rows[rid].get(parent) or 0
        return out

    def existing(self, env: Env, ids: Iterable[int]) -> list[int]:
        """Correction 9: write/unlink on a missing id raise MissingError (fault 2)."""
        ids = [int(i) for i in ids]
        missing = [i for i in ids if i not in self.table.rows]
        if missing:
            raise record_missing(self._name, missing, env.uid)
        return ids

    # ---- search ---------------------------------------------------------------------------
    def search_ids(
        self,
        env: Env,
        domain: list[Any],
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[int]:
        domain = list(domain or [])
        companies = None if env.su or self.company_field is None else tuple(env.companies)
        key = (repr(domain), companies, env.uid, repr(sorted(env.context.items())))
        cached = self._compiled.get(key)
        if cached is not None and cached[0] == CHANGES[0]:
            compiled = cached[1]
        else:
            if (
                self.has_active
                and env.context.get("active_test", True)
                and not any(
                    isinstance(leaf[0], str) and leaf[0] == "active"
                    for leaf in leaves(parse(domain))
                )
            ):
                domain = [("active", "=", True), *domain]  # §2.2: archived records excluded
            compiled = DomainCompiler(self, env).compile(domain)
            if len(self._compiled) > 512:
                self._compiled.clear()
            self._compiled[key] = (CHANGES[0], compiled)
        if compiled.candidates is None and offset and order != UNORDERED:
            # a page deep into a table scan (snapshots page with offset): filter the whole
            # table once per data version and slice it, as PostgreSQL's index scan would
            page_key = (key, order or self._order)
            hit = self._filtered.get(page_key)
            if hit is None or hit[0] != CHANGES[0]:
                hit = (CHANGES[0], self._filter(env, compiled, order, companies, 0, None))
                if len(self._filtered) > 16:
                    self._filtered.clear()
                self._filtered[page_key] = hit
            return hit[1][offset : offset + limit if limit else None]
        return self._filter(env, compiled, order, companies, offset, limit)

    def _filter(
        self,
        env: Env,
        compiled: Any,
        order: str | None,
        companies: tuple[int, ...] | None,
        offset: int,
        limit: int | None,
    ) -> list[int]:
        rows = self.table.rows
        pred = compiled.pred
        allowed = None if companies is None else set(companies)
        field = self.company_field or ""
        custom = None if env.su or not self._custom_visible else self.visible
        ordered = self.sorted_ids(env, order, compiled.candidates)
        out: list[int] = []
        skip = offset or 0
        for rid in ordered:
            row = rows[rid]
            if pred is not None and not pred(row):
                continue
            if custom is not None and not custom(env, row):
                continue
            if allowed is not None:  # §1.7 record rule, as in visible()
                company = row.get(field)
                if company and company not in allowed:
                    continue
            if skip:
                skip -= 1
                continue
            out.append(rid)
            if limit and len(out) >= limit:
                break
        return out

    def _sort_keys(self, order: str) -> list[tuple[str, bool]]:
        keys: list[tuple[str, bool]] = []
        for part in order.split(","):
            words = part.strip().split()
            if not words:
                continue
            name = words[0]
            desc = len(words) > 1 and words[1].lower() == "desc"
            field = self.fields.get(name)
            if field is None or not (field.stored or name == "id"):
                raise ValueError(_ORDER_ERR.format(order=order))
            keys.append((name, desc))
        return keys

    def sorted_ids(
        self, env: Env, order: str | None, candidates: frozenset[int] | None = None
    ) -> list[int]:
        rows = self.table.rows
        if order == UNORDERED:  # grouping and counting need no order
            return list(rows) if candidates is None else [i for i in candidates if i in rows]
        order = order or self._order
        if candidates is not None and len(candidates) < 5000:
            ids = [i for i in candidates if i in rows]
            return self._sort(ids, order)
        cached = self._sorted.get(order)
        if cached is None or cached[0] != self.table.version:
            cached = (self.table.version, self._sort(list(rows), order))
            self._sorted[order] = cached
        if candidates is None:
            return cached[1]
        return [i for i in cached[1] if i in candidates]

    def _sort(self, ids: list[int], order: str) -> list[int]:
        rows = self.table.rows
        for name, desc in reversed(self._sort_keys(order)):
            if name == "id":
                ids.sort(reverse=desc)
                continue

            def key(i: int, name: str = name) -> tuple[int, Any]:
                v = rows[i].get(name)
                if v is None or v is False:
                    return (1, 0)  # PostgreSQL: NULLS LAST ascending, FIRST descending
                return (0, v.lower() if isinstance(v, str) else v)

            ids.sort(key=key, reverse=desc)
        return ids

    # ---- writing --------------------------------------------------------------------------
    def default_values(self, env: Env) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, field in self.fields.items():
            if field.default is None:
                continue
            default = field.default(env) if callable(field.default) else field.default
            out[name] = default
        for key, value in env.context.items():
            if key.startswith("default_") and key[8:] in self.fields:
                out[key[8:]] = value
        return out

    def convert(self, env: Env, vals: dict[str, Any]) -> tuple[Row, dict[str, Any]]:
        """Split RPC values into stored scalars and x2many commands; refuse bad keys."""
        stored: Row = {}
        x2many: dict[str, Any] = {}
        for name, value in vals.items():
            field = self.fields.get(name)
            if field is None:
                raise ValueError(f"Invalid field {name!r} on model {self._name!r}")
            if field.type in ("one2many", "many2many"):
                x2many[name] = value
                continue
            if field.related:
                x2many[name] = value  # delegated: written through the related path
                continue
            if field.compute is not None or name in ("id", "display_name"):
                continue  # Odoo ignores writes on non-inversible computed fields
            stored[name] = self._coerce(field, value)
        return stored, x2many

    def _coerce(self, field: Field, value: Any) -> Any:
        if value is None:
            return False
        t = field.type
        if t == "many2one":
            if isinstance(value, (list, tuple)):
                value = value[0] if value else False
            return int(value) if value else False
        if t == "monetary":
            return Decimal(str(value or 0))
        if t == "float":
            return float(value or 0.0)
        if t == "integer":
            return int(value or 0)
        if t == "boolean":
            return bool(value)
        if (
            t == "selection"
            and value is not False
            and field.selection
            and value not in {k for k, _ in field.selection}
        ):
            raise ValueError(f"Wrong value for {self._name}.{field.name}: {value!r}")
        return value

    def _check_required(self, env: Env, row: Row) -> None:
        for name, field in self.fields.items():
            if field.required and field.stored and row.get(name) in (None, False, ""):
                if field.type in ("float", "integer", "monetary", "boolean"):
                    continue
                # IntegrityError turned into ValidationError (§9, 16+ message)
                raise ValidationError(
                    "The operation cannot be completed:\n- Create/update: a mandatory field is "
                    "not set.\n- Delete: another model requires the record being deleted. If "
                    "possible, archive it instead.\n\n"
                    f"Model: {self._description} ({self._name})\n"
                    f"Field: {field.string} ({name})"
                )

    def create_rows(self, env: Env, vals_list: list[dict[str, Any]]) -> list[int]:
        ids: list[int] = []
        for vals in vals_list:
            vals = self.prepare_create(env, dict(vals))
            merged = {**self.default_values(env), **vals}
            stored, x2many = self.convert(env, merged)
            row: Row = {n: f.empty() for n, f in self.fields.items() if f.stored}
            row.update(stored)
            row.update(
                create_date=env.now, write_date=env.now, create_uid=env.uid, write_uid=env.uid
            )
            if self.company_field and not row.get("company_id") and self._default_company:
                row["company_id"] = env.company_id
            self._check_required(env, row)
            rid = self.table.insert(row)
            if x2many:
                self._write_x2many(env, [rid], x2many)
            ids.append(rid)
            self.world.touched(self._name, "create", rid)
        self.after_create(env, ids)
        self.check_constraints(env, ids)
        return ids

    _default_company: ClassVar[bool] = True

    def write_rows(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        if not ids:
            return
        vals = self.prepare_write(env, ids, dict(vals))
        stored, x2many = self.convert(env, vals)
        stored.update(write_date=env.now, write_uid=env.uid)
        for rid in ids:
            self.table.update(rid, stored)
            self.world.touched(self._name, "write", rid, vals)
        if x2many:
            self._write_x2many(env, ids, x2many)
        for rid in ids:
            self._check_required(env, self.row(rid))
        self.after_write(env, ids, vals)
        self.check_constraints(env, ids)

    def _write_x2many(self, env: Env, ids: list[int], values: dict[str, Any]) -> None:
        for name, value in values.items():
            field = self.fields[name]
            if field.related:
                head, rest = field.related[0], field.related[1:]
                comodel = env[self.fields[head].relation or ""]
                targets = sorted({self.row(i)[head] for i in ids if self.row(i).get(head)})
                comodel.write_rows(env, targets, {rest[0]: value})
            else:
                for rid in ids:
                    commands.apply(self, env, rid, field, value)

    def delete_rows(self, env: Env, ids: list[int]) -> None:
        self.before_unlink(env, ids)
        for rid in ids:
            for field in self.fields.values():  # cascade one2many lines (ondelete=cascade)
                if field.type == "one2many" and field.name in self.cascade:
                    comodel = env[field.relation or ""]
                    children = sorted(comodel.table.ids_where(field.inverse or "", rid))
                    comodel.delete_rows(env, children)
            if rid in self.table.rows:
                self.table.delete(rid)
        env["ir.model.data"].forget(self._name, ids)  # §8: xmlids of deleted records go

    cascade: ClassVar[tuple[str, ...]] = ()

    # ---- hooks for business models --------------------------------------------------------
    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        return vals

    def prepare_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> dict[str, Any]:
        return vals

    def after_create(self, env: Env, ids: list[int]) -> None:
        return None

    def after_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        return None

    def before_unlink(self, env: Env, ids: list[int]) -> None:
        return None

    def check_constraints(self, env: Env, ids: list[int]) -> None:
        return None

    # ---- reading ---------------------------------------------------------------------------
    def read_rows(
        self,
        env: Env,
        ids: list[int],
        names: list[str] | None,
        load: str | None = "_classic_read",
        *,
        searched: bool = False,
    ) -> list[dict[str, Any]]:
        rows = self.table.rows
        if not searched:  # ids from search_ids already passed the record rules
            ids = [i for i in ids if i in rows]  # correction 9: read drops missing ids
            self.check_rule(env, ids)
        if names is None or not names:
            names = [n for n, f in self.fields.items() if f.groups is None]
        for n in names:
            if n not in self.fields:
                raise ValueError(f"Invalid field {n!r} on model {self._name!r}")
        computed = {
            n: self.compute(env, ids, n) for n in names if not self.fields[n].stored and n != "id"
        }
        m2o_names: dict[str, dict[int, str]] = {}
        if load == "_classic_read":
            for n in names:
                field = self.fields[n]
                if field.type == "many2one":
                    source = computed.get(n)
                    targets = {(source[i] if source is not None else rows[i].get(n)) for i in ids}
                    targets.discard(False)
                    targets.discard(None)
                    m2o_names[n] = env[field.relation or ""].display_names(env.sudo(), targets)
        # per stored field: 0 = as stored (None → False), 1 = many2one pair, 2 = to_wire
        plain: list[tuple[str, int, dict[int, str], Callable[[Any], Any]]] = []
        for n in names:
            if n in computed or n == "id":
                continue
            field = self.fields[n]
            if n in m2o_names:
                plain.append((n, 1, m2o_names[n], field.to_wire))
            elif field.type in ("many2many", "monetary"):
                plain.append((n, 2, {}, field.to_wire))
            else:
                plain.append((n, 0, {}, field.to_wire))
        out = []
        for rid in ids:
            row = rows[rid]
            rec: dict[str, Any] = {"id": rid}
            for n, kind, display, wire in plain:
                v = row.get(n)
                if kind == 0:
                    rec[n] = False if v is None else v
                elif kind == 1:
                    rec[n] = [v, display.get(v, "")] if v else False
                else:
                    rec[n] = False if v is None else wire(v)
            for n, values in computed.items():
                v = values.get(rid)
                if n in m2o_names:
                    rec[n] = [v, m2o_names[n].get(v, "")] if v else False
                else:
                    rec[n] = self.fields[n].to_wire(v)
            out.append(rec)
        return out
