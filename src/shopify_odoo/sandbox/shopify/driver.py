"""Python driver for the control API: what tests and the demo call to act on the sandbox."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from shopify_odoo.errors import TerminalError


class SandboxDriver:
    """``async with SandboxDriver(control_url) as d: await d.place_order("shop1", [("SKU", 2)])``"""

    def __init__(
        self, control_url: str, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._http = httpx.AsyncClient(base_url=control_url, timeout=60.0, transport=transport)

    async def __aenter__(self) -> SandboxDriver:
        return self

    async def __aexit__(
        self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any
    ) -> Any:
        resp = await self._http.request(method, path, json=body, params=params or None)
        if resp.status_code >= 400:
            raise TerminalError(
                f"sandbox control {method} {path} answered {resp.status_code}: {resp.text[:300]}"
            )
        return resp.json()

    async def info(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/_sandbox/info")
        return result

    async def state(self, store: str | None = None, *, variants: bool = True) -> dict[str, Any]:
        params: dict[str, Any] = {"variants": "1" if variants else "0"}
        if store:
            params["store"] = store
        result: dict[str, Any] = await self._call("GET", "/_sandbox/state", **params)
        return result

    async def seed(self, scenario: str = "demo") -> Any:
        return await self._call("POST", "/_sandbox/seed", {"scenario": scenario})

    async def place_order(
        self, store: str, lines: list[tuple[str, int]], **cart: Any
    ) -> dict[str, Any]:
        """Checkout; ``cart`` takes email, discount_code={code, percent}, automatic_discount=
        {title, percent}, shipping={title, price} or None, tax_rate, taxes_included,
        presentment_currency, rate, gift_card, tip, paid."""
        body = {"lines": [{"sku": s, "quantity": q} for s, q in lines], **cart}
        result: dict[str, Any] = await self._call("POST", f"/_sandbox/stores/{store}/orders", body)
        return result

    async def set_stock(
        self,
        store: str,
        sku: str,
        quantity: int,
        *,
        location: str = "Main Warehouse",
        name: str = "available",
    ) -> Any:
        return await self._call(
            "POST",
            f"/_sandbox/stores/{store}/stock",
            {"sku": sku, "quantity": quantity, "location": location, "name": name},
        )

    async def levels(self, store: str, sku: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call(
            "GET", f"/_sandbox/stores/{store}/levels", sku=sku
        )
        return result

    async def cancel_order(self, store: str, order_id: int | str, *, restock: bool = True) -> Any:
        return await self._call(
            "POST", f"/_sandbox/stores/{store}/orders/{order_id}/cancel", {"restock": restock}
        )

    async def fulfil(
        self, store: str, order_id: int | str, *, company: str = "DHL", number: str | None = None
    ) -> Any:
        return await self._call(
            "POST",
            f"/_sandbox/stores/{store}/orders/{order_id}/fulfil",
            {"company": company, "number": number},
        )

    async def deliver(self, store: str, order_id: int | str) -> Any:
        return await self._call("POST", f"/_sandbox/stores/{store}/orders/{order_id}/deliver", {})

    async def refund(
        self, store: str, order_id: int | str, lines: list[tuple[int, int]], *, restock: bool = True
    ) -> Any:
        body = {
            "lines": [{"line_item_id": li, "quantity": q} for li, q in lines],
            "restock": restock,
        }
        return await self._call("POST", f"/_sandbox/stores/{store}/orders/{order_id}/refund", body)

    async def edit_order(
        self, store: str, order_id: int | str, line_item_id: int, remove: int = 1
    ) -> Any:
        return await self._call(
            "POST",
            f"/_sandbox/stores/{store}/orders/{order_id}/edit",
            {"line_item_id": line_item_id, "remove": remove},
        )

    async def delete_product(self, store: str, product_id: int | str) -> Any:
        return await self._call(
            "POST", f"/_sandbox/stores/{store}/products/{product_id}/delete", {}
        )

    async def faults(self, store: str, **knobs: Any) -> Any:
        """http_errors, http_status, slow_seconds, drain_bucket, rate_limited,
        same_organisation, expire_tokens, token_lifetime."""
        return await self._call("POST", f"/_sandbox/stores/{store}/faults", knobs)

    async def subscribe(self, store: str, topics: list[str], uri: str) -> Any:
        return await self._call(
            "POST", f"/_sandbox/stores/{store}/webhooks", {"topics": topics, "uri": uri}
        )

    async def uninstall(self, store: str) -> Any:
        return await self._call("POST", f"/_sandbox/stores/{store}/uninstall", {})

    async def webhook_knobs(self, **knobs: Any) -> Any:
        """duplicate, reorder_window, delay, drop_first, retry_delays, timeout."""
        return await self._call("POST", "/_sandbox/webhooks/knobs", knobs)

    async def drain(self, timeout: float = 30.0) -> Any:  # noqa: ASYNC109
        return await self._call("POST", "/_sandbox/webhooks/drain", {"timeout": timeout})

    async def deliveries(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/_sandbox/webhooks/deliveries")
        return result
