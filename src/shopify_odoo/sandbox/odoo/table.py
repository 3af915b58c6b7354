"""In-memory storage of one model: rows by id, value indexes, an undo journal hook.

Rows are plain dicts holding only stored fields.  Indexes map a value to the set of ids
holding it, for the fields a model marks ``index=True`` (and every many2one), so ``=`` and
``in`` leaves and one2many reads never scan.  ``version`` bumps on every change and keys the
caches (sorted orders, compiled domains).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Row = dict[str, Any]

#: bumped on every change of any table: keys the compiled-domain caches, which hold id sets
#: read from indexes and sub-searches (valid inside a transaction too)
CHANGES = [0]
Journal = Callable[["Table", int, Row | None], None]


class Table:
    __slots__ = ("indexed", "indexes", "journal", "name", "next_id", "rows", "version")

    def __init__(self, name: str, indexed: Iterable[str]) -> None:
        self.name = name
        self.rows: dict[int, Row] = {}
        self.next_id = 1
        self.indexed: tuple[str, ...] = tuple(indexed)
        self.indexes: dict[str, dict[Any, set[int]]] = {f: {} for f in self.indexed}
        self.version = 0
        self.journal: Journal | None = None

    # -- index upkeep -----------------------------------------------------------------------
    def _index_add(self, rid: int, row: Row) -> None:
        for f in self.indexed:
            v = row.get(f)
            if isinstance(v, tuple):  # many2many: index each linked id
                for item in v:
                    self.indexes[f].setdefault(item, set()).add(rid)
            else:
                self.indexes[f].setdefault(v, set()).add(rid)

    def _index_remove(self, rid: int, row: Row) -> None:
        for f in self.indexed:
            v = row.get(f)
            values = v if isinstance(v, tuple) else (v,)
            for item in values:
                bucket = self.indexes[f].get(item)
                if bucket is not None:
                    bucket.discard(rid)
                    if not bucket:
                        del self.indexes[f][item]

    # -- changes ----------------------------------------------------------------------------
    def insert(self, row: Row, rid: int | None = None) -> int:
        if rid is None:
            rid = self.next_id
        self.next_id = max(self.next_id, rid + 1)
        row["id"] = rid
        self.rows[rid] = row
        self._index_add(rid, row)
        self.version += 1
        CHANGES[0] += 1
        if self.journal is not None:
            self.journal(self, rid, None)
        return rid

    def update(self, rid: int, vals: Row) -> None:
        row = self.rows[rid]
        if self.journal is not None:
            self.journal(self, rid, dict(row))
        touched = [f for f in vals if f in self.indexes]
        if touched:
            self._index_remove(rid, row)
        row.update(vals)
        if touched:
            self._index_add(rid, row)
        self.version += 1
        CHANGES[0] += 1

    def delete(self, rid: int) -> None:
        row = self.rows.pop(rid)
        self._index_remove(rid, row)
        self.version += 1
        CHANGES[0] += 1
        if self.journal is not None:
            self.journal(self, rid, row)

    def restore(self, rid: int, old: Row | None) -> None:
        """Undo one journal entry (rollback of a failed call, §1.2: one transaction per call)."""
        current = self.rows.pop(rid, None)
        if current is not None:
            self._index_remove(rid, current)
        if old is not None:
            self.rows[rid] = old
            self._index_add(rid, old)
        self.version += 1
        CHANGES[0] += 1

    # -- reads ------------------------------------------------------------------------------
    def ids_where(self, field: str, value: Any) -> set[int]:
        return self.indexes[field].get(value, set())

    def __len__(self) -> int:
        return len(self.rows)
