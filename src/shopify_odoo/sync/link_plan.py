"""Result and policy types of the link planner (``sync/links.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shopify_odoo.sync.model import Link


@dataclass(frozen=True, slots=True)
class LinkOverride:
    sku: str
    product_id: int
    store: str | None = None


@dataclass(frozen=True, slots=True)
class LinkPolicy:
    barcode_fallback: bool = False
    #: the Odoo company the stores sell from; products of other companies are not candidates
    company_id: int | None = None
    overrides: tuple[LinkOverride, ...] = ()


class ProblemKind(StrEnum):
    BLANK_SKU = "blank_sku"
    DUPLICATE_SHOPIFY_SKU = "duplicate_shopify_sku"
    DUPLICATE_ODOO_SKU = "duplicate_odoo_sku"
    DUPLICATE_ODOO_BARCODE = "duplicate_odoo_barcode"
    NO_ODOO_PRODUCT = "no_odoo_product"
    SKU_CASE_MISMATCH = "sku_case_mismatch"
    PRODUCT_ARCHIVED = "product_archived"
    OTHER_COMPANY = "product_of_another_company"
    PRODUCT_TAKEN = "product_claimed_twice"
    OVERRIDE_BAD_PRODUCT = "override_bad_product"
    OVERRIDE_NO_VARIANT = "override_no_variant"
    OVERRIDE_TWICE = "override_twice"
    SKU_DIFFERS = "sku_differs"
    RELINK_BLOCKED = "relink_blocked"
    ODOO_SKU_BLANK = "odoo_sku_blank"
    ODOO_DUPLICATE = "odoo_duplicate_sku"


@dataclass(frozen=True, slots=True)
class LinkProblem:
    kind: ProblemKind
    store: str | None
    sku: str
    message: str
    blocking: bool
    variant_gids: tuple[str, ...] = ()
    product_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Relink:
    old: Link
    new: Link
    warning: str


@dataclass(frozen=True, slots=True)
class Removal:
    link: Link
    reason: str


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One line of the ``link --dry-run`` table."""

    store: str
    action: str  # new | kept | relink | remove | blocked | warning
    sku: str
    variant: str
    product_ids: tuple[int, ...]
    note: str


@dataclass(frozen=True, slots=True)
class StoreLinkPlan:
    store: str
    new: tuple[Link, ...] = ()
    kept: tuple[Link, ...] = ()
    relinked: tuple[Relink, ...] = ()
    removed: tuple[Removal, ...] = ()
    problems: tuple[LinkProblem, ...] = ()

    @property
    def links(self) -> tuple[Link, ...]:
        """Every link of the store once the plan is applied (store these, drop the rest)."""
        out = [*self.new, *self.kept, *(r.new for r in self.relinked)]
        return tuple(sorted(out, key=lambda lk: lk.variant_gid))

    @property
    def blocking(self) -> tuple[LinkProblem, ...]:
        return tuple(p for p in self.problems if p.blocking)


@dataclass(frozen=True, slots=True)
class LinkPlan:
    stores: tuple[StoreLinkPlan, ...]
    #: Odoo-side findings that concern no store in particular
    problems: tuple[LinkProblem, ...] = ()

    def store(self, name: str) -> StoreLinkPlan:
        for plan in self.stores:
            if plan.store == name:
                return plan
        return StoreLinkPlan(name)

    def rows(self) -> tuple[LinkRow, ...]:
        rows: list[LinkRow] = []
        for sp in self.stores:
            for lk in sp.new:
                rows.append(LinkRow(sp.store, "new", lk.sku, lk.variant_gid, (lk.product_id,), ""))
            for lk in sp.kept:
                rows.append(LinkRow(sp.store, "kept", lk.sku, lk.variant_gid, (lk.product_id,), ""))
            for r in sp.relinked:
                rows.append(
                    LinkRow(
                        sp.store,
                        "relink",
                        r.new.sku,
                        r.new.variant_gid,
                        (r.new.product_id,),
                        r.warning,
                    )
                )
            for rm in sp.removed:
                lk = rm.link
                rows.append(
                    LinkRow(sp.store, "remove", lk.sku, lk.variant_gid, (lk.product_id,), rm.reason)
                )
            for p in sp.problems:
                action = "blocked" if p.blocking else "warning"
                variant = ", ".join(p.variant_gids)
                rows.append(LinkRow(sp.store, action, p.sku, variant, p.product_ids, p.message))
        for p in self.problems:
            action = "blocked" if p.blocking else "warning"
            rows.append(LinkRow("", action, p.sku, "", p.product_ids, p.message))
        return tuple(rows)

    def totals(self) -> dict[str, int]:
        counts = dict.fromkeys(("new", "kept", "relink", "remove", "blocked", "warning"), 0)
        for row in self.rows():
            counts[row.action] += 1
        return counts
