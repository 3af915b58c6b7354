"""The sandbox SDL is a strict subset of the real 2026-04 schema (check_graphql.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TOOL = ROOT.parent / "shared" / "tools" / "check_graphql.py"
SDL = ROOT / "src" / "shopify_odoo" / "sandbox" / "shopify" / "schema.graphql"


@pytest.mark.skipif(not TOOL.is_file(), reason="../shared/tools/check_graphql.py is not present")
def test_check_graphql_reports_no_problem_for_the_project() -> None:
    """`python ../shared/tools/check_graphql.py .` from the project root: the sandbox SDL is a
    strict subset of the real 2026-04 schema and every operation file validates against it."""
    out = subprocess.run(
        [sys.executable, str(TOOL), str(ROOT)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr
    summary = out.stdout.strip().splitlines()[-1]
    assert summary.endswith(", 1 schema files, 0 problems"), out.stdout
    assert SDL.is_file()


def test_sdl_builds_with_every_resolver_bound() -> None:
    from shopify_odoo.sandbox.shopify.gql import schema

    s = schema()
    assert s.query_type is not None
    assert "inventoryItems" in s.query_type.fields
    assert {d.name for d in s.directives} >= {"idempotent"}
