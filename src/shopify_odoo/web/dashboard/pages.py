"""Overview, location map, product links and the stock of one SKU."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from shopify_odoo.config import LocationRow, Problem
from shopify_odoo.engine.dashboard import overview
from shopify_odoo.engine.dashboard_locations import location_sides
from shopify_odoo.engine.dashboard_stock import stock_of_sku
from shopify_odoo.web.dashboard.base import Dashboard, field
from shopify_odoo.web.dashboard.charts import ttc_chart
from shopify_odoo.web.security import Session

ROW_FIELDS = (
    "store",
    "shopify_location",
    "type",
    "odoo_warehouse",
    "odoo_locations",
    "company",
    "enabled",
    "excluded",
    "direction",
    "buffer",
    "pool",
    "fulfilled_by",
    "notes",
)


async def overview_page(dash: Dashboard, request: Request, session: Session) -> Response:
    ov = await overview(dash.rt, dash.health)
    return dash.render(request, "overview.html", session, ov=ov, chart=ttc_chart(ov.chart))


# -- location map --------------------------------------------------------------------------


def row_from_form(form: FormData) -> dict[str, Any]:
    """The submitted row as the configuration file would hold it (types checked later)."""
    data: dict[str, Any] = {}
    for name in ROW_FIELDS:
        value = field(form, name)
        if name in ("enabled", "excluded"):
            data[name] = value in ("on", "true", "1")
        elif name == "odoo_locations":
            data[name] = [part.strip() for part in value.split(",") if part.strip()]
        elif value != "" or name in ("store", "shopify_location"):
            data[name] = value
    return data


async def locations_page(
    dash: Dashboard,
    request: Request,
    session: Session,
    *,
    status: int = 200,
    message: str = "",
    problems: Sequence[Problem] = (),
    draft: dict[str, Any] | None = None,
) -> Response:
    entries = await dash.editor.entries()
    shops, odoo = await location_sides(dash.rt, entries)
    edit = None
    store_q, loc_q = request.query_params.get("store"), request.query_params.get("location")
    if draft is None and store_q and loc_q:
        for e in entries:
            if e.row.store == store_q and e.row.shopify_location == loc_q:
                edit = e.row.model_dump(mode="json")
        if edit is None:  # an unmapped location: a new row for it
            edit = {"store": store_q, "shopify_location": loc_q, "enabled": False}
    return dash.render(
        request,
        "locations.html",
        session,
        status=status,
        entries=entries,
        shops=shops,
        odoo=odoo,
        message=message,
        problems=problems,
        draft=draft or edit or {"enabled": True},
    )


async def save_location(
    dash: Dashboard, request: Request, session: Session, form: FormData
) -> Response:
    data = row_from_form(form)
    entries = await dash.editor.entries()
    problems, _index = dash.editor.check(entries, data)
    errors = [p for p in problems if p.is_error]
    if not errors:
        try:
            row = LocationRow.model_validate(data)
        except ValidationError:  # already reported by check(); kept for type narrowing
            row = None
        if row is not None:
            problems = await dash.editor.save(row, actor=session.actor)
            errors = [p for p in problems if p.is_error]
            if not errors:
                return dash.done(
                    "/locations",
                    f'Saved the row of "{row.shopify_location}" in store "{row.store}"; '
                    "the engine uses it now.",
                )
    return await locations_page(dash, request, session, status=422, problems=problems, draft=data)


async def revert_location(
    dash: Dashboard, request: Request, session: Session, form: FormData
) -> Response:
    store, location = field(form, "store"), field(form, "shopify_location")
    gone = await dash.editor.revert(store, location, actor=session.actor)
    text = (
        f'The saved row of "{location}" ({store}) is removed; the configuration file applies.'
        if gone
        else f'No saved row of "{location}" in store "{store}".'
    )
    if not gone:
        return await locations_page(dash, request, session, message=text, status=404)
    return dash.done("/locations", text)


# -- product links -------------------------------------------------------------------------


async def links_page(
    dash: Dashboard,
    request: Request,
    session: Session,
    *,
    status: int = 200,
    message: str = "",
    query: str | None = None,
) -> Response:
    """One page of variants, searched in the database (``q``), ``after`` = the cursor of the
    next page (``store`` and variant GID of the previous page's last row)."""
    q = query if query is not None else request.query_params.get("q", "")
    only = request.query_params.get("show", "")
    after_store = request.query_params.get("after_store")
    after_gid = request.query_params.get("after")
    after = (after_store, after_gid) if after_store and after_gid and query is None else None
    found = await dash.links.search(q, unlinked_only=only == "unlinked", after=after)
    next_url = ""
    if found.next_after is not None:
        params = {"q": q, "after_store": found.next_after[0], "after": found.next_after[1]}
        if only:
            params["show"] = only
        next_url = "?" + urlencode(params)
    return dash.render(
        request,
        "links.html",
        session,
        status=status,
        q=q,
        show=only,
        variants=found.variants,
        next_url=next_url,
        paged=after is not None,
        unlinked=found.unlinked,
        problems=found.problems,
        more_problems=found.more_problems,
        odoo=found.products,
        read_at=found.read_at,
        message=message,
    )


async def link_variant(
    dash: Dashboard, request: Request, session: Session, form: FormData
) -> Response:
    store, sku, product = field(form, "store"), field(form, "sku"), field(form, "product_id")
    if store not in dash.handles:
        return dash.refuse(request, session, 404, f'No store "{store}" is configured.')
    if not sku or not product.isdigit():
        return await links_page(
            dash,
            request,
            session,
            status=422,
            query=sku,
            message="Give the variant's Shopify SKU and the Odoo product id (a number) to link.",
        )
    run = await dash.links.link(store, sku, int(product), actor=session.actor)
    plan = run.plan.store(store)
    linked = [lk for lk in plan.links if lk.product_id == int(product)]
    blocking = [p.message for p in plan.problems if p.blocking and p.sku == sku]
    if linked and not blocking:
        text = (
            f'Linked SKU "{sku}" of store "{store}" to Odoo product {product} (kept by later runs).'
        )
        return dash.done("/links", text, q=sku)
    return await links_page(
        dash,
        request,
        session,
        status=422,
        query=sku,
        message="Not linked: " + ("; ".join(blocking) or "no variant with this SKU in the store"),
    )


async def unlink_variant(
    dash: Dashboard, request: Request, session: Session, form: FormData
) -> Response:
    store, variant = field(form, "store"), field(form, "variant_gid")
    if store not in dash.handles:
        return dash.refuse(request, session, 404, f'No store "{store}" is configured.')
    done = await dash.links.unlink(store, variant, actor=session.actor)
    if not done:
        return dash.refuse(request, session, 404, f"No link of {variant} in store {store}.")
    return dash.done(
        "/links",
        f"Unlinked {variant} ({store}): its stock is no longer synced. A later link run "
        "links it again by SKU unless the SKU changes.",
        q=field(form, "q"),
    )


async def refresh_links(
    dash: Dashboard, request: Request, session: Session, form: FormData
) -> Response:
    await dash.links.refresh()
    return dash.done("/links", "Catalogues read again.")


# -- stock of one SKU ----------------------------------------------------------------------


async def stock_page(dash: Dashboard, request: Request, session: Session) -> Response:
    sku = request.query_params.get("sku", "").strip()
    result = await stock_of_sku(dash.rt, sku) if sku else None
    return dash.render(request, "stock.html", session, sku=sku, result=result)
