"""Whatever data a file holds, loading ends in settings or a ConfigError, never a crash."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shopify_odoo.config import ConfigInvalidError, Settings, settings_from_mapping
from shopify_odoo.config.models import (
    DashboardSettings,
    LocationRow,
    OdooSettings,
    PoolSettings,
    SkuBuffer,
    StoreSettings,
    SyncSettings,
)

from .helpers import BASE

KEYS = sorted(
    {
        name
        for model in (
            Settings,
            OdooSettings,
            StoreSettings,
            LocationRow,
            SkuBuffer,
            PoolSettings,
            SyncSettings,
            DashboardSettings,
        )
        for name in model.model_fields
    }
    | {"eu", "us", "main", "apikey"}
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True),
    st.sampled_from(
        [
            "",
            "eu",
            "us",
            "WH/Stock",
            "WH/Stock/A",
            "split",
            "shared",
            "two_way",
            "1h",
            "https://x.test",
            "http://127.0.0.1:1",
            "a.myshopify.com",
            "gid://shopify/Location/1",
            "postgresql://u@h/db",
            "oauth",
            "json2",
            "0.0.0.0",
        ]
    ),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)


def _has(target: Any, step: Any) -> bool:
    if isinstance(target, dict):
        return isinstance(step, str)
    return isinstance(target, list) and isinstance(step, int) and step < len(target)


def _mutate(data: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    target: Any = data
    for step in path[:-1]:
        if not (_has(target, step) and (isinstance(target, list) or step in target)):
            return data
        target = target[step]
    if _has(target, path[-1]):
        target[path[-1]] = value
    return data


@settings(max_examples=150, deadline=None)
@given(
    edits=st.lists(
        st.tuples(
            st.lists(st.one_of(st.sampled_from(KEYS), st.integers(0, 2)), min_size=1, max_size=3),
            values,
        ),
        max_size=4,
    )
)
def test_random_edits_never_crash_the_loader(edits: list[tuple[list[Any], Any]]) -> None:
    data = copy.deepcopy(BASE)
    for path, value in edits:
        data = _mutate(data, path, value)
    before = copy.deepcopy(data)
    failure: ConfigInvalidError | None = None
    try:
        loaded = settings_from_mapping(data, {"SHOPIFY_ODOO_STORE_EU_ACCESS_TOKEN": "shpat_z"})
    except ConfigInvalidError as exc:
        failure = exc
    if failure is None:
        assert isinstance(loaded, Settings)
        assert loaded.sync.reconcile_interval > 0
    else:
        assert failure.items, "an invalid configuration names at least one problem"
        for problem in failure.items:
            assert problem.path
            assert problem.fix
            assert "shpat_z" not in str(problem)
    assert data == before, "the caller's data is not modified"
