"""Orders and errors, jobs and dead letters, cutover, audit log."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from shopify_odoo.engine.dashboard import (
    NotFound,
    orders_page,
    purge_dead_jobs,
    reprocess_cause,
    reprocess_problem,
    retry_dead_jobs,
    system_jobs,
)
from shopify_odoo.engine.dashboard_audit import audit_entries
from shopify_odoo.engine.dashboard_cutover import (
    UnknownLocation,
    disabled_rows,
    dry_run_location,
    enable_locations,
    pilot,
    spot_check,
)
from shopify_odoo.web.dashboard.base import Dashboard, field
from shopify_odoo.web.security import Session

ORDER_STATES = ("", "imported", "parked", "pending", "cancelled")


def _store(dash: Dashboard, request: Request) -> str | None:
    store = str(request.path_params.get("store", ""))
    return store if store in dash.handles else None


def _no_store(dash: Dashboard, request: Request, session: Session) -> Response:
    return dash.refuse(request, session, 404, "No such store in this dashboard.")


async def orders(
    dash: Dashboard, request: Request, session: Session, *, message: str = "", status: int = 200
) -> Response:
    store = _store(dash, request)
    if store is None:
        return _no_store(dash, request, session)
    state = request.query_params.get("state", "")
    data = await orders_page(dash.rt, store, state=state if state in ORDER_STATES else None)
    return dash.render(
        request,
        "orders.html",
        session,
        status=status,
        store=store,
        data=data,
        state=state,
        states=ORDER_STATES,
        message=message,
    )


async def reprocess_one(
    dash: Dashboard, request: Request, session: Session, form: FormData
) -> Response:
    store = _store(dash, request)
    raw = str(request.path_params.get("problem", ""))
    if store is None or not raw.isdigit():
        return _no_store(dash, request, session)
    try:
        n = await reprocess_problem(dash.rt, store, int(raw), actor=session.actor)
    except NotFound:
        return dash.refuse(request, session, 404, f"No open problem {raw} in store {store}.")
    return dash.done(f"/stores/{store}/orders", f"Problem {raw}: {n} job(s) queued again.")


async def reprocess_group(
    dash: Dashboard, request: Request, session: Session, form: FormData
) -> Response:
    store = _store(dash, request)
    if store is None:
        return _no_store(dash, request, session)
    cause = field(form, "cause")
    n = await reprocess_cause(dash.rt, store, cause, actor=session.actor)
    return dash.done(f"/stores/{store}/orders", f'Cause "{cause}": {n} job(s) queued.')


def _ids(form: FormData) -> list[int] | None:
    raw = [v for v in form.getlist("job") if isinstance(v, str) and v.isdigit()]
    return [int(v) for v in raw] if raw else None


async def store_jobs(
    dash: Dashboard, request: Request, session: Session, form: FormData
) -> Response:
    store = _store(dash, request)
    if store is None:
        return _no_store(dash, request, session)
    what = str(request.path_params.get("what"))
    if what not in ("retry", "purge"):
        return dash.refuse(request, session, 404, "Dead letters can be retried or purged.")
    try:
        if what == "retry":
            n = await retry_dead_jobs(dash.rt, store, _ids(form), actor=session.actor)
            text = f"{n} dead letter(s) retried."
        else:
            n = await purge_dead_jobs(dash.rt, store, _ids(form), actor=session.actor)
            text = f"{n} dead letter(s) purged."
    except NotFound:
        return dash.refuse(request, session, 404, "Those dead letters are not this store's.")
    return dash.done(f"/stores/{store}/orders", text)


async def jobs_page(
    dash: Dashboard, request: Request, session: Session, *, message: str = "", status: int = 200
) -> Response:
    active, dead = await system_jobs(dash.rt)
    return dash.render(
        request, "jobs.html", session, active=active, dead=dead, message=message, status=status
    )


async def system_jobs_action(
    dash: Dashboard, request: Request, session: Session, form: FormData
) -> Response:
    what = str(request.path_params.get("what"))
    if what not in ("retry", "purge"):
        return dash.refuse(request, session, 404, "Dead letters can be retried or purged.")
    try:
        if what == "retry":
            n = await retry_dead_jobs(dash.rt, "", _ids(form), actor=session.actor)
            text = f"{n} dead letter(s) retried."
        else:
            n = await purge_dead_jobs(dash.rt, "", _ids(form), actor=session.actor)
            text = f"{n} dead letter(s) purged."
    except NotFound:
        return dash.refuse(request, session, 404, "Those dead letters belong to a store.")
    return dash.done("/jobs", text)


# -- cutover -------------------------------------------------------------------------------


async def cutover_page(
    dash: Dashboard,
    request: Request,
    session: Session,
    *,
    message: str = "",
    status: int = 200,
    **extra: object,
) -> Response:
    entries = await dash.editor.entries()
    audit = await audit_entries(dash.rt.db, limit=50)
    return dash.render(
        request,
        "cutover.html",
        session,
        status=status,
        entries=entries,
        disabled=await disabled_rows(dash.editor),
        audit=[a for a in audit if a.action.startswith(("cutover.", "location_map."))],
        message=message,
        **extra,
    )


async def dry_run(dash: Dashboard, request: Request, session: Session) -> Response:
    store = request.query_params.get("store", "")
    location = request.query_params.get("location", "")
    if store not in dash.handles:
        return _no_store(dash, request, session)
    try:
        result = await dry_run_location(dash.rt, dash.editor, store, location)
    except UnknownLocation as exc:
        return dash.refuse(request, session, 404, str(exc))
    return await cutover_page(dash, request, session, dry=result)


async def pilot_action(
    dash: Dashboard, request: Request, session: Session, form: FormData
) -> Response:
    store, location = field(form, "store"), field(form, "location")
    if store not in dash.handles:
        return _no_store(dash, request, session)
    skus = [s for s in field(form, "skus").replace(",", "\n").splitlines() if s.strip()]
    if not skus:
        return await cutover_page(
            dash, request, session, status=422, message="List the SKUs of the pilot group."
        )
    try:
        written, missing = await pilot(
            dash.rt, dash.editor, store, location, skus, actor=session.actor
        )
    except UnknownLocation as exc:
        return dash.refuse(request, session, 404, str(exc))
    text = f'Pilot at "{location}" ({store}): {written} level(s) written for {len(skus)} SKU(s).'
    if missing:
        text += f" Not linked (skipped): {', '.join(missing)}."
    return dash.done("/cutover", text)


async def enable_action(
    dash: Dashboard, request: Request, session: Session, form: FormData
) -> Response:
    what = str(request.path_params.get("what"))
    if what not in ("all", "some"):
        return dash.refuse(request, session, 404, "Enable some locations, or all.")
    if what == "all":
        targets = await disabled_rows(dash.editor)
    else:
        targets = []
        for value in form.getlist("target"):
            if isinstance(value, str) and "|" in value:
                store, location = value.split("|", 1)
                if store not in dash.handles:
                    return _no_store(dash, request, session)
                targets.append((store, location))
    if not targets:
        return await cutover_page(
            dash, request, session, status=422, message="Choose at least one location to enable."
        )
    try:
        n = await enable_locations(dash.rt, dash.editor, targets, actor=session.actor)
    except UnknownLocation as exc:
        return dash.refuse(request, session, 404, str(exc))
    names = ", ".join(f"{loc} ({store})" for store, loc in targets)
    return dash.done(
        "/cutover", f"Enabled {n} location(s): {names}. Every linked product's stock is queued."
    )


async def spot_check_page(dash: Dashboard, request: Request, session: Session) -> Response:
    items = await spot_check(dash.rt)
    return dash.render(request, "spot_check.html", session, items=items)


async def audit_page(dash: Dashboard, request: Request, session: Session) -> Response:
    entries = await audit_entries(dash.rt.db, limit=300)
    return dash.render(request, "audit.html", session, entries=entries)
