"""sale.order invoicing (§4.3): the regular invoice of what was ordered and not yet
invoiced, and the order's invoices and invoice status."""

from __future__ import annotations

from typing import Any

from ..world import Env


class SaleInvoicing:
    """Mixed into ``sale.order``."""

    def create_invoice(self: Any, env: Env, rid: int) -> int | None:
        """§4.3 "Regular invoice": what is ordered and not yet invoiced (policy 'order')."""
        order = self.row(rid)
        if order["state"] not in ("sale", "done"):
            return None
        lines = env["sale.order.line"]
        invoiced = lines._compute_invoiced(env, sorted(lines.table.ids_where("order_id", rid)))
        tax_key = env.profile.so_line_tax_field
        commands = []
        for lid in sorted(lines.table.ids_where("order_id", rid)):
            line = lines.row(lid)
            qty = line["product_uom_qty"] - invoiced[lid]
            if line.get("display_type") or qty <= 0:
                continue
            commands.append(
                [
                    0,
                    0,
                    {
                        "product_id": line["product_id"],
                        "name": line["name"],
                        "quantity": qty,
                        "price_unit": line["price_unit"],
                        "discount": line["discount"],
                        "tax_ids": [[6, 0, list(line.get(tax_key) or ())]],
                        "sale_line_ids": [[6, 0, [lid]]],
                    },
                ]
            )
        if not commands:
            return None
        return int(
            env["account.move"].create_rows(
                env.sudo(),
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": order["partner_invoice_id"],
                        "company_id": order["company_id"],
                        "currency_id": order["currency_id"],
                        "invoice_origin": order["name"],
                        "ref": order.get("client_order_ref") or False,
                        "invoice_line_ids": commands,
                    }
                ],
            )[0]
        )

    def _compute_invoices(self: Any, env: Env, ids: list[int]) -> dict[int, Any]:
        lines = env["sale.order.line"]
        move_lines = env["account.move.line"]
        out = {}
        for rid in ids:
            found = {
                move_lines.row(ml)["move_id"]
                for lid in lines.table.ids_where("order_id", rid)
                for ml in move_lines.table.ids_where("sale_line_ids", lid)
            }
            out[rid] = tuple(sorted(found))
        return out

    def _compute_invoice_status(self: Any, env: Env, ids: list[int]) -> dict[int, Any]:
        lines = env["sale.order.line"]
        out = {}
        for rid in ids:
            if self.row(rid)["state"] not in ("sale", "done"):
                out[rid] = "no"
                continue
            ids_ = [
                i
                for i in lines.table.ids_where("order_id", rid)
                if not lines.row(i).get("display_type")
            ]
            invoiced = lines._compute_invoiced(env, ids_)
            left = any(lines.row(i)["product_uom_qty"] > invoiced[i] for i in ids_)
            out[rid] = "to invoice" if left else "invoiced"
        return out
