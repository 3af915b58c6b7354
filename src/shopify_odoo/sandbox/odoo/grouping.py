"""Grouping over RPC (§2.2, correction 11): 16-18 ``read_group`` and 19
``formatted_read_group`` (``read_group`` still answers on 19, deprecated)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from .rpc import rpc

if TYPE_CHECKING:
    from .orm import Model
    from .world import Env

_AGGREGATORS = (
    "sum",
    "avg",
    "min",
    "max",
    "count",
    "count_distinct",
    "bool_and",
    "bool_or",
    "array_agg",
)


def _parse_spec(model: Model, spec: str) -> tuple[str, str, str]:
    """``"quantity:sum"`` → (key, field, aggregator); ``"total:sum(amount)"`` aliases."""
    if spec == "__count":
        return ("__count", "id", "count")
    name, _, agg = spec.partition(":")
    field_name = name
    if "(" in agg:
        agg, _, rest = agg.partition("(")
        field_name = rest.rstrip(")")
    field = model.fields.get(field_name)
    virtual = field_name in model._virtual_aggregates
    if field is None or not (field.stored or virtual):
        raise ValueError(f"Invalid field {field_name!r} on model {model._name!r}")
    if not agg:
        agg = "sum" if field.type in ("integer", "float", "monetary") else ""
    if agg and agg not in _AGGREGATORS:
        raise ValueError(f"Invalid aggregation function {agg!r}.")
    return (name, field_name, agg)


class GroupingMixin:
    #: aggregates computed from stored columns (§3.3: available_quantity = quantity − reserved)
    _virtual_aggregates: ClassVar[dict[str, tuple[str, str]]] = {}

    def _groups(
        self: Any,
        env: Env,
        domain: list[Any],
        groupby: list[str],
        specs: list[tuple[str, str, str]],
    ) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        model: Model = self
        for gb in groupby:
            field = model.fields.get(gb.split(":")[0])
            if field is None or not field.stored:
                raise ValueError(f"Invalid field {gb!r} on model {model._name!r}")
        ids = model.search_ids(env, domain, order="__unordered__")
        rows = model.table.rows
        virtual = model._virtual_aggregates
        # one accumulator list per group: [count, acc of spec 0, acc of spec 1, ...]; sums
        # and counts run in place, other aggregates collect their values
        columns = [virtual.get(fname, (fname, "")) for _, fname, _ in specs]
        running = [agg in ("sum", "count") for _, _, agg in specs]
        plan = list(zip(range(1, len(specs) + 1), columns, running, strict=True))
        start = [0 if run else None for run in running]
        acc: dict[Any, list[Any]] = {}
        single = groupby[0] if len(groupby) == 1 else None
        pair = (groupby[0], groupby[1]) if len(groupby) == 2 else None
        for rid in ids:
            row = rows[rid]
            if single is not None:
                key: Any = row.get(single) or False
            elif pair is not None:
                key = (row.get(pair[0]) or False, row.get(pair[1]) or False)
            else:
                key = tuple(row.get(g) or False for g in groupby)
            bucket = acc.get(key)
            if bucket is None:
                bucket = acc[key] = [0, *(0 if x == 0 else [] for x in start)]
            bucket[0] += 1
            for i, (a, b), run in plan:
                value = (row.get(a) or 0) - (row.get(b) or 0) if b else row.get(a)
                if run:
                    if value is not None and value is not False:
                        bucket[i] += 1 if specs[i - 1][2] == "count" else value
                else:
                    bucket[i].append(value)
        result = []
        for key, bucket in acc.items():
            values: dict[str, Any] = {
                out_key: (
                    (float(bucket[i + 1]) if isinstance(bucket[i + 1], Decimal) else bucket[i + 1])
                    if running[i]
                    else _aggregate(agg, bucket[i + 1])
                )
                for i, (out_key, _fname, agg) in enumerate(specs)
            }
            values["__count"] = bucket[0]
            result.append(((key,) if single is not None else key, values))
        ordered: list[tuple[tuple[Any, ...], dict[str, Any]]] = self._order_groups(
            env, groupby, result
        )
        return ordered

    def _order_groups(
        self: Any,
        env: Env,
        groupby: list[str],
        groups: list[tuple[tuple[Any, ...], dict[str, Any]]],
    ) -> Any:
        model: Model = self
        positions: list[dict[Any, int] | None] = []
        for index, gb in enumerate(groupby):
            field = model.fields[gb]
            if field.type == "many2one":
                comodel = env[field.relation or ""]
                # the comodel's order, over the values present only (a 200-group answer
                # must not rank 100,000 products)
                present = frozenset(key[index] for key, _ in groups if type(key[index]) is int)
                order = comodel.sorted_ids(env.sudo(), None, present)
                positions.append({rid: pos for pos, rid in enumerate(order)})
            else:
                positions.append(None)

        def sort_key(item: tuple[tuple[Any, ...], dict[str, Any]]) -> tuple[Any, ...]:
            out: list[Any] = []
            for value, pos in zip(item[0], positions, strict=True):
                if value is False:
                    out.append((1, 0))
                elif pos is not None:
                    out.append((0, pos.get(value, 0)))
                else:
                    out.append((0, value))
            return tuple(out)

        return sorted(groups, key=sort_key)

    def _group_labels(
        self: Any, env: Env, groupby: list[str], groups: list[Any]
    ) -> dict[str, dict[Any, str]]:
        """Display names of every many2one group value, one batch per groupby field."""
        model: Model = self
        labels: dict[str, dict[Any, str]] = {}
        for pos, gb in enumerate(groupby):
            field = model.fields[gb]
            if field.type == "many2one":
                values = {key[pos] for key, _ in groups if key[pos]}
                labels[gb] = env[field.relation or ""].display_names(env.sudo(), values)
        return labels

    @staticmethod
    def _group_value(labels: dict[str, dict[Any, str]], gb: str, value: Any) -> Any:
        if gb in labels and value:
            return [value, labels[gb].get(value, "")]
        return value

    @rpc(model=True, op="read")
    def read_group(
        self: Any,
        env: Env,
        domain: list[Any],
        fields: list[str],
        groupby: Any,
        offset: int = 0,
        limit: int | None = None,
        orderby: Any = False,
        lazy: bool = True,
    ) -> list[dict[str, Any]]:
        """16-18 format (correction 11): ``<groupby>_count`` when lazy, aggregates keyed by
        the field name, ``__domain`` and ``__context``."""
        model: Model = self
        groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
        used = groupby[:1] if lazy else groupby
        specs = [
            _parse_spec(model, f)
            for f in fields
            if f.split(":")[0] not in used and f != "__count" and f.split(":")[0] != "id"
        ]
        specs = [s for s in specs if s[2]]
        groups = self._groups(env, domain or [], used, specs)
        count_key = f"{used[0]}_count" if lazy and used else "__count"
        out = []
        page = groups[offset or 0 :][: limit or None]
        labels = self._group_labels(env, used, page)
        tail = list(domain or [])
        for key, values in page:
            row: dict[str, Any] = {}
            for gb, value in zip(used, key, strict=True):
                row[gb] = self._group_value(labels, gb, value)
            row[count_key] = values["__count"]
            for out_key, fname, _ in specs:
                row[fname if out_key == fname else out_key] = values[out_key]
            if len(used) == 1:
                row["__domain"] = [(used[0], "=", key[0]), *tail]
            elif len(used) == 2:
                row["__domain"] = [(used[0], "=", key[0]), (used[1], "=", key[1]), *tail]
            else:
                row["__domain"] = [(gb, "=", v) for gb, v in zip(used, key, strict=True)] + tail
            if lazy and len(groupby) > 1:
                row["__context"] = {"group_by": groupby[1:]}
            out.append(row)
        return out

    @rpc(model=True, op="read", since=(19, 0))
    def formatted_read_group(
        self: Any,
        env: Env,
        domain: list[Any],
        groupby: Any = (),
        aggregates: Any = (),
        having: Any = (),
        offset: int = 0,
        limit: int | None = None,
        order: Any = None,
    ) -> list[Any]:
        """19 (correction 11): keys are the specs verbatim, ``__count`` only if asked,
        ``__extra_domain`` per row."""
        model: Model = self
        groupby = list(groupby or [])
        specs = [_parse_spec(model, a) for a in aggregates if a != "__count"]
        groups = self._groups(env, domain or [], groupby, specs)
        out = []
        page = groups[offset or 0 :][: limit or None]
        labels = self._group_labels(env, groupby, page)
        for key, values in page:
            row: dict[str, Any] = {}
            for gb, value in zip(groupby, key, strict=True):
                row[gb] = self._group_value(labels, gb, value)
            if "__count" in aggregates:
                row["__count"] = values["__count"]
            for out_key, fname, agg in specs:
                row[f"{out_key}:{agg}" if fname == out_key else out_key] = values[out_key]
            row["__extra_domain"] = [(gb, "=", v) for gb, v in zip(groupby, key, strict=True)]
            out.append(row)
        return out


def _aggregate(agg: str, values: list[Any]) -> Any:
    """One aggregate; money leaves as a float like every other RPC value."""
    present = [
        float(v) if isinstance(v, Decimal) else v
        for v in values
        if v is not None and v is not False
    ]
    if agg == "sum":
        total: Any = sum(present) if present else 0
        return float(total) if isinstance(total, Decimal) else total
    if agg == "avg":
        return float(sum(present)) / len(present) if present else False
    if agg == "min":
        return min(present) if present else False
    if agg == "max":
        return max(present) if present else False
    if agg == "count":
        return len(present)
    if agg == "count_distinct":
        return len(set(present))
    if agg == "bool_and":
        return all(values)
    if agg == "bool_or":
        return any(values)
    return present
