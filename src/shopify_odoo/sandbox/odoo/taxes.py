"""Line tax computation shared by sale order lines and invoice lines (§4.2): percent taxes,
price-included (16/17 ``price_include``, 18+ ``price_include_override`` or the company
default), rounded per line to the currency's cent with Decimal half-up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def line_amounts(
    env: Any, price_unit: Any, discount: Any, quantity: Any, tax_ids: tuple[int, ...]
) -> tuple[Decimal, dict[int, Decimal]]:
    """(untaxed subtotal, tax amount per tax id) for one line."""
    taxes = env["account.tax"]
    price = money(price_unit) * (1 - money(discount) / 100)
    base = price * money(quantity)
    included = [t for t in tax_ids if taxes.includes_price(env, t)]
    excluded = [t for t in tax_ids if t not in included]
    rate_incl = sum((money(taxes.row(t)["amount"]) for t in included), Decimal(0))
    untaxed = (base / (1 + rate_incl / 100) if rate_incl else base).quantize(CENT, ROUND_HALF_UP)
    per_tax: dict[int, Decimal] = {}
    if included:
        left = base.quantize(CENT, ROUND_HALF_UP) - untaxed
        for pos, t in enumerate(included):
            share = (
                left
                if pos == len(included) - 1
                else (left * money(taxes.row(t)["amount"]) / rate_incl).quantize(
                    CENT, ROUND_HALF_UP
                )
            )
            per_tax[t] = share
            left -= share
    for t in excluded:
        per_tax[t] = (untaxed * money(taxes.row(t)["amount"]) / 100).quantize(CENT, ROUND_HALF_UP)
    return untaxed, per_tax
