"""Invoices, credit notes and journal entries over RPC (§4.3, §6, §10)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shopify_odoo.sandbox.odoo.errors import UserError
from tests.plugins.odoo_sandbox import InProcessOdoo

V = ("16.0", "17.0", "18.0", "19.0")


def confirmed_order(odoo: InProcessOdoo) -> int:
    product = odoo("product.product", "search", [("qty_available", ">", 2)], limit=1)[0]
    field = odoo.world.profile.so_line_tax_field
    so = odoo(
        "sale.order",
        "create",
        {
            "partner_id": 7,
            "client_order_ref": "eu#1001",
            "order_line": [
                [
                    0,
                    0,
                    {
                        "product_id": product,
                        "product_uom_qty": 2,
                        "price_unit": 19.9,
                        "discount": 10,
                        field: [[6, 0, [1]]],
                    },
                ]
            ],
        },
    )
    odoo("sale.order", "action_confirm", [so])
    return int(so)


@pytest.mark.parametrize("version", V)
def test_invoice_from_order_then_credit_note(
    odoo_world: Callable[..., InProcessOdoo], version: str
) -> None:
    """§4.3: sale.advance.payment.inv → create_invoices → action_post; then the reversal
    wizard of the version gives the credit note."""
    odoo = odoo_world(version)
    so = confirmed_order(odoo)
    totals = odoo("sale.order", "read", [so], ["amount_total", "amount_tax"])[0]
    ctx = {"active_model": "sale.order", "active_ids": [so]}
    wiz = odoo(
        "sale.advance.payment.inv", "create", {"advance_payment_method": "delivered"}, context=ctx
    )
    action = odoo("sale.advance.payment.inv", "create_invoices", [wiz], context=ctx)
    invoice = action["res_id"]
    assert action["res_model"] == "account.move"
    row = odoo(
        "account.move",
        "read",
        [invoice],
        ["state", "name", "amount_total", "amount_tax", "move_type", "ref"],
    )[0]
    assert row["state"] == "draft"
    assert row["name"] == "/"
    assert row["amount_total"] == totals["amount_total"]
    assert row["amount_tax"] == totals["amount_tax"]
    assert odoo("account.move", "action_post", [invoice]) is False
    posted = odoo("account.move", "read", [invoice], ["state", "name"])[0]
    assert posted["state"] == "posted"
    assert posted["name"].startswith("INV/")
    status = odoo("sale.order", "read", [so], ["invoice_status", "invoice_ids"])[0]
    assert status["invoice_status"] == "invoiced"
    assert status["invoice_ids"] == [invoice]
    rctx = {"active_model": "account.move", "active_ids": [invoice]}
    wiz = odoo("account.move.reversal", "create", {"reason": "refund #1001"}, context=rctx)
    if version == "16.0":  # §4.3: refund_method + reverse_moves
        result = odoo("account.move.reversal", "reverse_moves", [wiz])
    else:
        result = odoo("account.move.reversal", "refund_moves", [wiz])
    refund = odoo(
        "account.move",
        "read",
        [result["res_id"]],
        ["move_type", "amount_total", "reversed_entry_id", "state"],
    )[0]
    assert refund["move_type"] == "out_refund"
    assert refund["amount_total"] == totals["amount_total"]
    assert refund["reversed_entry_id"][0] == invoice
    assert refund["state"] == "draft"
    assert odoo("sale.order", "read", [so], ["invoice_status"])[0]["invoice_status"] == "to invoice"


def test_payout_journal_entry(odoo_world: Callable[..., InProcessOdoo]) -> None:
    """§6: a balanced entry posts as MISC/…; an unbalanced one is refused."""
    odoo = odoo_world("18.0")
    accounts = {
        a["code"]: a["id"]
        for a in odoo("account.account", "search_read", [("company_ids", "in", [1])], ["code"])
    }
    misc = odoo("account.journal", "search", [("code", "=", "MISC"), ("company_id", "=", 1)])[0]
    lines = [
        [0, 0, {"account_id": accounts["101401"], "name": "payout", "debit": 95.0, "credit": 0}],
        [0, 0, {"account_id": accounts["626000"], "name": "fees", "debit": 5.0, "credit": 0}],
        [0, 0, {"account_id": accounts["101402"], "name": "payout", "debit": 0, "credit": 100.0}],
    ]
    entry = odoo(
        "account.move",
        "create",
        {"move_type": "entry", "journal_id": misc, "ref": "payout 1", "line_ids": lines},
    )
    odoo("account.move", "action_post", [entry])
    assert odoo("account.move", "read", [entry], ["name"])[0]["name"].startswith("MISC/")
    bad = odoo(
        "account.move", "create", {"move_type": "entry", "journal_id": misc, "line_ids": lines[:2]}
    )
    with pytest.raises(UserError, match="not balanced"):
        odoo("account.move", "action_post", [bad])
    assert odoo("account.move", "button_draft", [entry]) is None  # correction 4
    grouped = odoo(
        "account.move.line",
        "read_group",
        [("move_id", "=", entry)],
        ["debit:max", "credit:sum"],
        ["move_id"],
    )
    assert grouped[0]["debit"] == 95.0
    assert grouped[0]["credit"] == 100.0
    assert isinstance(grouped[0]["debit"], float)


def accounts_fields(odoo: InProcessOdoo) -> list[str]:
    fields = odoo("account.account", "fields_get", attributes=["type"])
    return sorted({"company_id", "company_ids", "deprecated", "active"} & set(fields))


CASES: list[tuple[str, str, Callable[[InProcessOdoo], Any], dict[str, Any]]] = [
    (
        "§6 / §10",
        "account.account company and archiving fields",
        accounts_fields,
        {
            "16.0": ["company_id", "deprecated"],
            "17.0": ["company_id", "deprecated"],
            "18.0": ["company_ids", "deprecated"],
            "19.0": ["active", "company_ids"],
        },
    ),
    (
        "§6",
        "journal type 'credit'",
        lambda o: (
            "credit" in dict(o("account.journal", "fields_get", ["type"])["type"]["selection"])
        ),
        {"16.0": False, "17.0": False, "18.0": True, "19.0": True},
    ),
    (
        "§4.3 / §10",
        "reversal wizard methods",
        lambda o: sorted(
            m
            for m in ("reverse_moves", "refund_moves", "modify_moves")
            if o.world.models["account.move.reversal"].rpc_spec(m)
        ),
        {
            "16.0": ["reverse_moves"],
            "17.0": ["modify_moves", "refund_moves"],
            "18.0": ["modify_moves", "refund_moves"],
            "19.0": ["modify_moves", "refund_moves"],
        },
    ),
]


@pytest.mark.parametrize("version", V)
@pytest.mark.parametrize(
    ("section", "what", "check", "expected"), CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES]
)
def test_accounting_version_difference(
    odoo_world: Callable[..., InProcessOdoo],
    version: str,
    section: str,
    what: str,
    check: Callable[[InProcessOdoo], Any],
    expected: dict[str, Any],
) -> None:
    assert check(odoo_world(version)) == expected[version], f"{section}: {what} on {version}"
