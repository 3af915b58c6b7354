"""Orders in the same second as a mark (``sync/ledger.py`` module doc, "Windows and the order's
second"): Shopify dates orders in whole seconds, our reads and marks keep fractions.

An order dated in a mark's second counts *before* the mark unless the mark is complete and did
not know the order: then it came after the mark and explains the next fall (issue 7's tail was
such an order held twice: once as the order, once as a drop nothing explained).
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from shopify_odoo.engine.ledger_store import load_ledger, save_changes
from shopify_odoo.store.database import open_database
from shopify_odoo.store.tables import metadata
from shopify_odoo.sync.ledger import (
    Drop,
    Ledger,
    LedgerEvent,
    Mark,
    Pending,
    RecordDrop,
    ResolveDrop,
    SetMark,
    apply_event,
    apply_events,
    join_known,
)
from shopify_odoo.sync.model import Direction, LevelKey
from shopify_odoo.sync.stock import apply_plan, plan_stock

from .factories import (
    EU,
    NEW_YORK,
    PARIS,
    PID,
    US,
    WH_STOCK,
    key,
    level,
    odoo,
    order,
    t,
    two_store_policy,
    world,
)

POLICY = two_store_policy()


def _marks(eu_known: tuple[str, ...] | None, at: float = 50.4, value: int = 10) -> Ledger:
    return Ledger(
        marks=(
            Mark(key(EU, PARIS), value, t(at), known=eu_known),
            Mark(key(US, NEW_YORK), value, t(at), known=eu_known),
        )
    )


def _pair(eu: int, us: int, *, at: float, stock: int):  # type: ignore[no-untyped-def]
    """Paris (EU) and New York (US) showing ``eu`` and ``us``, read at ``at``; Odoo holds
    ``stock`` at WH/Stock."""
    return world(
        level(EU, PARIS, eu, read_at=at),
        level(US, NEW_YORK, us, read_at=at),
        odoo_rows=(odoo(WH_STOCK, stock),),
    )


def _in_flight(plan) -> int:  # type: ignore[no-untyped-def]
    [fig] = [f for f in plan.figures if f.pool == "main"]
    return int(fig.in_flight)


def _drops(plan) -> list[Drop]:  # type: ignore[no-untyped-def]
    return [c.drop for c in plan.ledger_changes if isinstance(c, RecordDrop) and c.drop.units > 0]


def test_an_order_after_a_complete_mark_in_its_second_explains_the_fall() -> None:
    # the mark at 50.4 was complete and knew no order of second 50; order "1" (dated 50) was
    # not known then, so it came after 50.4: it explains EU's fall, held once
    ledger = apply_event(_marks(()), order(EU, "1", 1, PARIS, placed=50))
    w = _pair(9, 10, at=50.9, stock=10)
    plan = plan_stock(w, ledger, POLICY)
    assert _drops(plan) == []
    assert _in_flight(plan) == 1
    assert {(x.store, x.quantity) for x in plan.writes} == {(US, 9)}


def test_an_order_the_complete_mark_knew_stays_before_it() -> None:
    # order "1" was known when the mark was set: the mark's figure already shows it
    ledger = apply_event(_marks(("1",)), order(EU, "1", 1, PARIS, placed=50))
    w = _pair(10, 10, at=50.9, stock=11)
    plan = plan_stock(w, ledger, POLICY)
    assert _drops(plan) == []
    assert _in_flight(plan) == 1
    assert plan.writes == ()


def test_a_mark_that_is_not_complete_holds_an_order_of_its_second() -> None:
    # nothing says the order came after the mark: when in doubt, hold (a unit held twice
    # until the order cursor passes the read, never a sale left unsubtracted)
    ledger = apply_event(_marks(None), order(EU, "1", 1, PARIS, placed=50))
    w = _pair(9, 10, at=50.9, stock=10)
    plan = plan_stock(w, ledger, POLICY)
    assert [d.units for d in _drops(plan)] == [1]
    assert _in_flight(plan) == 2


def test_an_order_of_an_earlier_second_is_before_any_mark() -> None:
    ledger = apply_event(_marks(()), order(EU, "1", 1, PARIS, placed=49))
    w = _pair(9, 10, at=50.9, stock=10)
    assert [d.units for d in _drops(plan_stock(w, ledger, POLICY))] == [1]


def _written_known(plan) -> dict[str, tuple[str, ...] | None]:  # type: ignore[no-untyped-def]
    out = {}
    for w in plan.writes:
        assert w.before_send.known == w.after_success.known
        out[w.store] = w.after_success.known
    for c in plan.ledger_changes:
        if isinstance(c, SetMark):
            out.setdefault(c.mark.key.store, c.mark.known)
    return out


def test_a_read_with_nothing_unexplained_sets_a_complete_mark_listing_its_second() -> None:
    # marks a second or more older than the read; EU's order of the read's second is known
    ledger = apply_event(_marks(None, at=40), order(EU, "1", 1, PARIS, placed=50))
    w = _pair(9, 10, at=50.4, stock=20)
    plan = plan_stock(w, ledger, POLICY)
    assert _written_known(plan) == {EU: ("1",), US: ()}


def test_no_complete_mark_after_a_fall_nothing_explains_or_from_a_mark_in_the_same_second() -> None:
    # EU: an unexplained fall (a drop is recorded); US: its mark is in the read's second and
    # was not complete (a first figure, say): orders before it are not all known
    ledger = Ledger(marks=(Mark(key(EU, PARIS), 10, t(40)), Mark(key(US, NEW_YORK), 10, t(50.1))))
    w = _pair(8, 10, at=50.4, stock=20)
    plan = plan_stock(w, ledger, POLICY)
    assert _written_known(plan) == {EU: None, US: None}


def test_a_pending_drop_of_the_last_second_keeps_the_mark_incomplete() -> None:
    drop = Drop(key(EU, PARIS), t(50.0), t(40), 1, PID, "main")
    ledger = Ledger(
        drops=(drop,),
        # (a complete mark with a drop this close only comes from a concurrent record)
        marks=(Mark(key(EU, PARIS), 9, t(50.0), known=()), Mark(key(US, NEW_YORK), 10, t(40))),
    )
    w = _pair(9, 10, at=50.4, stock=20)
    plan = plan_stock(w, ledger, POLICY)
    assert _written_known(plan)[EU] is None


def test_two_way_marks_are_never_complete() -> None:
    policy = two_store_policy(direction=Direction.TWO_WAY)
    w = _pair(10, 10, at=50.4, stock=20)
    plan = plan_stock(w, _marks(None, at=40), policy)
    assert _written_known(plan) == {EU: None, US: None}


def test_a_pass_then_an_order_in_the_same_second_then_a_pass_holds_it_once() -> None:
    """The benchmark's case: a pass writes at 50.2, a storefront order lands at 50.5 (dated
    50), its webhook arrives, the next pass reads at 50.8: the other store shows one less."""
    ledger = _marks(None, at=40)
    w = _pair(10, 10, at=50.2, stock=12)
    plan = plan_stock(w, ledger, POLICY)
    w, ledger = apply_plan(w, ledger, plan)
    assert [lv.available for lv in w.levels] == [12, 12]
    # the order: EU's level falls by 1 at 50.5, and the ledger hears of it
    ledger = apply_event(ledger, order(EU, "1", 1, PARIS, placed=50))
    w = _pair(11, 12, at=50.8, stock=12)
    plan = plan_stock(w, ledger, POLICY)
    assert _drops(plan) == []
    assert _in_flight(plan) == 1
    w, ledger = apply_plan(w, ledger, plan)
    assert [lv.available for lv in w.levels] == [11, 11]
    assert plan_stock(w, ledger, POLICY).is_empty


def test_a_drop_keeps_its_start_marks_knowledge() -> None:
    # the fall is recorded before the order is heard of; the order (dated in the complete
    # mark's second, not known by it) explains the drop once it is known
    ledger = _marks(())
    w = _pair(9, 10, at=50.9, stock=10)
    plan = plan_stock(w, ledger, POLICY)
    [drop] = _drops(plan)
    assert drop.since_known == ()
    w, ledger = apply_plan(w, ledger, plan)
    ledger = apply_event(ledger, order(EU, "1", 1, PARIS, placed=50))
    again = plan_stock(w, ledger, POLICY)
    assert _in_flight(again) == 1


# --------------------------------------------------------------------------- join and storage

KNOWN = st.none() | st.lists(st.sampled_from(("a", "b", "c")), max_size=3).map(
    lambda x: tuple(sorted(set(x)))
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 2), st.integers(1, 3), KNOWN), max_size=8),
    st.randoms(use_true_random=False),
)
def test_drop_records_with_their_start_knowledge_commute(ops, rnd) -> None:  # type: ignore[no-untyped-def]
    k = LevelKey("eu", "I1", "L1")
    events: list[LedgerEvent] = [
        (RecordDrop if record else ResolveDrop)(
            Drop(k, t(at), t(0), units, 1, "p0", since_known=known)
        )
        for record, at, units, known in ops
    ]
    reference = apply_events(Ledger(), events)
    shuffled = list(events) * 2
    rnd.shuffle(shuffled)
    assert apply_events(Ledger(), shuffled) == reference


def test_join_known_holds_more_when_in_doubt() -> None:
    assert join_known(("a",), ("b",)) == ("a", "b")
    assert join_known(None, ("b",)) is None
    assert join_known((), ()) == ()


def test_the_store_keeps_marks_knowledge_and_drops_start_knowledge() -> None:
    mk = Mark(key(EU, PARIS), 4, t(50.25), Pending(6, t(50.25)), known=("9|7", "8|7"))
    plain = replace(mk, key=key(US, NEW_YORK), pending=None, known=None)
    drop = Drop(key(EU, PARIS), t(51.5), t(50.25), 2, PID, "main", since_known=("8|7",))
    old = Drop(key(EU, PARIS), t(52.5), t(51.5), 1, PID, "main")

    async def run() -> Ledger:
        with tempfile.TemporaryDirectory() as folder:
            db = await open_database(f"sqlite+aiosqlite:///{Path(folder) / 'l.db'}")
            try:
                async with db.begin() as conn:
                    await conn.run_sync(metadata.create_all)
                product_of = {
                    (EU, mk.key.inventory_item_gid): PID,
                    (US, plain.key.inventory_item_gid): PID,
                }
                async with db.begin() as conn:
                    changes = [SetMark(mk), SetMark(plain), RecordDrop(drop), RecordDrop(old)]
                    await save_changes(conn, changes, product_of)
                async with db.begin() as conn:  # a second record of the drop joins with it
                    await save_changes(
                        conn, [RecordDrop(replace(drop, since_known=None))], product_of
                    )
                async with db.connect() as conn:
                    return await load_ledger(conn, [PID])
            finally:
                await db.dispose()

    loaded = asyncio.run(run())
    assert set(loaded.marks) == {mk, plain}
    assert set(loaded.drops) == {replace(drop, since_known=None), old}


def test_a_second_order_of_the_second_of_a_fall_read_before_its_webhook_is_held_once() -> None:
    """A pass reads EU's fall at 50.3 before order "1" is known (a drop); order "2" lands at
    50.6 in the same second; both are then known.  The drop holds 1 unit and its window would
    count both orders: the excess came after 50.3 and explains the next window, not a second
    drop (the benchmark's remaining tail)."""
    ledger = Ledger(
        marks=(
            Mark(key(EU, PARIS), 10, t(49.9), known=()),
            Mark(key(US, NEW_YORK), 10, t(49.9), known=()),
        )
    )
    w = _pair(9, 10, at=50.3, stock=10)
    plan = plan_stock(w, ledger, POLICY)
    assert [d.units for d in _drops(plan)] == [1]
    w, ledger = apply_plan(w, ledger, plan)
    assert [lv.available for lv in w.levels] == [9, 9]
    ledger = apply_events(
        ledger, [order(EU, "1", 1, PARIS, placed=50), order(EU, "2", 1, PARIS, placed=50)]
    )
    w = _pair(8, 9, at=50.8, stock=10)
    plan = plan_stock(w, ledger, POLICY)
    assert _drops(plan) == []
    assert _in_flight(plan) == 2
    w, ledger = apply_plan(w, ledger, plan)
    assert [lv.available for lv in w.levels] == [8, 8]
    assert plan_stock(w, ledger, POLICY).is_empty


def test_the_second_order_heard_of_after_the_next_drop_explains_it() -> None:
    ledger = Ledger(
        marks=(
            Mark(key(EU, PARIS), 10, t(49.9), known=()),
            Mark(key(US, NEW_YORK), 10, t(49.9), known=()),
        )
    )
    w = _pair(9, 10, at=50.3, stock=10)
    w, ledger = apply_plan(w, ledger, plan_stock(w, ledger, POLICY))
    ledger = apply_event(ledger, order(EU, "1", 1, PARIS, placed=50))
    w = _pair(8, 9, at=50.8, stock=10)
    plan = plan_stock(w, ledger, POLICY)
    assert [d.units for d in _drops(plan)] == [1]  # order "2" not heard of yet: held
    w, ledger = apply_plan(w, ledger, plan)
    ledger = apply_event(ledger, order(EU, "2", 1, PARIS, placed=50))
    again = plan_stock(w, ledger, POLICY)
    assert _in_flight(again) == 2


def test_an_excess_of_orders_of_earlier_seconds_carries_nothing() -> None:
    # both orders are dated 49, before the drop's second: both moved the level by 50.3; more
    # explanation than the fall means something else (a merchant rise), not a later sale
    ledger = Ledger(
        marks=(
            Mark(key(EU, PARIS), 10, t(48.5), known=()),
            Mark(key(US, NEW_YORK), 10, t(48.5), known=()),
        )
    )
    w = _pair(9, 10, at=50.3, stock=10)
    w, ledger = apply_plan(w, ledger, plan_stock(w, ledger, POLICY))
    ledger = apply_events(
        ledger, [order(EU, "1", 1, PARIS, placed=49), order(EU, "2", 1, PARIS, placed=49)]
    )
    w = _pair(8, 9, at=50.8, stock=10)
    plan = plan_stock(w, ledger, POLICY)
    assert [d.units for d in _drops(plan)] == [1]
