"""stock.picking (§3.7): confirm, reserve, ``button_validate`` with its wizards per version,
backorders, cancel."""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import UserError
from ..fields import char, datetime, many2one, one2many, selection, text
from ..orm import Model
from ..rpc import rpc
from ..world import Env
from .moves import READ

STATES = (
    ("draft", "Draft"),
    ("waiting", "Waiting Another Operation"),
    ("confirmed", "Waiting"),
    ("assigned", "Ready"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
)


def wizard_action(name: str, model: str, env: Env, picking_ids: list[int]) -> dict[str, Any]:
    """The act_window a button returns when it needs a wizard (§2.4, correction 12)."""
    context = {
        **env.context,
        "button_validate_picking_ids": env.context.get("button_validate_picking_ids", picking_ids),
        "default_show_transfers": False,
        "default_pick_ids": [[4, pid] for pid in picking_ids],
    }
    return {
        "name": name,
        "type": "ir.actions.act_window",
        "view_mode": "form",
        "res_model": model,
        "views": [[False, "form"]],
        "view_id": False,
        "target": "new",
        "context": context,
    }


class StockPicking(Model):
    _name = "stock.picking"
    _description = "Transfer"
    _order = "priority desc, scheduled_date asc, id desc"
    _access: ClassVar[dict[str, str]] = READ
    cascade = ("move_ids",)
    _declared = (
        char("name", "Reference", index=True),
        char("origin", "Source Document", index=True),
        text("note", "Notes"),
        selection("priority", "Priority", (("0", "Normal"), ("1", "Urgent")), default="0"),
        selection("state", "Status", STATES, default="draft", index=True),
        many2one("picking_type_id", "Operation Type", "stock.picking.type", required=True),
        char(
            "picking_type_code",
            "Type of Operation",
            store=False,
            related=("picking_type_id", "code"),
        ),
        many2one("partner_id", "Contact", "res.partner"),
        many2one("location_id", "Source Location", "stock.location", required=True),
        many2one("location_dest_id", "Destination Location", "stock.location", required=True),
        one2many("move_ids", "Stock Moves", "stock.move", "picking_id"),
        one2many("move_line_ids", "Operations", "stock.move.line", "picking_id"),
        datetime("scheduled_date", "Scheduled Date"),
        datetime("date_done", "Date of Transfer"),
        many2one("backorder_id", "Back Order of", "stock.picking"),
        # §3.7: carrier fields (delivery in 16, stock_delivery in 17+)
        many2one("carrier_id", "Carrier", "delivery.carrier"),
        char("carrier_tracking_ref", "Tracking Reference"),
        many2one("sale_id", "Sales Order", "sale.order"),
        many2one("return_id", "Return of", "stock.picking", since=(19, 0)),  # §3.7 19-era
        many2one("company_id", "Company", "res.company", required=True),
        many2one("user_id", "Responsible", "res.users"),
    )

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        ptype = (
            env["stock.picking.type"].row(vals["picking_type_id"])
            if vals.get("picking_type_id")
            else None
        )
        if ptype is not None:
            vals.setdefault("location_id", ptype["default_location_src_id"])
            vals.setdefault("location_dest_id", ptype["default_location_dest_id"])
            vals.setdefault("company_id", ptype["company_id"])
            if not vals.get("name"):
                wh = env["stock.warehouse"].row(ptype["warehouse_id"])
                vals["name"] = self.world.next_name(f"{wh['code']}/{ptype['sequence_code']}/")
        vals.setdefault("scheduled_date", env.now)
        return vals

    def moves(self, rid: int) -> list[int]:
        return sorted(self.world.table("stock.move").ids_where("picking_id", rid))

    def recompute_state(self, env: Env, ids: list[int]) -> None:
        """Picking state from its moves (move_type 'direct': Ready once anything is reserved)."""
        moves = env["stock.move"]
        for rid in ids:
            states = [moves.row(m)["state"] for m in self.moves(rid)]
            if not states or all(s == "draft" for s in states):
                state = "draft"
            elif all(s == "cancel" for s in states):
                state = "cancel"
            elif all(s in ("done", "cancel") for s in states):
                state = "done"
            elif any(s in ("assigned", "partially_available") for s in states):
                state = "assigned"
            else:
                state = "confirmed"
            if self.row(rid)["state"] != state:
                self.write_rows(env.sudo(), [rid], {"state": state})

    # -- RPC ----------------------------------------------------------------------------------
    @rpc(op="write")
    def action_confirm(self, env: Env, ids: list[int]) -> bool:
        ids = self.existing(env, ids)
        moves = env["stock.move"]
        for rid in ids:
            draft = [m for m in self.moves(rid) if moves.row(m)["state"] == "draft"]
            moves.write_rows(env.sudo(), draft, {"state": "confirmed"})
            ptype = env["stock.picking.type"].row(self.row(rid)["picking_type_id"])
            if ptype["reservation_method"] == "at_confirm" and ptype["code"] != "incoming":
                moves.assign(env, self.moves(rid))  # correction 14: reserve in the same call
            elif ptype["code"] == "incoming":
                moves.write_rows(env.sudo(), draft, {"state": "assigned"})
                for m in draft:  # receipts: nothing to reserve, lines for the demand
                    env["stock.move.line"].create_reserved(
                        env, m, moves.row(m)["location_id"], moves.row(m)["product_uom_qty"]
                    )
                moves.sync_quantity(env, draft)
        self.recompute_state(env, ids)
        return True

    @rpc(op="write")
    def action_assign(self, env: Env, ids: list[int]) -> bool:
        ids = self.existing(env, ids)
        self.check_rule(env, ids, "write")
        draft = [rid for rid in ids if self.row(rid)["state"] == "draft"]
        if draft:
            self.action_confirm(env, draft)
        for rid in ids:
            env["stock.move"].assign(env, self.moves(rid))
        self.recompute_state(env, ids)
        return True

    @rpc(op="write")
    def action_cancel(self, env: Env, ids: list[int]) -> bool:
        """§3.7: cancels the moves (and their reservations)."""
        ids = self.existing(env, ids)
        moves = env["stock.move"]
        for rid in ids:
            todo = [m for m in self.moves(rid) if moves.row(m)["state"] not in ("done", "cancel")]
            moves.unreserve(env, todo)
            moves.write_rows(env.sudo(), todo, {"state": "cancel"})
        self.recompute_state(env, ids)
        return True

    @rpc(op="write")
    def button_validate(self, env: Env, ids: list[int]) -> Any:
        """§3.7 with corrections 12-13: wizards per version, then ``_action_done``."""
        ids = self.existing(env, ids)
        self.check_rule(env, ids, "write")
        moves = env["stock.move"]
        profile = env.profile
        for rid in ids:
            if self.row(rid)["state"] == "draft":
                self.action_confirm(env, [rid])
                if profile.move_picked:  # correction 13: 17+ quantity = demand on zero moves
                    for m in self.moves(rid):
                        if not moves.row(m)["quantity"]:
                            moves.write_rows(
                                env, [m], {"quantity": moves.row(m)["product_uom_qty"]}
                            )
            if self.row(rid)["state"] in ("done", "cancel"):
                raise UserError("You cannot validate a transfer that is done or cancelled.")
        if not env.context.get("skip_sanity_check"):
            self._sanity_check(env, ids)
        if not env.context.get("button_validate_picking_ids"):
            env = env.with_context(button_validate_picking_ids=ids)
        result = self._pre_action_done_hook(env, ids)
        if result is not True:
            return result
        not_to_backorder = set(env.context.get("picking_ids_not_to_backorder") or [])
        types = env["stock.picking.type"]
        for rid in ids:
            never = types.row(self.row(rid)["picking_type_id"])["create_backorder"] == "never"
            self._action_done(env, rid, cancel_backorder=never or rid in not_to_backorder)
        return True

    def _open_moves(self, env: Env, rid: int) -> list[int]:
        moves = env["stock.move"]
        return [m for m in self.moves(rid) if moves.row(m)["state"] not in ("done", "cancel")]

    def _sanity_check(self, env: Env, ids: list[int]) -> None:
        moves = env["stock.move"]
        lines = env["stock.move.line"]
        for rid in ids:
            open_moves = self._open_moves(env, rid)
            if env.profile.move_picked:
                if all(not moves.row(m)["quantity"] for m in open_moves):
                    raise UserError(  # correction 13 (17/18 text; 19 text UNVERIFIED)
                        "You cannot validate a transfer if no quantities are reserved. "
                        "To force the transfer, encode quantities."
                    )
            else:
                done = any(moves.done_quantity(env, m) for m in open_moves)
                reserved = any(
                    lines.reserved(lid)
                    for m in open_moves
                    for lid in lines.table.ids_where("move_id", m)
                )
                if not done and not reserved:
                    raise UserError(  # correction 13, 16 text
                        "You cannot validate a transfer if no quantities are reserved nor done. "
                        "To force the transfer, switch in edit mode and encode the done "
                        "quantities."
                    )

    def _pre_action_done_hook(self, env: Env, ids: list[int]) -> Any:
        moves = env["stock.move"]
        ctx = env.context
        if env.profile.immediate_transfer_wizard and not ctx.get("skip_immediate"):
            # §3.7: 16 returns the immediate transfer wizard when nothing is done
            immediate = [
                rid
                for rid in ids
                if not any(moves.done_quantity(env, m) for m in self._open_moves(env, rid))
            ]
            if immediate:
                return wizard_action(
                    "Immediate Transfer?", "stock.immediate.transfer", env, immediate
                )
        if env.profile.move_picked:
            for rid in ids:  # 17+: quantities but nothing picked → everything picked
                open_moves = self._open_moves(env, rid)
                if not any(moves.row(m)["picked"] for m in open_moves):
                    moves.write_rows(env.sudo(), open_moves, {"picked": True})
        if not ctx.get("skip_backorder"):
            types = env["stock.picking.type"]
            short = []
            for rid in ids:
                if types.row(self.row(rid)["picking_type_id"])["create_backorder"] != "ask":
                    continue
                for m in self._open_moves(env, rid):
                    move = moves.row(m)
                    unpicked = env.profile.move_picked and not move["picked"]
                    if unpicked or moves.done_quantity(env, m) < move["product_uom_qty"]:
                        short.append(rid)
                        break
            if short:
                return wizard_action(
                    "Create Backorder?", "stock.backorder.confirmation", env, short
                )
        return True

    def _action_done(self, env: Env, rid: int, cancel_backorder: bool) -> None:
        moves = env["stock.move"]
        picked = env.profile.move_picked
        to_done: list[int] = []
        remaining: list[tuple[int, float]] = []
        for m in self._open_moves(env, rid):
            move = moves.row(m)
            qty = moves.done_quantity(env, m) if (not picked or move["picked"]) else 0.0
            if qty <= 0:
                moves.unreserve(env, [m])
                remaining.append((m, move["product_uom_qty"]))
                continue
            if qty < move["product_uom_qty"]:
                remaining.append((m, move["product_uom_qty"] - qty))
                moves.write_rows(env.sudo(), [m], {"product_uom_qty": qty})
            to_done.append(m)
        moves.action_done(env, to_done)
        zero = [m for m, _ in remaining if moves.row(m)["state"] not in ("done",)]
        if remaining and not cancel_backorder:
            self._create_backorder(env, rid, remaining)
        elif remaining:
            moves.write_rows(env.sudo(), zero, {"state": "cancel"})
        self.write_rows(env.sudo(), [rid], {"date_done": env.now})
        self.recompute_state(env, [rid])

    def _create_backorder(self, env: Env, rid: int, remaining: list[tuple[int, float]]) -> int:
        moves = env["stock.move"]
        row = self.row(rid)
        back = self.create_rows(
            env.sudo(),
            [
                {
                    "picking_type_id": row["picking_type_id"],
                    "origin": row["origin"],
                    "partner_id": row["partner_id"],
                    "location_id": row["location_id"],
                    "location_dest_id": row["location_dest_id"],
                    "backorder_id": rid,
                    "carrier_id": row["carrier_id"],
                    "sale_id": row["sale_id"],
                    "company_id": row["company_id"],
                    "state": "confirmed",
                }
            ],
        )[0]
        for m, qty in remaining:
            move = moves.row(m)
            if move["state"] == "done":  # a split: the rest becomes a new move
                moves.create_rows(
                    env.sudo(),
                    [
                        {
                            "picking_id": back,
                            "product_id": move["product_id"],
                            "product_uom_qty": qty,
                            "name": move["name"],
                            "state": "confirmed",
                            "sale_line_id": move["sale_line_id"],
                            "location_id": move["location_id"],
                            "location_dest_id": move["location_dest_id"],
                        }
                    ],
                )
            else:
                moves.write_rows(
                    env.sudo(),
                    [m],
                    {"picking_id": back, "state": "confirmed", "reference": self.row(back)["name"]},
                )
        self.action_assign(env.sudo(), [back])
        return back
