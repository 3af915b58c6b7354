#!/usr/bin/env bash
# Install, then run every check and every test tier (unit, integration, e2e, simulation).
# PostgreSQL tests use SHOPIFY_ODOO_TEST_PG_URL (default postgresql://127.0.0.1:5432/test);
# with SHOPIFY_ODOO_REQUIRE_SERVICES=1 (as CI sets it) a missing service fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --browser
export PATH="$HOME/.local/bin:$PATH"
export SHOPIFY_ODOO_TEST_PG_URL="${SHOPIFY_ODOO_TEST_PG_URL:-postgresql://127.0.0.1:5432/test}"

echo "== ruff" >&2
uv run --frozen ruff check src tests benchmarks
uv run --frozen ruff format --check src tests benchmarks
echo "== mypy --strict" >&2
uv run --frozen mypy
echo "== import-linter" >&2
uv run --frozen lint-imports
if [ -f ../shared/tools/check_graphql.py ]; then
    echo "== check_graphql (real Shopify 2026-04 schema)" >&2
    uv run --frozen python ../shared/tools/check_graphql.py .
fi
echo "== pytest" >&2
uv run --frozen pytest -n 2 --dist loadgroup "$@"
