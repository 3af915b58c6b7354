#!/usr/bin/env bash
# Install, then run the demo: the connector against local Shopify and Odoo sandboxes,
# on the embedded SQLite default.  Extra arguments go to `shopify-odoo demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$HOME/.local/bin:$PATH"
exec uv run --frozen shopify-odoo demo "$@"
