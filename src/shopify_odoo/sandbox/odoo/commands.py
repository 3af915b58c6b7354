"""x2many command triples (§2.3): over RPC only the literal 3-element forms exist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .fields import Field

if TYPE_CHECKING:
    from .orm import Model
    from .world import Env

CREATE, UPDATE, DELETE, UNLINK, LINK, CLEAR, SET = range(7)


def _triples(value: Any) -> list[list[Any]]:
    if value is False or value is None:
        return [[CLEAR, 0, 0]]
    items = list(value)
    if items and all(isinstance(v, int) for v in items):
        return [[SET, 0, items]]  # a bare id list means SET on many2many
    return [list(v) for v in items]


def apply(model: Model, env: Env, rid: int, field: Field, value: Any) -> None:
    """Apply the commands in ``value`` to the x2many ``field`` of record ``rid``."""
    comodel = env[field.relation or ""]
    o2m = field.type == "one2many"
    inverse = field.inverse or ""

    def current() -> list[int]:
        if o2m:
            return sorted(comodel.table.ids_where(inverse, rid))
        return list(model.row(rid).get(field.name) or ())

    def set_links(ids: list[int]) -> None:
        if o2m:
            for child in current():
                if child not in ids:
                    comodel.delete_rows(env, [child])  # lines are ondelete=cascade
            comodel.write_rows(env, [i for i in ids if i in comodel.table.rows], {inverse: rid})
        else:
            model.table.update(rid, {field.name: tuple(dict.fromkeys(ids))})

    for cmd in _triples(value):
        code = cmd[0]
        if code == CREATE:
            vals = dict(cmd[2] or {})
            if o2m:
                vals[inverse] = rid
                comodel.create_rows(env, [vals])
            else:
                new = comodel.create_rows(env, [vals])
                set_links([*current(), *new])
        elif code == UPDATE:
            comodel.write_rows(env, comodel.existing(env, [cmd[1]]), dict(cmd[2] or {}))
        elif code == DELETE:
            comodel.delete_rows(env, comodel.existing(env, [cmd[1]]))
            if not o2m:
                set_links([i for i in current() if i != cmd[1]])
        elif code == UNLINK:
            if o2m:
                comodel.delete_rows(env, [cmd[1]])  # §2.3: deleted when ondelete='cascade'
            else:
                set_links([i for i in current() if i != cmd[1]])
        elif code == LINK:
            comodel.existing(env, [cmd[1]])
            set_links([*current(), int(cmd[1])])
        elif code == CLEAR:
            set_links([])
        elif code == SET:
            ids = [int(i) for i in (cmd[2] or [])]
            comodel.existing(env, ids)
            set_links(ids)
        else:
            raise ValueError(f"Unknown x2many command {code!r} on {model._name}.{field.name}")
