"""``check_policy``: what in a location map makes the stock formula undefined or unsafe.

Pure; the configuration check (``shopify-odoo check``) calls it with the parsed map and lists
every problem at once.  The planner also refuses these cases per product (``SkipReason``), so a
bad map never writes a wrong figure, but it is better caught before ``run``.

Not checked here, because it needs Odoo's location tree: a pool holding a location together
with one of its descendants (Odoo's figures already include children).
"""

from __future__ import annotations

from shopify_odoo.sync.model import Allocation, Direction, StockPolicy


def check_policy(policy: StockPolicy) -> tuple[str, ...]:
    problems: list[str] = []
    names = [p.name for p in policy.pools]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f'pool "{name}" is defined {names.count(name)} times: keep one definition')
    owner: dict[int, str] = {}
    for pool in policy.pools:
        if not pool.odoo_location_ids:
            problems.append(f'pool "{pool.name}" has no Odoo location: add at least one')
            continue
        if pool.adjust_location_id is not None and (
            pool.adjust_location_id not in pool.odoo_location_ids
        ):
            problems.append(
                f'pool "{pool.name}": adjustment location {pool.adjust_location_id} is not one of '
                f"its Odoo locations {list(pool.odoo_location_ids)}: pick one of them"
            )
        for loc in pool.odoo_location_ids:
            if loc in owner and owner[loc] != pool.name:
                problems.append(
                    f'Odoo location {loc} is in pools "{owner[loc]}" and "{pool.name}", so its '
                    f"stock would be offered twice: keep it in one pool"
                )
            owner.setdefault(loc, pool.name)
        if pool.allocation is Allocation.SPLIT:
            shares = dict(pool.split)
            bad = sorted(s for s, pct in shares.items() if not 0 <= pct <= 100)
            if bad:
                problems.append(
                    f'split pool "{pool.name}": the percentage of store(s) {", ".join(bad)} '
                    f"is outside 0-100: fix it"
                )
            if sum(shares.values()) > 100:
                problems.append(
                    f'split pool "{pool.name}": percentages add up to {sum(shares.values())}%, '
                    f"more than 100%: lower them (what is left below 100% stays unoffered)"
                )
    seen: set[tuple[str, str]] = set()
    for route in policy.routes:
        where = f"location {route.label} of store {route.store}"
        if (route.store, route.location_gid) in seen:
            problems.append(f"{where} is mapped twice: keep one row")
        seen.add((route.store, route.location_gid))
        if route.pool not in names:
            problems.append(f'{where} maps to pool "{route.pool}", which is not defined: add it')
        if route.buffer < 0:
            problems.append(f"{where} has a negative buffer ({route.buffer}): use 0 or more")
    for pool in policy.pools:
        rows = [r for r in policy.routes if r.pool == pool.name and r.enabled]
        counted = [r for r in rows if r.direction is Direction.SHOPIFY_TO_ODOO]
        if counted and len(rows) > 1:
            labels = ", ".join(f"{r.store}/{r.label}" for r in rows)
            problems.append(
                f'pool "{pool.name}" is counted in Shopify (shopify_to_odoo) but shared by '
                f"{len(rows)} locations ({labels}): give a shopify_to_odoo location its own pool"
            )
        if pool.allocation is Allocation.SPLIT:
            stores = [r.store for r in rows if r.direction is not Direction.SHOPIFY_TO_ODOO]
            for store in sorted({s for s in stores if stores.count(s) > 1}):
                problems.append(
                    f'split pool "{pool.name}" has {stores.count(store)} locations of store '
                    f"{store}, but a split share is per store: map one, or make the pool shared"
                )
    return tuple(problems)
