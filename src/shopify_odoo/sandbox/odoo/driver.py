"""``OdooSandboxDriver``: the control API from Python (seed, merchant actions, faults, state,
call counters), over httpx."""

from __future__ import annotations

from typing import Any

import httpx


class OdooSandboxDriver:
    def __init__(self, url: str, *, client: httpx.AsyncClient | None = None) -> None:
        self.url = url.rstrip("/")
        self._client = client or httpx.AsyncClient(base_url=self.url, timeout=30.0)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> OdooSandboxDriver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _post(self, path: str, body: Any = None) -> Any:
        response = await self._client.post(f"{self.url}/_sandbox/{path}", json=body or {})
        if response.status_code >= 400:
            raise RuntimeError(
                f"Odoo sandbox control call {path} failed ({response.status_code}): {response.text}"
            )
        return response.json()

    async def _get(self, path: str) -> Any:
        response = await self._client.get(f"{self.url}/_sandbox/{path}")
        response.raise_for_status()
        return response.json()

    # -- seeding and state --------------------------------------------------------------------
    async def info(self) -> dict[str, Any]:
        return await self._get("info")  # type: ignore[no-any-return]

    async def seed(
        self, scenario: str = "demo", *, seed: int = 0, version: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"scenario": scenario, "seed": seed}
        if version:
            body["version"] = version
        return await self._post("seed", body)  # type: ignore[no-any-return]

    async def read(
        self,
        model: str,
        domain: list[Any] | None = None,
        fields: list[str] | None = None,
        *,
        limit: int | None = None,
        context: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        body = {"domain": domain or [], "fields": fields, "limit": limit, "context": context or {}}
        return await self._post(f"state/{model}", body)  # type: ignore[no-any-return]

    async def calls(self) -> dict[tuple[str, str], int]:
        rows = await self._get("calls")
        return {(r["model"], r["method"]): r["count"] for r in rows}

    async def reset_calls(self) -> None:
        response = await self._client.delete(f"{self.url}/_sandbox/calls")
        response.raise_for_status()

    # -- merchant actions ---------------------------------------------------------------------
    async def simulate(self, action: str, **params: Any) -> Any:
        return (await self._post(f"simulate/{action}", params))["result"]

    async def receive(self, sku: str, qty: float, location: str = "WH/Stock") -> int:
        return int(await self.simulate("receive", sku=sku, qty=qty, location=location))

    async def deliver(
        self,
        picking: int | str,
        *,
        carrier: str | None = None,
        tracking: str | None = None,
        quantities: dict[str, float] | None = None,
    ) -> int:
        """Validate a delivery (id, name or origin, e.g. the sale order name); with
        ``quantities`` (SKU → units) ship part of it and backorder the rest."""
        return int(
            await self.simulate(
                "deliver",
                picking=picking,
                carrier=carrier,
                tracking=tracking,
                quantities=quantities,
            )
        )

    async def create_product(
        self,
        sku: str,
        name: str,
        price: float,
        *,
        barcode: str | None = None,
        company_id: int = 1,
    ) -> int:
        return int(
            await self.simulate(
                "create_product",
                sku=sku,
                name=name,
                price=price,
                barcode=barcode,
                company_id=company_id,
            )
        )

    async def quant_tasks(self) -> int:
        """Run Odoo's quant housekeeping: zero quants disappear (§3.3)."""
        return int(await self.simulate("quant_tasks"))

    async def count(self, sku: str, location: str, qty: float) -> None:
        await self.simulate("count", sku=sku, location=location, qty=qty)

    async def move(self, sku: str, qty: float, source: str, destination: str) -> int:
        return int(
            await self.simulate("move", sku=sku, qty=qty, source=source, destination=destination)
        )

    async def archive(self, sku: str) -> None:
        await self.simulate("archive", sku=sku)

    async def change_sku(self, old: str, new: str) -> None:
        await self.simulate("change_sku", old=old, new=new)

    async def set_price(self, sku: str, price: float) -> None:
        await self.simulate("set_price", sku=sku, price=price)

    # -- faults, automation, credentials ------------------------------------------------------
    async def inject(
        self,
        kind: str,
        *,
        model: str | None = None,
        method: str | None = None,
        count: int | None = 1,
        seconds: float = 0.0,
        status: int = 503,
    ) -> None:
        """``kind``: "latency" (seconds), "http_status" (502/503/504), "serialization"
        (Odoo retries 5 times, §9: ``count`` >= 5 surfaces one failure).  ``count=None``
        hits every matching call until :meth:`clear_faults`."""
        await self._post(
            "faults",
            {
                "kind": kind,
                "model": model,
                "method": method,
                "count": count,
                "seconds": seconds,
                "status": status,
            },
        )

    async def clear_faults(self) -> None:
        response = await self._client.delete(f"{self.url}/_sandbox/faults")
        response.raise_for_status()

    async def add_webhook(
        self,
        model: str,
        url: str,
        *,
        trigger: str = "on_create_or_write",
        fields: list[str] | None = None,
        trigger_fields: list[str] | None = None,
    ) -> None:
        """§7.1 (17+): POST ``fields`` of each created/written record to ``url``."""
        await self._post(
            "automations",
            {
                "model": model,
                "url": url,
                "trigger": trigger,
                "fields": fields or [],
                "trigger_fields": trigger_fields or [],
            },
        )

    async def webhooks_sent(self) -> list[dict[str, Any]]:
        return await self._get("webhooks")  # type: ignore[no-any-return]

    async def set_plan(self, plan: str) -> None:
        await self._post("plan", {"plan": plan})

    async def new_api_key(self, login: str, *, expires_in: float | None = None) -> str:
        return str(
            (await self._post("api-keys", {"login": login, "expires_in": expires_in}))["key"]
        )

    async def advance_clock(self, seconds: float) -> str:
        return str((await self._post("clock", {"advance_seconds": seconds}))["now"])
