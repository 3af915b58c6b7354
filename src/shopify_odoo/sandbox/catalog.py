"""The one SKU catalogue every sandbox scenario shares, so Shopify stores and Odoo agree.

Both sandboxes seed themselves from :func:`catalogue`; the demo and the tests can therefore
link products by SKU exactly as a merchant's real data would link.  The catalogue is
deterministic for a scenario name, and generated lazily so that the ``large`` scenario
(100,000 variants) costs no more memory than the sandboxes' own records.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Scenario = Literal["small", "demo", "large"]
SCENARIOS: tuple[Scenario, ...] = ("small", "demo", "large")

#: The location roles both sandboxes create.  Shopify locations and Odoo locations carry the
#: same names so that a location map can be written by hand in the demo configuration.
LOCATION_ROLES: tuple[tuple[str, str], ...] = (
    ("main", "Main Warehouse"),
    ("3pl", "3PL Fulfilment"),
    ("retail", "Retail Store"),
)

_SIZES = ("S", "M", "L", "XL")
_COLOURS = ("Black", "White", "Navy", "Red", "Green")
_KINDS = (
    ("TSHIRT", "T-Shirt", Decimal("19.90")),
    ("HOODIE", "Hoodie", Decimal("49.00")),
    ("CAP", "Cap", Decimal("15.00")),
    ("SOCKS", "Socks", Decimal("7.50")),
    ("JACKET", "Jacket", Decimal("89.00")),
    ("BAG", "Tote Bag", Decimal("24.00")),
)


@dataclass(frozen=True, slots=True)
class CatalogVariant:
    sku: str
    barcode: str
    option_values: tuple[str, ...]
    price: Decimal
    compare_at_price: Decimal | None
    #: opening stock per location role ("main", "3pl", "retail")
    stock: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    handle: str
    title: str
    option_names: tuple[str, ...]
    variants: tuple[CatalogVariant, ...]


def _sizes(scenario: Scenario) -> tuple[int, int]:
    """(products, colours per product); every product has 4 sizes."""
    if scenario == "small":
        return 4, 2  # 32 variants
    if scenario == "demo":
        return 12, 3  # 144 variants
    return 5000, 5  # 5000 x 5 x 4 = 100,000 variants


def _ean13(n: int) -> str:
    body = f"200{n:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def catalogue(scenario: Scenario = "demo", *, seed: int = 7) -> Iterator[CatalogProduct]:
    """Yield the products of ``scenario`` in a stable order."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}")
    products, colours = _sizes(scenario)
    rng = random.Random(f"{scenario}:{seed}")
    serial = 0
    for p in range(products):
        code, name, price = _KINDS[p % len(_KINDS)]
        number = p // len(_KINDS) + 1
        handle = f"{code.lower()}-{number:04d}"
        variants: list[CatalogVariant] = []
        for c in range(colours):
            colour = _COLOURS[(p + c) % len(_COLOURS)]
            for size in _SIZES:
                serial += 1
                main = rng.randint(0, 40)
                third = rng.randint(0, 15) if rng.random() < 0.6 else 0
                retail = rng.randint(0, 6) if rng.random() < 0.5 else 0
                compare = price + Decimal("10.00") if (p + c) % 4 == 0 else None
                variants.append(
                    CatalogVariant(
                        sku=f"{code}-{number:04d}-{colour[:3].upper()}-{size}",
                        barcode=_ean13(serial),
                        option_values=(colour, size),
                        price=price,
                        compare_at_price=compare,
                        stock=(("main", main), ("3pl", third), ("retail", retail)),
                    )
                )
        yield CatalogProduct(
            handle=handle,
            title=f"{name} {number:04d}",
            option_names=("Colour", "Size"),
            variants=tuple(variants),
        )


def variant_count(scenario: Scenario) -> int:
    products, colours = _sizes(scenario)
    return products * colours * len(_SIZES)
