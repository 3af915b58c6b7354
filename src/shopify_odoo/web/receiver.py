"""Webhook receivers: verify, persist, enqueue, answer (STYLE.md §4).

``POST /webhooks/shopify/{store}``: the HMAC (``X-Shopify-Hmac-Sha256``, base64 SHA-256 of the
raw body under the app's client secret, shopify-admin-api.md §d.3) is checked against every
secret of the store (rotation) before anything is parsed.  The delivery is stored once by its
``X-Shopify-Webhook-Id`` and its dirty keys are enqueued in the same transaction; the answer is
200 as soon as that commits (Shopify expects an answer within 5 seconds and retries otherwise,
§d.3), and nothing remote is called on the way.

=====================  ======================================================================
answer                 when
=====================  ======================================================================
200 ``stored``         a new delivery, stored and enqueued (or kept for a person: unparseable)
200 ``duplicate``      a delivery id seen before: nothing enqueued again
401                    missing or wrong HMAC, or signed for another shop than this store's
404                    no store with this handle in the configuration
413                    body over the limit (checked on Content-Length and while reading)
503                    the state database could not take it: Shopify retries later
=====================  ======================================================================

``POST /webhooks/odoo?token=<secret>``: Odoo automation rules ("Send Webhook Notification",
odoo-external-api.md §7.1) send no signature and never retry, so the URL carries a shared
secret (``sync.odoo_webhook_secret``); the payload's product marks that product's stock dirty.
Odoo 17 posts a rule's webhooks one at a time, inline (§7.1), so the answer is on Odoo's clock:
200 once the mark is durable, by a read when a due job already covers it, else by a group
commit shared with concurrent deliveries (:class:`~shopify_odoo.engine.inbox.OdooTrigger`);
503 for every delivery of a batch whose transaction failed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from shopify_odoo.config import Settings
from shopify_odoo.engine.dirty import DirtyKeys, odoo_dirty, shopify_dirty
from shopify_odoo.engine.inbox import Delivery, InboxUnavailable, InboxWriter, OdooTrigger
from shopify_odoo.shopify.webhook_events import WebhookPayloadError
from shopify_odoo.shopify.webhooks import HMAC_HEADER, parse_webhook, verify_webhook, webhook_meta
from shopify_odoo.store.types import utcnow

log = logging.getLogger(__name__)

#: Shopify caps webhook payloads well below this; a body past it is refused, not stored
DEFAULT_MAX_BODY = 5 * 1024 * 1024
ODOO_TOKEN_HEADER = "X-Shopify-Odoo-Token"  # noqa: S105 (a header name)


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes (declared or actually sent)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class ShopifyReceiver:
    """The endpoint of one process: secrets per store handle, the inbox writer, a clock."""

    def __init__(
        self,
        settings: Settings,
        writer: InboxWriter,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._writer = writer
        self._max_body = max_body
        self._clock = clock
        self._secrets: dict[str, tuple[str, ...]] = {
            s.handle: tuple(k.get_secret_value() for k in s.webhook_secrets)
            for s in settings.stores
        }
        self._domains = {s.handle: s.shop_domain for s in settings.stores}

    async def handle(self, request: Request) -> Response:
        store = request.path_params["store"]
        secrets = self._secrets.get(store)
        if secrets is None:
            return _problem(404, f'no store "{store}" is configured')
        try:
            body = await read_body(request, self._max_body)
        except BodyTooLarge:
            return _problem(413, f"body over {self._max_body} bytes")
        except ClientDisconnect:
            return Response(status_code=400)
        headers = request.headers
        if not verify_webhook(body, headers.get(HMAC_HEADER), secrets):
            log.warning(
                "webhook for store %s refused: missing or wrong HMAC",
                store,
                extra={"action": "webhook", "store": store},
            )
            return _problem(401, "HMAC signature missing or not valid for this store")
        domain = headers.get("x-shopify-shop-domain")
        if domain is not None and domain.strip().lower() != self._domains[store]:
            # one app (one client secret) may serve several shops: a delivery for another
            # shop must not be taken as this store's
            return _problem(401, f'delivery for shop "{domain}" sent to store "{store}"')
        delivery = self._delivery(store, body, headers)
        try:
            new = await self._writer.submit(delivery)
        except InboxUnavailable as exc:
            log.error(
                "webhook %s for store %s not stored (%s); Shopify will retry it",
                delivery.delivery_id,
                store,
                exc,
                extra={"action": "webhook", "store": store},
            )
            return _problem(503, "the state database is not available; retry later")
        return JSONResponse({"status": "stored" if new else "duplicate"})

    def _delivery(self, store: str, body: bytes, headers: Mapping[str, str]) -> Delivery:
        topic = headers.get("x-shopify-topic") or ""
        meta = webhook_meta(topic, headers)
        delivery_id = meta.webhook_id or "sha256:" + hashlib.sha256(body).hexdigest()
        kept = {k.lower(): v for k, v in headers.items() if k.lower().startswith("x-shopify-")}
        parse_error: str | None = None
        try:
            dirty = shopify_dirty(store, parse_webhook(topic or None, body, headers))
        except WebhookPayloadError as exc:
            parse_error = exc.message
            dirty = None
            log.warning(
                "webhook %s for store %s kept for a person: %s",
                delivery_id,
                store,
                exc.message,
                extra={"action": "webhook", "store": store},
            )
        return Delivery(
            store=store,
            delivery_id=delivery_id[:128],
            topic=topic,
            body=body,
            headers=kept,
            received_at=self._clock(),
            triggered_at=meta.triggered_at,
            dirty=dirty if dirty is not None else DirtyKeys(),
            parse_error=parse_error,
        )


class OdooReceiver:
    """Odoo automation-rule webhooks, authenticated by a shared secret in the URL."""

    def __init__(
        self, settings: Settings, trigger: OdooTrigger, *, max_body: int = DEFAULT_MAX_BODY
    ) -> None:
        secret = settings.sync.odoo_webhook_secret
        self._secret = secret.get_secret_value().encode() if secret is not None else None
        self._trigger = trigger
        self._max_body = max_body

    async def handle(self, request: Request) -> Response:
        if not self._secret:
            return _problem(404, "Odoo webhooks are off: set sync.odoo_webhook_secret")
        given = request.query_params.get("token") or request.headers.get(ODOO_TOKEN_HEADER) or ""
        if not hmac.compare_digest(given.encode(), self._secret):
            return _problem(401, "missing or wrong token")
        try:
            body = await read_body(request, self._max_body)
        except BodyTooLarge:
            return _problem(413, f"body over {self._max_body} bytes")
        except ClientDisconnect:
            return Response(status_code=400)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _problem(400, "the body is not JSON")
        if not isinstance(payload, dict):
            return _problem(400, "the body is not a JSON object")
        try:
            await self._trigger.mark(odoo_dirty(payload))
        except InboxUnavailable:
            return _problem(503, "the state database is not available")
        return JSONResponse({"status": "enqueued"})
