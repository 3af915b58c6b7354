"""Field declarations of the emulated models (what ``fields_get`` reports, how values travel).

Values travel as Odoo sends them over RPC (§1.2, §2.2): dates and datetimes as strings,
many2one as ``[id, display_name]`` (or the bare id with ``load=None``), x2many as id lists,
empty values as ``False``.  Money is kept as ``Decimal`` inside and leaves as a float.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .versions import VersionProfile

FieldType = Literal[
    "char",
    "text",
    "html",
    "integer",
    "float",
    "monetary",
    "boolean",
    "selection",
    "many2one",
    "one2many",
    "many2many",
    "date",
    "datetime",
    "binary",
]

Selection = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: FieldType
    string: str
    relation: str | None = None
    #: one2many: the many2one on the comodel pointing back
    inverse: str | None = None
    selection: Selection = ()
    required: bool = False
    readonly: bool = False
    store: bool = True
    #: a constant or ``callable(env) -> value``
    default: Any = None
    #: computed: the model method name ``(env, ids) -> {id: value}``
    compute: str | None = None
    #: related path, e.g. ("product_tmpl_id", "name"); writes go through (``_inherits``)
    related: tuple[str, ...] | None = None
    index: bool = False
    #: first version with the field, first version without it: (major, minor)
    since: tuple[int, int] | None = None
    until: tuple[int, int] | None = None
    help: str = ""
    #: fields_get's "groups" restriction shown as-is
    groups: str | None = None

    def exists_in(self, profile: VersionProfile) -> bool:
        if self.since is not None and profile.key < self.since:
            return False
        return not (self.until is not None and profile.key >= self.until)

    @property
    def stored(self) -> bool:
        return self.store and self.compute is None and self.related is None

    @property
    def relational(self) -> bool:
        return self.type in ("many2one", "one2many", "many2many")

    def empty(self) -> Any:
        if self.type in ("one2many", "many2many"):
            return ()
        if self.type in ("integer",):
            return 0
        if self.type in ("float", "monetary"):
            return 0.0 if self.type == "float" else Decimal("0")
        return False

    def describe(self) -> dict[str, Any]:
        """``fields_get`` attributes (§2.2): never ``None``, which XML-RPC cannot carry."""
        info: dict[str, Any] = {
            "type": self.type,
            "string": self.string,
            "help": self.help,
            "required": self.required,
            "readonly": self.readonly or (self.compute is not None and not self.related),
            "store": self.store and self.compute is None,
            "searchable": True,
            "sortable": self.stored,
            "manual": False,
            "name": self.name,
        }
        if self.relation:
            info["relation"] = self.relation
        if self.inverse:
            info["relation_field"] = self.inverse
        if self.type == "selection":
            info["selection"] = [list(pair) for pair in self.selection]
        if self.related:
            info["related"] = ".".join(self.related)
        if self.groups:
            info["groups"] = self.groups
        return info

    def to_wire(self, value: Any) -> Any:
        """Stored value → the RPC value (no ``None`` ever leaves, §1.2)."""
        if value is None:
            return False
        if self.type == "monetary" or isinstance(value, Decimal):
            return float(value)
        if self.type in ("one2many", "many2many"):
            return list(value)
        return value


def _make(kind: FieldType) -> Callable[..., Field]:
    def build(name: str, string: str, **kw: Any) -> Field:
        return Field(name=name, type=kind, string=string, **kw)

    return build


char = _make("char")
text = _make("text")
html = _make("html")
integer = _make("integer")
float_ = _make("float")
monetary = _make("monetary")
boolean = _make("boolean")
date = _make("date")
datetime = _make("datetime")


def selection(name: str, string: str, options: Selection, **kw: Any) -> Field:
    return Field(name=name, type="selection", string=string, selection=options, **kw)


def many2one(name: str, string: str, relation: str, **kw: Any) -> Field:
    kw.setdefault("index", True)
    return Field(name=name, type="many2one", string=string, relation=relation, **kw)


def one2many(name: str, string: str, relation: str, inverse: str, **kw: Any) -> Field:
    return Field(
        name=name,
        type="one2many",
        string=string,
        relation=relation,
        inverse=inverse,
        store=False,
        **kw,
    )


def many2many(name: str, string: str, relation: str, **kw: Any) -> Field:
    return Field(name=name, type="many2many", string=string, relation=relation, **kw)


def versioned(
    field: Field, *, since: tuple[int, int] | None = None, until: tuple[int, int] | None = None
) -> Field:
    return replace(field, since=since, until=until)


#: the magic columns every model carries (§3.6: write_date = transaction start)
MAGIC: tuple[Field, ...] = (
    integer("id", "ID", readonly=True),
    datetime("create_date", "Created on", readonly=True),
    many2one("create_uid", "Created by", "res.users", readonly=True, index=False),
    datetime("write_date", "Last Updated on", readonly=True),
    many2one("write_uid", "Last Updated by", "res.users", readonly=True, index=False),
    char("display_name", "Display Name", store=False, compute="_compute_display_name"),
)
