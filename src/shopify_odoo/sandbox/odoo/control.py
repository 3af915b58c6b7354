"""The sandbox's own control API under ``/_sandbox/`` (never part of Odoo): seed, simulate,
faults, automation rules, plan and API keys, clock, state and call counters."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import OdooError
from .simulator import MerchantSimulator
from .world import ApiKey, Automation, Fault, World

_GATEWAY = {
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    429: "Too Many Requests",
}


async def apply_faults(world: World, model: str | None, method: str | None) -> Response | None:
    """Latency first (a slow call), then an HTTP status as a proxy in front of Odoo sends it."""
    for fault in world.faults:
        if fault.kind == "latency" and fault.matches(model, method):
            fault.consume()
            await asyncio.sleep(fault.seconds)
    for fault in world.faults:
        if fault.kind == "http_status" and fault.matches(model, method):
            fault.consume()
            reason = _GATEWAY.get(fault.status, "Error")
            return Response(
                f"<html><head><title>{fault.status} {reason}</title></head><body><center><h1>"
                f"{fault.status} {reason}</h1></center><hr><center>nginx</center></body></html>",
                status_code=fault.status,
                media_type="text/html",
            )
    world.faults = [f for f in world.faults if not f.spent]
    return None


class Control:
    def __init__(
        self,
        get_world: Callable[[], World],
        reseed: Callable[[dict[str, Any]], World],
        after_change: Callable[[], None],
    ) -> None:
        self.get_world = get_world
        self.reseed = reseed
        self.after_change = after_change

    def routes(self) -> list[Route]:
        return [
            Route("/_sandbox/info", self.info, methods=["GET"]),
            Route("/_sandbox/seed", self.seed, methods=["POST"]),
            Route("/_sandbox/simulate/{action}", self.simulate, methods=["POST"]),
            Route("/_sandbox/faults", self.faults, methods=["POST", "DELETE", "GET"]),
            Route("/_sandbox/calls", self.calls, methods=["GET", "DELETE"]),
            Route("/_sandbox/state/{model}", self.state, methods=["POST"]),
            Route("/_sandbox/automations", self.automations, methods=["POST", "GET"]),
            Route("/_sandbox/webhooks", self.webhooks, methods=["GET"]),
            Route("/_sandbox/plan", self.plan, methods=["POST"]),
            Route("/_sandbox/api-keys", self.api_keys, methods=["POST"]),
            Route("/_sandbox/clock", self.clock, methods=["POST"]),
        ]

    async def info(self, request: Request) -> Response:
        world = self.get_world()
        return JSONResponse(
            {
                "version": world.profile.text,
                "db": world.db,
                "plan": world.plan,
                "data_version": world.data_version,
            }
        )

    async def seed(self, request: Request) -> Response:
        body = await request.json()
        world = self.reseed(body)
        return JSONResponse({"version": world.profile.text, "db": world.db})

    async def simulate(self, request: Request) -> Response:
        world = self.get_world()
        body = await request.json() if await request.body() else {}
        try:
            result = MerchantSimulator(world).run(request.path_params["action"], body)
        except (OdooError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        self.after_change()
        return JSONResponse({"result": result})

    async def faults(self, request: Request) -> Response:
        world = self.get_world()
        if request.method == "DELETE":
            world.faults.clear()
        elif request.method == "POST":
            body = await request.json()
            world.faults.append(
                Fault(
                    kind=body["kind"],
                    model=body.get("model"),
                    method=body.get("method"),
                    remaining=None if body.get("count", 1) is None else int(body.get("count", 1)),
                    seconds=float(body.get("seconds", 0.0)),
                    status=int(body.get("status", 503)),
                )
            )
        return JSONResponse(
            [
                {"kind": f.kind, "model": f.model, "method": f.method, "remaining": f.remaining}
                for f in world.faults
            ]
        )

    async def calls(self, request: Request) -> Response:
        world = self.get_world()
        if request.method == "DELETE":
            world.calls.clear()
        return JSONResponse(
            [{"model": m, "method": n, "count": c} for (m, n), c in sorted(world.calls.items())]
        )

    async def state(self, request: Request) -> Response:
        """Read records as the superuser: ``{"domain": [...], "fields": [...], "context"}``."""
        world = self.get_world()
        body = await request.json() if await request.body() else {}
        model = world.models.get(request.path_params["model"])
        if model is None:
            return JSONResponse({"error": "unknown model"}, status_code=404)
        env = world.env(1, {"active_test": False, **body.get("context", {})}, su=True)
        ids = model.search_ids(env, body.get("domain", []), limit=body.get("limit"))
        return JSONResponse(model.read_rows(env, ids, body.get("fields")))

    async def automations(self, request: Request) -> Response:
        world = self.get_world()
        if request.method == "POST":
            if not world.profile.webhooks:  # §7.1: the webhook action arrives in 17.0
                return JSONResponse(
                    {
                        "error": f"Odoo {world.profile.text} has no 'Send Webhook "
                        "Notification' action (17.0+)"
                    },
                    status_code=422,
                )
            body = await request.json()
            rule = Automation(
                id=len(world.automations) + 1,
                model=body["model"],
                trigger=body.get("trigger", "on_create_or_write"),
                url=body["url"],
                field_names=tuple(body.get("fields", ())),
                trigger_fields=tuple(body.get("trigger_fields", ())),
            )
            world.automations.append(rule)
        return JSONResponse(
            [
                {"id": r.id, "model": r.model, "trigger": r.trigger, "url": r.url}
                for r in world.automations
            ]
        )

    async def webhooks(self, request: Request) -> Response:
        sent = self.get_world().outbox.sent
        return JSONResponse([{"url": u, "body": b.decode(), "outcome": o} for u, b, o in sent])

    async def plan(self, request: Request) -> Response:
        world = self.get_world()
        world.plan = (await request.json())["plan"]
        return JSONResponse({"plan": world.plan})

    async def api_keys(self, request: Request) -> Response:
        """Issue a key for a login; ``expires_in`` seconds (18+ keys expire, §1.1)."""
        world = self.get_world()
        body = await request.json()
        users = world.models["res.users"]
        uid = min(users.table.ids_where("login", body["login"]) or {0})
        if not uid:
            return JSONResponse({"error": "unknown login"}, status_code=404)
        key = secrets.token_hex(20)
        expires = None
        if body.get("expires_in") is not None:
            expires = world.utcnow() + dt.timedelta(seconds=float(body["expires_in"]))
        world.api_keys[key] = ApiKey(
            key=key, uid=uid, name=body.get("name", "sandbox key"), expires=expires
        )
        return JSONResponse({"key": key, "uid": uid})

    async def clock(self, request: Request) -> Response:
        world = self.get_world()
        body = await request.json()
        world.clock_offset += dt.timedelta(seconds=float(body.get("advance_seconds", 0)))
        return JSONResponse({"now": world.now_str()})
