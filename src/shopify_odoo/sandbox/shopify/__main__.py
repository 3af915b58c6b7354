"""``python -m shopify_odoo.sandbox.shopify``: run the Shopify sandbox in the foreground and
print its info as one JSON line (used by the benchmark; the CLI command wraps the same call)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from .server import run_shopify_sandbox


async def _main(args: argparse.Namespace) -> None:
    async with run_shopify_sandbox(
        stores=args.stores,
        scenario=args.scenario,
        plan=args.plan,
        host=args.host,
        seed=args.seed,
        rate_limited=not args.no_rate_limit,
    ) as sandbox:
        print(json.dumps(sandbox.info()), flush=True)
        await asyncio.Event().wait()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m shopify_odoo.sandbox.shopify")
    p.add_argument("--stores", type=int, default=2)
    p.add_argument("--scenario", default="demo", choices=["small", "demo", "large"])
    p.add_argument("--plan", default="standard")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-rate-limit", action="store_true")
    args = p.parse_args()
    try:
        asyncio.run(_main(args))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
