"""What the demo shows: the live view while the scenario runs, and the final report."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from shopify_odoo.engine.metrics import Figures, Percentiles
from shopify_odoo.engine.stock import SyncResult
from shopify_odoo.sandbox.demo_traffic import MIX, Traffic
from shopify_odoo.sync.model import Allocation, StockPolicy


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _pct(p: Percentiles) -> str:
    if not p.count:
        return "- (none yet)"
    return f"p50 {_ms(p.p50)} · p95 {_ms(p.p95)} · p99 {_ms(p.p99)}  (n={p.count})"


def _points(figures: Figures) -> str:
    return ", ".join(f"{s} {p:,.0f}" for s, p in figures.points_by_store.items()) or "-"


def _errors(figures: Figures) -> str:
    return ", ".join(f"{c}: {n}" for c, n in figures.errors_by_cause.items()) or "none"


def live_view(
    figures: Figures, traffic: Traffic, elapsed: float, duration: float, url: str | None
) -> Group:
    world = Table(title="What happens in the world", title_justify="left", show_header=False)
    for kind, (_weight, label) in MIX.items():
        world.add_row(label, str(traffic.counts.get(kind, 0)))
    world.add_row("checkouts refused (sold out)", str(traffic.refused))
    connector = Table(title="What the connector does", title_justify="left", show_header=False)
    connector.add_row("webhooks received", str(figures.webhooks_received))
    connector.add_row("webhook lag", _pct(figures.webhook_lag))
    connector.add_row("stock levels corrected", str(figures.time_to_correction.count))
    connector.add_row("time to correction", _pct(figures.time_to_correction))
    connector.add_row(
        "queue depth", f"{figures.queue_pending} pending, {figures.queue_running} running"
    )
    connector.add_row(
        "stock mismatches (last pass)",
        "-" if figures.stock_mismatches is None else str(figures.stock_mismatches),
    )
    connector.add_row("errors for a person", _errors(figures))
    connector.add_row("Shopify points used", _points(figures))
    recent = Text("\n".join(traffic.last[-5:]), style="dim")
    head = Text(f"{min(elapsed, duration):4.0f}s / {duration:.0f}s", style="bold")
    if url:
        head.append(f"   dashboard: {url}", style="")
    return Group(head, world, connector, recent)


@dataclass
class OrderCheck:
    """Every order placed in a store against Odoo's sale orders."""

    placed: int
    one_sale_order: int
    confirmed: int
    missing: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.one_sale_order == self.placed == self.confirmed


@dataclass
class FinalCheck:
    """The final check, read from scratch after the connector settled."""

    mismatches: int
    levels: int
    skus: int
    #: (store, Shopify location) pairs the connector controls
    locations: int
    stores: int
    #: units sold that Odoo cannot ship (sale orders and orders in flight beyond its stock), in
    #: split pools (impossible by construction) and in shared pools (possible inside the
    #: propagation window: two stores sell the last units before either hears of the other)
    oversold_split: int
    oversold_shared: int
    orders: OrderCheck
    settled: bool
    settle_seconds: float
    #: how long an unexplained fall is held before it counts as a merchant edit (seconds)
    hold_seconds: float = 0.0
    #: CPU time of this process over wall time since launch (one core = 1.0)
    cpu_share: float | None = None
    examples: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        check: SyncResult,
        policy: StockPolicy,
        orders: OrderCheck,
        settled: bool,
        settle_seconds: float,
        hold_seconds: float,
    ) -> FinalCheck:
        plan = check.plan
        outcomes = plan.outcomes if plan is not None else ()
        figures = plan.figures if plan is not None else ()
        stores = {o.key.store for o in outcomes}
        per_store = {(o.key.store, o.key.location_gid) for o in outcomes}

        def where(store: str, gid: str) -> str:
            route = policy.route(store, gid)
            return f"{store} {route.label if route else gid}"

        def split(name: str) -> bool:
            pool = policy.pool(name)
            return pool is not None and pool.allocation == Allocation.SPLIT

        examples = [
            f"{o.sku} at {where(o.key.store, o.key.location_gid)}: shows {o.shown}, "
            f"Odoo's target {o.target}"
            for o in outcomes
            if o.diff != 0
        ][:5]
        short = [f for f in figures if f.short]
        examples += [
            f"{f.sku} in pool {f.pool} ({'split' if split(f.pool) else 'shared'}): Odoo "
            f"sellable {f.sellable:g}, orders not yet in Odoo {f.in_flight}: {f.short} unit(s) "
            "sold that Odoo cannot ship"
            for f in short
        ][:5]
        return cls(
            mismatches=check.mismatches,
            levels=len(outcomes),
            skus=len({o.sku for o in outcomes}),
            locations=len(per_store),
            stores=len(stores),
            oversold_split=sum(f.short for f in short if split(f.pool)),
            oversold_shared=sum(f.short for f in short if not split(f.pool)),
            orders=orders,
            settled=settled,
            settle_seconds=settle_seconds,
            hold_seconds=hold_seconds,
            examples=examples,
        )

    @property
    def passed(self) -> bool:
        return self.mismatches == 0 and self.orders.ok and self.oversold_split == 0

    @property
    def oversold(self) -> int:
        return self.oversold_split + self.oversold_shared


