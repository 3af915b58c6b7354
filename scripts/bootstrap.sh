#!/usr/bin/env bash
# Install everything shopify-odoo needs on a fresh machine: uv (if missing), Python 3.11+,
# the locked dependencies into .venv, and (for the browser tests) Debian's chromium.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1 && [ ! -x "$HOME/.local/bin/uv" ]; then
    echo "bootstrap: installing uv" >&2
    python3 -m pip install --quiet --user uv 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages --user uv 2>/dev/null \
        || python3 -m pip install --quiet uv
fi
export PATH="$HOME/.local/bin:$PATH"
UV=$(command -v uv)

"$UV" sync --frozen --quiet

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
    echo "bootstrap: installing Debian's chromium for the browser tests" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
