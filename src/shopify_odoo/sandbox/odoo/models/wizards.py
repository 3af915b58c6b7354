"""Transient wizards driven over RPC (§2.4): backorder (16-19), immediate transfer (16),
returns (§3.8), sale cancel (§4.1)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import UserError
from ..fields import boolean, float_, many2many, many2one, one2many
from ..orm import Model
from ..rpc import rpc
from ..world import Env
from .moves import READ

_WIZ = {"stock.group_stock_user": "rwcu", "base.group_system": "rwcu"}


class _PickingWizard(Model):
    _transient = True
    _access: ClassVar[dict[str, str]] = _WIZ
    _line_model: ClassVar[str] = ""
    _line_field: ClassVar[str] = ""
    _line_flag: ClassVar[str] = ""

    def after_create(self, env: Env, ids: list[int]) -> None:
        """correction 12: lines come from ``default_pick_ids`` only (``default_get``)."""
        lines = env[self._line_model]
        parent = self._line_field.replace("_line_ids", "_id").replace(
            "backorder_confirmation_id", "backorder_confirmation_id"
        )
        for rid in ids:
            if lines.table.ids_where(parent, rid):
                continue
            for pid in self.row(rid)["pick_ids"]:
                lines.create_rows(env, [{parent: rid, "picking_id": pid, self._line_flag: True}])

    def _guarded(self, env: Env) -> bool:
        """correction 12: without ``button_validate_picking_ids`` the call returns True and
        does nothing."""
        return bool(env.context.get("button_validate_picking_ids"))


class StockBackorderConfirmation(_PickingWizard):
    _name = "stock.backorder.confirmation"
    _description = "Backorder Confirmation"
    _line_model = "stock.backorder.confirmation.line"
    _line_field = "backorder_confirmation_line_ids"
    _line_flag = "to_backorder"
    _declared = (
        many2many("pick_ids", "Pick", "stock.picking"),
        boolean("show_transfers", "Show Transfers", default=False),
        one2many(
            "backorder_confirmation_line_ids",
            "Backorder Confirmation Lines",
            "stock.backorder.confirmation.line",
            "backorder_confirmation_id",
        ),
    )

    def _lines(self, rid: int) -> list[dict[str, Any]]:
        lines = self.world.models[self._line_model]
        return [
            lines.row(i) for i in sorted(lines.table.ids_where("backorder_confirmation_id", rid))
        ]

    @rpc(op="write")
    def process(self, env: Env, ids: list[int]) -> Any:
        if not self._guarded(env):
            return True
        rid = self.existing(env, ids)[0]
        allowed = set(env.context["button_validate_picking_ids"])
        picks = [p for p in self.row(rid)["pick_ids"] if p in allowed]
        no_back = [line["picking_id"] for line in self._lines(rid) if not line["to_backorder"]]
        run = env.with_context(skip_backorder=True, picking_ids_not_to_backorder=no_back)
        return env["stock.picking"].button_validate(run, picks)

    @rpc(op="write")
    def process_cancel_backorder(self, env: Env, ids: list[int]) -> Any:
        if not self._guarded(env):
            return True
        rid = self.existing(env, ids)[0]
        allowed = set(env.context["button_validate_picking_ids"])
        picks = [p for p in self.row(rid)["pick_ids"] if p in allowed]
        run = env.with_context(skip_backorder=True, picking_ids_not_to_backorder=picks)
        return env["stock.picking"].button_validate(run, picks)


class StockBackorderConfirmationLine(Model):
    _name = "stock.backorder.confirmation.line"
    _description = "Backorder Confirmation Line"
    _transient = True
    _access: ClassVar[dict[str, str]] = _WIZ
    _declared = (
        many2one("backorder_confirmation_id", "Immediate Transfer", "stock.backorder.confirmation"),
        many2one("picking_id", "Transfer", "stock.picking"),
        boolean("to_backorder", "To Backorder", default=True),
    )


class StockImmediateTransfer(_PickingWizard):
    """16 only (§3.7, §10)."""

    _name = "stock.immediate.transfer"
    _description = "Immediate Transfer"
    _line_model = "stock.immediate.transfer.line"
    _line_field = "immediate_transfer_line_ids"
    _line_flag = "to_immediate"
    _declared = (
        many2many("pick_ids", "Pick", "stock.picking"),
        boolean("show_transfers", "Show Transfers", default=False),
        one2many(
            "immediate_transfer_line_ids",
            "Immediate Transfer Lines",
            "stock.immediate.transfer.line",
            "immediate_transfer_id",
        ),
    )

    @rpc(op="write")
    def process(self, env: Env, ids: list[int]) -> Any:
        """correction 12: fills done = reserved, then returns ``button_validate()``'s result
        (e.g. the backorder wizard when the reservation was partial)."""
        if not self._guarded(env):
            return True
        rid = self.existing(env, ids)[0]
        lines_model = env[self._line_model]
        picks = [
            lines_model.row(i)["picking_id"]
            for i in sorted(lines_model.table.ids_where("immediate_transfer_id", rid))
            if lines_model.row(i)["to_immediate"]
        ]
        pickings = env["stock.picking"]
        moves = env["stock.move"]
        move_lines = env["stock.move.line"]
        for pid in picks:
            if pickings.row(pid)["state"] == "draft":
                pickings.action_confirm(env, [pid])
            if pickings.row(pid)["state"] != "assigned":
                pickings.action_assign(env, [pid])
                if pickings.row(pid)["state"] != "assigned":
                    raise UserError(
                        "Could not reserve all requested products. Please use the "
                        "'Mark as Todo' button to handle the reservation manually."
                    )
            for m in pickings._open_moves(env, pid):
                for lid in sorted(move_lines.table.ids_where("move_id", m)):
                    move_lines.write_rows(env, [lid], {"qty_done": move_lines.reserved(lid)})
                moves.sync_quantity(env, [m])
        run = env.with_context(skip_immediate=True)
        return pickings.button_validate(run, picks)


class StockImmediateTransferLine(Model):
    _name = "stock.immediate.transfer.line"
    _description = "Immediate Transfer Line"
    _transient = True
    _access: ClassVar[dict[str, str]] = _WIZ
    _declared = (
        many2one("immediate_transfer_id", "Immediate Transfer", "stock.immediate.transfer"),
        many2one("picking_id", "Transfer", "stock.picking"),
        boolean("to_immediate", "To Process", default=True),
    )


class StockReturnPicking(Model):
    """§3.8: ``picking_id`` (done) → lines; ``create_returns`` (16/17) or
    ``action_create_returns`` / ``action_create_returns_all`` (18+)."""

    _name = "stock.return.picking"
    _description = "Return Picking"
    _transient = True
    _access: ClassVar[dict[str, str]] = _WIZ
    _declared = (
        many2one("picking_id", "Picking", "stock.picking"),
        one2many("product_return_moves", "Moves", "stock.return.picking.line", "wizard_id"),
        many2one("location_id", "Return Location", "stock.location"),
    )

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        if not vals.get("picking_id") and env.context.get("active_model") == "stock.picking":
            vals["picking_id"] = env.context.get("active_id")
        pid = vals.get("picking_id")
        if not pid:
            raise UserError("You may only return one picking at a time.")
        picking = env["stock.picking"].row(pid)
        if picking["state"] != "done":
            raise UserError("You may only return Done pickings.")
        vals.setdefault("location_id", picking["location_id"])
        return vals

    def after_create(self, env: Env, ids: list[int]) -> None:
        lines = env["stock.return.picking.line"]
        moves = env["stock.move"]
        for rid in ids:
            if lines.table.ids_where("wizard_id", rid):
                continue
            picking = self.row(rid)["picking_id"]
            for m in env["stock.picking"].moves(picking):
                move = moves.row(m)
                if move["state"] != "done":
                    continue
                returned = sum(
                    moves.row(r)["product_uom_qty"]
                    for r in moves.table.ids_where("origin_returned_move_id", m)
                    if moves.row(r)["state"] != "cancel"
                )
                # 18+ has "Return All" (action_create_returns_all): lines start at 0 there
                qty = 0.0 if env.profile.at_least(18, 0) else move["product_uom_qty"] - returned
                lines.create_rows(
                    env,
                    [
                        {
                            "wizard_id": rid,
                            "move_id": m,
                            "quantity": qty,
                            "product_id": move["product_id"],
                        }
                    ],
                )

    def _create_return(self, env: Env, rid: int, all_qty: bool = False) -> int:
        pickings, moves, lines = (
            env["stock.picking"],
            env["stock.move"],
            env["stock.return.picking.line"],
        )
        wizard = self.row(rid)
        original = pickings.row(wizard["picking_id"])
        ptype = env["stock.picking.type"].row(original["picking_type_id"])
        warehouse = env["stock.warehouse"].row(ptype["warehouse_id"])
        return_type = (
            warehouse["in_type_id"] if ptype["code"] == "outgoing" else warehouse["out_type_id"]
        )
        vals: dict[str, Any] = {
            "picking_type_id": return_type,
            "origin": f"Return of {original['name']}",
            "partner_id": original["partner_id"],
            "location_id": original["location_dest_id"],
            "location_dest_id": wizard["location_id"],
            "sale_id": original["sale_id"],
            "company_id": original["company_id"],
        }
        if env.profile.at_least(19, 0):
            vals["return_id"] = wizard["picking_id"]
        new = pickings.create_rows(env, [vals])[0]
        count = 0
        for lid in sorted(lines.table.ids_where("wizard_id", rid)):
            line = lines.row(lid)
            move = moves.row(line["move_id"])
            qty = move["product_uom_qty"] if all_qty else line["quantity"]
            if qty <= 0:
                continue
            moves.create_rows(
                env,
                [
                    {
                        "picking_id": new,
                        "product_id": line["product_id"],
                        "product_uom_qty": qty,
                        "name": move["name"],
                        "origin_returned_move_id": line["move_id"],
                        "sale_line_id": move["sale_line_id"],
                    }
                ],
            )
            count += 1
        if not count:
            raise UserError("Please specify at least one non-zero quantity.")
        pickings.action_confirm(env, [new])
        pickings.action_assign(env, [new])
        return int(new)

    def _action(self, env: Env, new: int) -> dict[str, Any]:
        return {
            "name": "Returned Picking",
            "view_mode": "form",
            "res_model": "stock.picking",
            "res_id": new,
            "type": "ir.actions.act_window",
            "context": dict(env.context),
        }

    @rpc(op="write", until=(18, 0))
    def create_returns(self, env: Env, ids: list[int]) -> Any:
        return self._action(env, self._create_return(env, self.existing(env, ids)[0]))

    @rpc(op="write", since=(18, 0))
    def action_create_returns(self, env: Env, ids: list[int]) -> Any:
        return self._action(env, self._create_return(env, self.existing(env, ids)[0]))

    @rpc(op="write", since=(18, 0))
    def action_create_returns_all(self, env: Env, ids: list[int]) -> Any:
        return self._action(env, self._create_return(env, self.existing(env, ids)[0], True))


class StockReturnPickingLine(Model):
    _name = "stock.return.picking.line"
    _description = "Return Picking Line"
    _transient = True
    _rec_name = "product_id"
    _access: ClassVar[dict[str, str]] = _WIZ
    _declared = (
        many2one("wizard_id", "Wizard", "stock.return.picking"),
        many2one("product_id", "Product", "product.product", required=True),
        float_("quantity", "Quantity", default=0.0),
        many2one("move_id", "Move", "stock.move"),
    )


class SaleOrderCancel(Model):
    """§4.1: the cancel wizard ``action_cancel`` returns for confirmed orders."""

    _name = "sale.order.cancel"
    _description = "Sales Order Cancel"
    _transient = True
    _access: ClassVar[dict[str, str]] = {
        "sales_team.group_sale_salesman": "rwcu",
        "base.group_system": "rwcu",
    }
    _declared = (many2one("order_id", "Sale Order", "sale.order", required=True),)

    @rpc(op="write")
    def action_cancel(self, env: Env, ids: list[int]) -> Any:
        order = self.row(self.existing(env, ids)[0])["order_id"]
        return env["sale.order"].action_cancel(
            env.with_context(disable_cancel_warning=True), [order]
        )


READ_ONLY = READ
