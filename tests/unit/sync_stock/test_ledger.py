"""The in-flight ledger: level-triggered, idempotent, order-independent."""

from __future__ import annotations

from shopify_odoo.sync.ledger import (
    Ledger,
    OdooOrderSeen,
    apply_events,
    in_flight_units,
    prune,
)

from .factories import EU, NEW_YORK, PARIS, PID, US, order, t


def test_an_order_seen_is_in_flight_for_its_product_and_pool() -> None:
    ledger = apply_events(Ledger(), [order(EU, "1", 3, PARIS)])
    assert in_flight_units(ledger, PID, "main") == 3
    assert in_flight_units(ledger, PID, "retail") == 0


def test_orders_of_several_stores_add_up_on_one_pool() -> None:
    ledger = apply_events(Ledger(), [order(EU, "1", 3, PARIS), order(US, "1", 2, NEW_YORK)])
    assert in_flight_units(ledger, PID, "main") == 5


def test_an_order_confirmed_in_odoo_is_cleared() -> None:
    ledger = apply_events(
        Ledger(), [order(EU, "1", 3, PARIS), OdooOrderSeen(EU, "1", t(70), confirmed=True)]
    )
    assert in_flight_units(ledger, PID, "main") == 0


def test_a_draft_sale_order_does_not_hold_the_units() -> None:
    ledger = apply_events(
        Ledger(), [order(EU, "1", 3, PARIS), OdooOrderSeen(EU, "1", t(70), confirmed=False)]
    )
    assert in_flight_units(ledger, PID, "main") == 3


def test_a_cancelled_order_is_cleared() -> None:
    ledger = apply_events(
        Ledger(), [order(EU, "1", 3, PARIS), order(EU, "1", 3, PARIS, updated=80, cancelled=True)]
    )
    assert in_flight_units(ledger, PID, "main") == 0


def test_an_edit_replaces_the_quantities() -> None:
    ledger = apply_events(
        Ledger(), [order(EU, "1", 3, PARIS), order(EU, "1", 5, PARIS, updated=90)]
    )
    assert in_flight_units(ledger, PID, "main") == 5


def test_an_older_state_arriving_late_does_not_undo_a_newer_one() -> None:
    ledger = apply_events(
        Ledger(), [order(EU, "1", 5, PARIS, updated=90), order(EU, "1", 3, PARIS)]
    )
    assert in_flight_units(ledger, PID, "main") == 5


def test_units_added_by_an_edit_after_confirmation_stay_in_flight() -> None:
    ledger = apply_events(
        Ledger(),
        [
            order(EU, "1", 5, PARIS, updated=90),
            OdooOrderSeen(EU, "1", t(70), confirmed=True, held=((PID, 3),)),
        ],
    )
    assert in_flight_units(ledger, PID, "main") == 2


def test_a_confirmation_seen_before_the_order_still_clears_it() -> None:
    ledger = apply_events(
        Ledger(), [OdooOrderSeen(EU, "1", t(70), confirmed=True), order(EU, "1", 3, PARIS)]
    )
    assert in_flight_units(ledger, PID, "main") == 0


def test_duplicates_change_nothing() -> None:
    once = apply_events(Ledger(), [order(EU, "1", 3, PARIS)])
    assert apply_events(once, [order(EU, "1", 3, PARIS)]) == once


def test_prune_forgets_settled_old_orders_and_keeps_those_in_flight() -> None:
    ledger = apply_events(
        Ledger(),
        [
            order(EU, "1", 3, PARIS, placed=10),
            OdooOrderSeen(EU, "1", t(70), confirmed=True),
            order(EU, "2", 1, PARIS, placed=10),
        ],
    )
    pruned = prune(ledger, before=t(50))
    assert [e.order_id for e in pruned.orders] == ["2"]
