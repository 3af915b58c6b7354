"""Link matching: one Odoo product ⇄ one variant per store, planned from both catalogues.

``plan_links(products, variants, stored, policy)`` returns, per store, the links to create,
keep, re-link and remove, and the problems a person must solve.  Rules, in order of strength:

1. **Manual overrides win** (``LinkOverride``: SKU → product id, for one store or all; the
   store-specific one beats the global one).  The variant carrying that SKU is linked to the
   product even if Odoo has duplicates of the SKU; several variants with that SKU still block.
2. **Stored links are stable.**  A link whose variant still exists and whose product is still
   active (and in the company) is kept, even when the variant's SKU was edited in Shopify
   (reported as a warning).  When the *Odoo* SKU changed since the link was made
   (``Link.sku``), the link follows the new SKU: if exactly one other variant of the store
   carries it (and no kept link holds that variant), the product is re-linked to it with a
   warning; if none does, the link stays and its SKU is updated, with a warning; a blank new
   SKU keeps the link unchanged with a warning.  A link whose variant was deleted, or whose
   product was archived, deleted or moved to another company, is removed.
3. **New links by SKU**: trimmed, case-sensitive (Shopify documents SKUs as case-sensitive;
   a pair that differs only in case is reported with the override that would link it).
   Only active products of the policy's company (or shared ones) are candidates.  With
   ``barcode_fallback``, a variant without an SKU match is matched by barcode.
4. **Never guessed**: a blank SKU, an SKU used by several variants of one store, an SKU or
   barcode matching several Odoo products, and a product several variants would claim are
   reported as *blocking* problems and nothing is linked for them.  Each problem names the
   store, SKU, variant, Odoo product(s), cause and the command that fixes it.

The plan is deterministic (sorted by store, then variant GID).  ``LinkPlan.rows()`` and
``LinkPlan.totals()`` are the ``link --dry-run`` table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from shopify_odoo.sync import link_messages as msg
from shopify_odoo.sync.link_plan import (
    LinkOverride,
    LinkPlan,
    LinkPolicy,
    LinkProblem,
    LinkRow,
    ProblemKind,
    Relink,
    Removal,
    StoreLinkPlan,
)
from shopify_odoo.sync.model import (
    Link,
    MatchedBy,
    OdooProduct,
    ShopifyVariant,
    normalise_barcode,
    normalise_sku,
)

# --------------------------------------------------------------------------- planning

__all__ = [
    "LinkOverride",
    "LinkPlan",
    "LinkPolicy",
    "LinkProblem",
    "LinkRow",
    "ProblemKind",
    "Relink",
    "Removal",
    "StoreLinkPlan",
    "plan_links",
]


@dataclass(slots=True)
class _Catalog:
    """Odoo-side indexes shared by every store."""

    products: dict[int, OdooProduct]
    company_id: int | None
    by_sku: dict[str, list[OdooProduct]] = field(default_factory=dict)
    by_sku_any: dict[str, list[OdooProduct]] = field(default_factory=dict)
    by_lower: dict[str, list[OdooProduct]] = field(default_factory=dict)
    by_barcode: dict[str, list[OdooProduct]] = field(default_factory=dict)

    def eligible(self, p: OdooProduct) -> bool:
        return p.active and (
            self.company_id is None or p.company_id is None or p.company_id == self.company_id
        )

    def why_not(self, p: OdooProduct | None) -> str | None:
        """Why a linked/overridden product cannot be used, or ``None`` when it can."""
        if p is None:
            return "does not exist (deleted?)"
        if not p.active:
            return "is archived"
        if not self.eligible(p):
            return f"belongs to company {p.company_id}, not {self.company_id}"
        return None


def _catalog(products: Iterable[OdooProduct], company_id: int | None) -> _Catalog:
    cat = _Catalog({p.id: p for p in products}, company_id)
    for p in sorted(cat.products.values(), key=lambda p: p.id):
        if p.sku:
            cat.by_sku_any.setdefault(p.sku, []).append(p)
        if not cat.eligible(p):
            continue
        if p.sku:
            cat.by_sku.setdefault(p.sku, []).append(p)
            cat.by_lower.setdefault(p.sku.casefold(), []).append(p)
        barcode = normalise_barcode(p.barcode)
        if barcode:
            cat.by_barcode.setdefault(barcode, []).append(p)
    return cat


def plan_links(
    products: Iterable[OdooProduct],
    variants: Iterable[ShopifyVariant],
    stored: Iterable[Link],
    policy: LinkPolicy | None = None,
) -> LinkPlan:
    """The link plan of every store that has variants or stored links (module rules)."""
    policy = policy or LinkPolicy()
    cat = _catalog(products, policy.company_id)
    by_store: dict[str, list[ShopifyVariant]] = {}
    for v in variants:
        by_store.setdefault(v.store, []).append(v)
    links_by_store: dict[str, list[Link]] = {}
    for lk in stored:
        links_by_store.setdefault(lk.store, []).append(lk)
    stores = sorted(set(by_store) | set(links_by_store))
    plans = tuple(
        _StorePlanner(s, by_store.get(s, []), links_by_store.get(s, []), cat, policy).run()
        for s in stores
    )
    global_problems = [
        LinkProblem(
            ProblemKind.ODOO_DUPLICATE,
            None,
            sku,
            msg.odoo_duplicate_global(sku, ps),
            blocking=False,
            product_ids=tuple(p.id for p in ps),
        )
        for sku, ps in sorted(cat.by_sku.items())
        if len(ps) > 1
    ]
    return LinkPlan(plans, tuple(global_problems))


_UNDECIDED = object()


class _StorePlanner:
    def __init__(
        self,
        store: str,
        variants: Sequence[ShopifyVariant],
        stored: Sequence[Link],
        cat: _Catalog,
        policy: LinkPolicy,
    ) -> None:
        self.store = store
        self.cat = cat
        self.policy = policy
        self.variants = {v.variant_gid: v for v in sorted(variants, key=lambda v: v.variant_gid)}
        self.by_sku: dict[str, list[ShopifyVariant]] = {}
        for v in self.variants.values():
            if v.norm_sku:
                self.by_sku.setdefault(v.norm_sku, []).append(v)
        self.stored = sorted(stored, key=lambda lk: (lk.variant_gid, lk.product_id))
        self.assigned: dict[str, Link] = {}  # variant gid → final link
        self.products_taken: dict[int, str] = {}  # product id → variant gid
        self.new: list[Link] = []
        self.kept: list[Link] = []
        self.relinked: list[Relink] = []
        self.removed: list[Removal] = []
        self.problems: list[LinkProblem] = []
        self.reported: set[str] = set()  # variant gids already covered by a problem

    # ------------------------------------------------------------------ helpers
    def _problem(
        self,
        kind: ProblemKind,
        sku: str,
        message: str,
        *,
        blocking: bool,
        variants: Iterable[ShopifyVariant] = (),
        products: Iterable[int] = (),
    ) -> None:
        gids = tuple(v.variant_gid for v in variants)
        self.reported.update(gids)
        self.problems.append(
            LinkProblem(kind, self.store, sku, message, blocking, gids, tuple(products))
        )

    def _assign(self, link: Link) -> None:
        self.assigned[link.variant_gid] = link
        self.products_taken[link.product_id] = link.variant_gid

    def _link(self, v: ShopifyVariant, p: OdooProduct, how: MatchedBy) -> Link:
        return Link(self.store, v.variant_gid, v.inventory_item_gid, p.id, p.sku or v.norm_sku, how)

    def run(self) -> StoreLinkPlan:
        overridden = self._overrides()
        self._stored(overridden)
        self._match_new()
        return StoreLinkPlan(
            self.store,
            new=tuple(sorted(self.new, key=lambda lk: lk.variant_gid)),
            kept=tuple(sorted(self.kept, key=lambda lk: lk.variant_gid)),
            relinked=tuple(sorted(self.relinked, key=lambda r: r.new.variant_gid)),
            removed=tuple(sorted(self.removed, key=lambda r: r.link.variant_gid)),
            problems=tuple(self.problems),
        )

    # ------------------------------------------------------------------ 1. overrides
    def _overrides(self) -> dict[str, Link]:
        wanted: dict[str, LinkOverride] = {}
        for o in sorted(self.policy.overrides, key=lambda o: o.store is not None):
            if o.store is None or o.store == self.store:
                wanted[normalise_sku(o.sku)] = o  # store-specific sorted last: it wins
        per_product: dict[int, list[str]] = {}
        for sku, o in wanted.items():
            per_product.setdefault(o.product_id, []).append(sku)
        out: dict[str, Link] = {}
        for sku in sorted(wanted):
            o = wanted[sku]
            candidates = self.by_sku.get(sku, [])
            if not candidates:
                if o.store is not None:
                    text = msg.override_no_variant(self.store, sku, o.product_id)
                    self._problem(ProblemKind.OVERRIDE_NO_VARIANT, sku, text, blocking=False)
                continue
            p = self.cat.products.get(o.product_id)
            why = self.cat.why_not(p)
            if why is not None or p is None:
                text = msg.override_bad_product(sku, o.product_id, why or "")
                self._problem(
                    ProblemKind.OVERRIDE_BAD_PRODUCT,
                    sku,
                    text,
                    blocking=True,
                    variants=candidates,
                    products=(o.product_id,),
                )
                continue
            if len(candidates) > 1:
                continue  # reported as a Shopify duplicate in step 3
            if len(per_product[o.product_id]) > 1:
                skus = sorted(per_product[o.product_id])
                if sku == skus[0]:  # one problem per product, naming every variant
                    claimed = [v for s in skus for v in self.by_sku.get(s, [])]
                    text = msg.override_twice(self.store, o.product_id, skus)
                    self._problem(
                        ProblemKind.OVERRIDE_TWICE,
                        sku,
                        text,
                        blocking=True,
                        variants=claimed,
                        products=(o.product_id,),
                    )
                continue
            link = self._link(candidates[0], p, MatchedBy.MANUAL)
            out[link.variant_gid] = link
            self._assign(link)
        return out

    # ------------------------------------------------------------------ 2. stored links
    def _stored(self, overridden: dict[str, Link]) -> None:
        moves: list[tuple[Link, ShopifyVariant, ShopifyVariant, OdooProduct]] = []
        held: set[str] = set(overridden)
        stored_for_override: dict[str, Link] = {}
        for lk in self.stored:
            v = self.variants.get(lk.variant_gid)
            if v is None:
                self.removed.append(
                    Removal(lk, msg.removed_variant(self.store, lk.variant_gid, lk.sku))
                )
                continue
            if lk.variant_gid in overridden:
                stored_for_override[lk.variant_gid] = lk
                continue
            if lk.product_id in self.products_taken:
                by = self.variants[self.products_taken[lk.product_id]]
                self.removed.append(Removal(lk, msg.removed_superseded(by.norm_sku, by)))
                continue
            p = self.cat.products.get(lk.product_id)
            why = self.cat.why_not(p)
            if why is not None or p is None:
                self.removed.append(Removal(lk, msg.removed_product(lk.product_id, why or "")))
                continue
            current = replace(lk, inventory_item_gid=v.inventory_item_gid)
            if p.sku == lk.sku:
                if v.norm_sku != p.sku:
                    text = msg.sku_differs(v, p)
                    self._problem(
                        ProblemKind.SKU_DIFFERS, p.sku, text, blocking=False, products=(p.id,)
                    )
                self._keep(current, held)
                continue
            if not p.sku:
                text = msg.odoo_sku_blank(p, lk.sku, v)
                self._problem(
                    ProblemKind.ODOO_SKU_BLANK, lk.sku, text, blocking=False, products=(p.id,)
                )
                self._keep(current, held)
                continue
            targets = self.by_sku.get(p.sku, [])
            if len(targets) == 1 and targets[0].variant_gid != v.variant_gid:
                moves.append((current, v, targets[0], p))
                continue
            if len(targets) > 1:
                why_dup = f"is one of {len(targets)} variants with that SKU"
                text = msg.relink_blocked(p, lk.sku, v, targets[0], why_dup)
                self._problem(
                    ProblemKind.RELINK_BLOCKED, p.sku, text, blocking=False, products=(p.id,)
                )
                self._keep(current, held)
                continue
            renamed = replace(current, sku=p.sku)
            self.relinked.append(Relink(lk, renamed, msg.odoo_sku_renamed(p, lk.sku, v)))
            self._assign(renamed)
            held.add(v.variant_gid)
        for gid, link in overridden.items():
            old = stored_for_override.get(gid)
            if old is None:
                self.new.append(link)
            elif (old.product_id, old.sku, old.matched_by) == (
                link.product_id,
                link.sku,
                link.matched_by,
            ):
                self.kept.append(link)
            else:
                self.relinked.append(Relink(old, link, f"manual link of SKU {link.sku}"))
        self._apply_moves(moves, held)

    def _keep(self, link: Link, held: set[str]) -> None:
        self.kept.append(link)
        self._assign(link)
        held.add(link.variant_gid)

    def _apply_moves(
        self,
        moves: list[tuple[Link, ShopifyVariant, ShopifyVariant, OdooProduct]],
        held: set[str],
    ) -> None:
        """Odoo SKU changes: move to the variant with the new SKU unless it is held; a move that
        fails keeps its old variant, which may in turn block another move (fixed point)."""
        failed: set[int] = set()
        while True:
            blocked = set(held) | {moves[i][1].variant_gid for i in failed}
            wanted = Counter(m[2].variant_gid for i, m in enumerate(moves) if i not in failed)
            newly = {
                i
                for i, m in enumerate(moves)
                if i not in failed and (m[2].variant_gid in blocked or wanted[m[2].variant_gid] > 1)
            }
            if not newly:
                break
            failed |= newly
        for i, (lk, v, target, p) in enumerate(moves):
            if i in failed:
                holder = self.assigned.get(target.variant_gid)
                why = (
                    f"is linked to Odoo product {holder.product_id}"
                    if holder is not None
                    else "is claimed by another link"
                )
                text = msg.relink_blocked(p, lk.sku, v, target, why)
                self._problem(
                    ProblemKind.RELINK_BLOCKED, p.sku, text, blocking=False, products=(p.id,)
                )
                self._keep(lk, held)
            else:
                new = Link(
                    self.store,
                    target.variant_gid,
                    target.inventory_item_gid,
                    p.id,
                    p.sku,
                    lk.matched_by,
                )
                self.relinked.append(Relink(lk, new, msg.odoo_sku_moved(p, lk.sku, v, target)))
                self._assign(new)

    # ------------------------------------------------------------------ 3. new links
    def _match_new(self) -> None:
        for sku, group in sorted(self.by_sku.items()):
            if len(group) > 1:
                free = [v for v in group if v.variant_gid not in self.assigned]
                if free:
                    self._problem(
                        ProblemKind.DUPLICATE_SHOPIFY_SKU,
                        sku,
                        msg.duplicate_shopify(self.store, sku, group),
                        blocking=True,
                        variants=free,
                    )
        claims: dict[int, list[tuple[ShopifyVariant, MatchedBy]]] = {}
        for v in self.variants.values():
            if v.variant_gid in self.assigned or v.variant_gid in self.reported:
                continue
            found = self._candidate(v)
            if found is not None:
                claims.setdefault(found[0].id, []).append((v, found[1]))
        for pid in sorted(claims):
            p = self.cat.products[pid]
            claim = claims[pid]
            group_variants = [v for v, _ in claim]
            if pid in self.products_taken:
                group_variants.insert(0, self.variants[self.products_taken[pid]])
            if len(group_variants) > 1:
                self._problem(
                    ProblemKind.PRODUCT_TAKEN,
                    p.sku,
                    msg.product_taken(self.store, p, group_variants),
                    blocking=True,
                    variants=[v for v, _ in claim],
                    products=(pid,),
                )
                continue
            v, how = claim[0]
            link = self._link(v, p, how)
            self.new.append(link)
            self._assign(link)

    def _candidate(self, v: ShopifyVariant) -> tuple[OdooProduct, MatchedBy] | None:
        sku = v.norm_sku
        if sku:
            exact = self.cat.by_sku.get(sku, [])
            if len(exact) == 1:
                return exact[0], MatchedBy.SKU
            if len(exact) > 1:
                text = msg.duplicate_odoo(v, sku, exact)
                self._problem(
                    ProblemKind.DUPLICATE_ODOO_SKU,
                    sku,
                    text,
                    blocking=True,
                    variants=(v,),
                    products=(p.id for p in exact),
                )
                return None
        by_barcode = self._barcode(v)
        if by_barcode is not _UNDECIDED:
            return by_barcode  # type: ignore[return-value]
        if not sku:
            text = msg.blank_sku(v, self.policy.barcode_fallback)
            self._problem(ProblemKind.BLANK_SKU, "", text, blocking=True, variants=(v,))
            return None
        self._explain_missing(v, sku)
        return None

    def _barcode(self, v: ShopifyVariant) -> tuple[OdooProduct, MatchedBy] | object | None:
        """A barcode match, ``None`` when reported, ``_UNDECIDED`` when barcodes do not decide."""
        barcode = normalise_barcode(v.barcode)
        if not (self.policy.barcode_fallback and barcode):
            return _UNDECIDED
        found = self.cat.by_barcode.get(barcode, [])
        if len(found) == 1:
            return found[0], MatchedBy.BARCODE
        if len(found) > 1:
            text = msg.duplicate_barcode(v, barcode, found)
            self._problem(
                ProblemKind.DUPLICATE_ODOO_BARCODE,
                v.norm_sku,
                text,
                blocking=True,
                variants=(v,),
                products=(p.id for p in found),
            )
            return None
        return _UNDECIDED

    def _explain_missing(self, v: ShopifyVariant, sku: str) -> None:
        any_company = self.cat.by_sku_any.get(sku, [])
        archived = [p for p in any_company if not p.active]
        elsewhere = [p for p in any_company if p.active]
        near = [p for p in self.cat.by_lower.get(sku.casefold(), []) if p.sku != sku]
        if elsewhere:
            kind = ProblemKind.OTHER_COMPANY
            text = msg.other_company(v, sku, elsewhere, self.cat.company_id)
            ids = [p.id for p in elsewhere]
        elif len(near) == 1:
            kind, text, ids = (
                ProblemKind.SKU_CASE_MISMATCH,
                msg.case_mismatch(v, sku, near[0]),
                [near[0].id],
            )
        elif archived:
            kind, text, ids = (
                ProblemKind.PRODUCT_ARCHIVED,
                msg.archived(v, sku, archived),
                [p.id for p in archived],
            )
        else:
            kind = ProblemKind.NO_ODOO_PRODUCT
            text = msg.no_product(v, sku, self.cat.company_id)
            ids = []
        self._problem(kind, sku, text, blocking=True, variants=(v,), products=ids)
