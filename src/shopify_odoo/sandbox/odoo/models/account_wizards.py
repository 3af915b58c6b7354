"""Invoicing and credit-note wizards driven over RPC (§4.3): ``sale.advance.payment.inv``
(``create_invoices``) and ``account.move.reversal`` (16 ``refund_method`` +
``reverse_moves``; 17+ ``refund_moves`` / ``modify_moves``)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import UserError
from ..fields import char, date, many2many, many2one, selection
from ..orm import Model
from ..rpc import rpc
from ..world import Env
from .account_move import BILLING


def _invoice_action(ids: list[int], move_type: str) -> dict[str, Any]:
    """``action_view_invoice``: an act_window with ``res_id`` for a single record (§4.3)."""
    action: dict[str, Any] = {
        "type": "ir.actions.act_window",
        "res_model": "account.move",
        "name": "Invoices" if move_type == "out_invoice" else "Credit Notes",
        "context": {"default_move_type": move_type},
    }
    if len(ids) == 1:
        action.update(views=[[False, "form"]], view_mode="form", res_id=ids[0])
    else:
        action.update(view_mode="list,form", domain=[["id", "in", ids]])
    return action


class SaleAdvancePaymentInv(Model):
    _name = "sale.advance.payment.inv"
    _description = "Sales Advance Payment Invoice"
    _transient = True
    _access: ClassVar[dict[str, str]] = {"sales_team.group_sale_salesman": "rwcu", **BILLING}
    _declared = (
        selection(
            "advance_payment_method",
            "Create Invoice",
            (
                ("delivered", "Regular invoice"),
                ("percentage", "Down payment (percentage)"),
                ("fixed", "Down payment (fixed amount)"),
            ),
            default="delivered",
        ),
        many2many("sale_order_ids", "Sales Orders", "sale.order"),
    )

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        """§4.3: ``sale_order_ids`` default to context ``active_ids``."""
        if not vals.get("sale_order_ids") and env.context.get("active_model") == "sale.order":
            vals["sale_order_ids"] = [[6, 0, list(env.context.get("active_ids") or [])]]
        return vals

    @rpc(op="write")
    def create_invoices(self, env: Env, ids: list[int]) -> Any:
        wizard = self.row(self.existing(env, ids)[0])
        if wizard["advance_payment_method"] != "delivered":
            raise UserError("The Odoo sandbox only emulates regular invoices (no down payments).")
        orders = env["sale.order"]
        invoices = [orders.create_invoice(env, so) for so in wizard["sale_order_ids"]]
        invoices = [i for i in invoices if i]
        if not invoices:
            raise UserError(
                "There is no invoiceable line. If a product has a Delivered "
                "quantities invoicing policy, please make sure that a quantity "
                "has been delivered."
            )
        return _invoice_action(invoices, "out_invoice")


class AccountMoveReversal(Model):
    _name = "account.move.reversal"
    _description = "Account Move Reversal"
    _transient = True
    _access: ClassVar[dict[str, str]] = BILLING
    _declared = (
        many2many("move_ids", "Moves", "account.move"),
        char("reason", "Reason"),
        date("date", "Reversal date"),
        many2one("journal_id", "Use Specific Journal", "account.journal"),
        # §4.3: 16 chooses with refund_method; 17+ has one method per button
        selection(
            "refund_method",
            "Credit Method",
            (
                ("refund", "Partial Refund"),
                ("cancel", "Full Refund"),
                ("modify", "Full refund and new draft invoice"),
            ),
            default="refund",
            until=(17, 0),
        ),
    )

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        if not vals.get("move_ids") and env.context.get("active_model") == "account.move":
            vals["move_ids"] = [[6, 0, list(env.context.get("active_ids") or [])]]
        return vals

    def _reverse(self, env: Env, rid: int, mode: str) -> Any:
        wizard = self.row(rid)
        moves = env["account.move"]
        refunds = []
        for mid in wizard["move_ids"]:
            move = moves.row(mid)
            if move["state"] != "posted":
                raise UserError("You can only reverse posted moves.")
            refunds.append(
                moves.reverse(
                    env, mid, wizard.get("reason") or "", wizard.get("date") or env.now[:10]
                )
            )
        if mode in ("cancel", "modify"):
            moves.action_post(env, refunds)
            moves.write_rows(env.sudo(), list(wizard["move_ids"]), {"payment_state": "reversed"})
        return _invoice_action(refunds, "out_refund")

    @rpc(op="write", until=(17, 0))
    def reverse_moves(self, env: Env, ids: list[int]) -> Any:
        rid = self.existing(env, ids)[0]
        return self._reverse(env, rid, self.row(rid)["refund_method"])

    @rpc(op="write", since=(17, 0))
    def refund_moves(self, env: Env, ids: list[int]) -> Any:
        return self._reverse(env, self.existing(env, ids)[0], "refund")

    @rpc(op="write", since=(17, 0))
    def modify_moves(self, env: Env, ids: list[int]) -> Any:
        return self._reverse(env, self.existing(env, ids)[0], "modify")