def final_report(console: Console, figures: Figures, final: FinalCheck, traffic: Traffic) -> int:
    """Print the figures and the verdict; returns the exit status (1 when the check fails)."""
    table = Table(title="Results of the scenario", title_justify="left", show_header=False)
    events = sum(traffic.counts.values())
    table.add_row(
        "events driven",
        f"{events} ("
        + ", ".join(f"{traffic.counts.get(k, 0)} {label}" for k, (_w, label) in MIX.items())
        + f"; {traffic.refused} checkouts refused: sold out)",
    )
    table.add_row("stock mismatches", f"{final.mismatches} of {final.levels} levels")
    table.add_row(
        "time to correction",
        f"{_pct(figures.time_to_correction)}\n(a fall of a Shopify level that no order explains "
        f"is held as a possible late order until the order poll has passed it, about "
        f"{final.hold_seconds:.0f} s here, then corrected as a merchant edit)",
    )
    table.add_row(
        "oversold units",
        f"{final.oversold} (units sold that Odoo cannot ship): {final.oversold_split} in split "
        f"pools, {final.oversold_shared} in shared pools",
    )
    table.add_row(
        "oversell window",
        f"peak {figures.oversold_units:g} units sellable beyond Odoo's figure, found by one pass "
        "before its corrections landed (merchant edits, orders in the other store)",
    )
    table.add_row("errors by cause", _errors(figures))
    table.add_row(
        "webhook lag", f"{_pct(figures.webhook_lag)}; {figures.webhooks_received} received"
    )
    table.add_row(
        "queue depth",
        f"{figures.queue_pending} pending, {figures.queue_running} running, "
        f"{figures.queue_dead} dead",
    )
    table.add_row("Shopify points used", _points(figures))
    o = final.orders
    table.add_row(
        "orders → sale orders",
        f"{o.placed} placed, {o.one_sale_order} with exactly one Odoo sale order, "
        f"{o.confirmed} confirmed",
    )
    console.print(table)
    settle = f"settled in {final.settle_seconds:.1f}s" if final.settled else "did NOT settle"
    if final.cpu_share is not None:
        _plain(
            console,
            f"CPU: the demo (both sandboxes, the connector and the traffic, one process) got "
            f"{final.cpu_share:.0%} of one core; on a busy machine every figure is slower.",
        )
    _plain(
        console,
        f"Final check ({settle}): every stock level of both stores read again from Shopify and "
        "Odoo and planned from scratch; every order looked up in Odoo.",
    )
    for line in final.examples:
        _plain(console, f"  {line}")
    for ref in o.missing[:5]:
        _plain(console, f"  no sale order for {ref}")
    for ref in o.duplicated[:5]:
        _plain(console, f"  more than one sale order for {ref}")
    scope = (
        f"{final.levels} stock levels ({final.skus} SKUs x {final.locations} locations in "
        f"{final.stores} stores)"
    )
    if final.oversold_shared:
        _plain(
            console,
            f"  {final.oversold_shared} unit(s) oversold in the shared pool: both stores sold the "
            "last units within the propagation window (the oversell window above), as shared "
            "allocation allows; split allocation (the 3PL pool here) makes it impossible.",
        )
    if final.passed:
        oversold = (
            "0 oversold units"
            if not final.oversold
            else f"0 oversold units in split pools ({final.oversold_shared} in the shared pool)"
        )
        verdict = (
            f"VERDICT: PASS: 0 stock mismatches across {scope}; every one of the {o.placed} "
            f"orders became exactly one confirmed Odoo sale order; {oversold}."
        )
    else:
        verdict = (
            f"VERDICT: FAIL: {final.mismatches} stock mismatches across {scope}; "
            f"{o.placed - o.one_sale_order} of {o.placed} orders without exactly one sale order, "
            f"{o.placed - o.confirmed} not confirmed; {final.oversold_split} units oversold in "
            f"split pools ({final.oversold_shared} in shared pools)."
        )
    console.print(
        verdict, style="bold green" if final.passed else "bold red", markup=False, highlight=False
    )
    return 0 if final.passed else 1


def _plain(console: Console, text: str) -> None:
    console.print(text, markup=False, highlight=False)
