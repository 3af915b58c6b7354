"""Odoo's own arithmetic for sale order lines, so that the total check compares real numbers.

Follows Odoo 16-19 with the default ``tax_calculation_rounding_method = round_per_line`` and
``percent`` taxes (Odoo fact sheet §4.2: ``price_unit``, ``discount`` in percent, taxes):

* base = round(price_unit × (1 − discount/100) × quantity)            (currency precision)
* price-included taxes: excluded = round(base / (1 + Σ included rates)); their tax = base − excluded
* price-excluded taxes: each tax = round(excluded × rate), computed on the excluded amount
* line total = excluded + all taxes; the order's totals are the sums of the line amounts.

Rounding is half away from zero, as Odoo's ``float_round``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from shopify_odoo.sync.order_model import OdooTax

HUNDRED = Decimal(100)
ZERO = Decimal(0)


def quantum(decimal_places: int) -> Decimal:
    """The smallest unit of a currency with ``decimal_places`` digits (2 → 0.01)."""
    return Decimal(1).scaleb(-decimal_places)


def round_money(amount: Decimal, decimal_places: int) -> Decimal:
    """Round half away from zero to the currency precision (Odoo ``float_round``)."""
    return amount.quantize(quantum(decimal_places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class LineAmounts:
    subtotal: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class OrderTotals:
    untaxed: Decimal
    tax: Decimal
    total: Decimal


class TaxedAmount(Protocol):
    """The inputs of one line's arithmetic (a planned line or an existing one)."""

    @property
    def price_unit(self) -> Decimal: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def discount(self) -> Decimal: ...
    @property
    def tax_ids(self) -> Collection[int]: ...


def line_amounts(
    line: TaxedAmount, taxes: Mapping[int, OdooTax], decimal_places: int
) -> LineAmounts:
    """Subtotal, tax and total of one sale order line as Odoo computes them (round per line)."""
    raw = line.price_unit * (1 - line.discount / HUNDRED) * line.quantity
    base = round_money(raw, decimal_places)
    line_taxes = [taxes[tax_id] for tax_id in sorted(line.tax_ids)]
    included = sum((t.rate_percent for t in line_taxes if t.price_include), ZERO)
    excluded = base
    if included:
        excluded = round_money(base / (1 + included / HUNDRED), decimal_places)
    tax = base - excluded
    for t in line_taxes:
        if not t.price_include:
            tax += round_money(excluded * t.rate_percent / HUNDRED, decimal_places)
    return LineAmounts(subtotal=excluded, tax=tax, total=excluded + tax)


def order_totals(
    lines: Iterable[TaxedAmount], taxes: Mapping[int, OdooTax], decimal_places: int
) -> OrderTotals:
    """``amount_untaxed``, ``amount_tax`` and ``amount_total`` of a sale order with ``lines``."""
    untaxed = tax = ZERO
    for line in lines:
        amounts = line_amounts(line, taxes, decimal_places)
        untaxed += amounts.subtotal
        tax += amounts.tax
    return OrderTotals(untaxed=untaxed, tax=tax, total=untaxed + tax)
