"""Webhook delivery: real headers and HMAC (§d.3, correction 14), at-least-once with a 5 s
timeout and retries with backoff (§d.4), and fault knobs (duplicates, reordering, delay,
drop-then-retry; a receiver that is down is simply a failed attempt)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from .clock import triggered_at
from .world import Store, World, new_event_id

log = logging.getLogger(__name__)

API_VERSION = "2026-04"
#: Topics the sandbox emits (§d.1), as REST topic strings.
TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/edited",
    "orders/cancelled",
    "orders/fulfilled",
    "orders/partially_fulfilled",
    "inventory_levels/update",
    "inventory_items/update",
    "products/create",
    "products/update",
    "products/delete",
    "customers/create",
    "customers/update",
    "fulfillments/create",
    "fulfillments/update",
    "refunds/create",
    "bulk_operations/finish",
    "app/uninstalled",
)


def topic_enum(topic: str) -> str:
    """``orders/create`` → ``ORDERS_CREATE`` (WebhookSubscriptionTopic)."""
    return topic.replace("/", "_").upper()


def enum_topic(value: str) -> str:
    for t in TOPICS:
        if topic_enum(t) == value:
            return t
    return value.lower().replace("_", "/", 1)


def sign(secret: str, body: bytes) -> str:
    """X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body, keyed by the app's client
    secret (§d.3)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class WebhookKnobs:
    duplicate: int = 0  # extra copies of every delivery (same Webhook-Id)
    reorder_window: int = 0  # deliveries held and shuffled in groups of this size
    delay: float = 0.0  # seconds before each first attempt
    drop_first: int = 0  # the next N attempts are lost (then retried)
    retry_delays: tuple[float, ...] = (0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6)
    # real Shopify: 8 retries over 4 hours (§d.4); the sandbox compresses the schedule
    timeout: float = 5.0  # §d.4: 5 s to answer with 2xx


@dataclass
class Delivery:
    webhook_id: str
    store: str
    topic: str
    uri: str
    body: bytes
    headers: dict[str, str]
    attempts: int = 0
    status: str = "pending"  # pending | delivered | failed
    responses: list[int | str] = field(default_factory=list)


class Outbox:
    """Queues deliveries and sends them in background tasks of the running event loop."""

    def __init__(self, world: World, *, seed: int = 0) -> None:
        self.world = world
        self.knobs = WebhookKnobs()
        self.log: list[Delivery] = []
        self._rng = random.Random(seed)
        self._held: list[Delivery] = []
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self.running = False
        world.sink = self.publish

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self._timeout())
        self.running = True

    async def stop(self) -> None:
        self.running = False
        for t in list(self._tasks):
            t.cancel()
        for t in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):  # shutting down
                await t
        if self._client is not None:
            await self._client.aclose()

    # -------------------------------------------------------------- publish

    def publish(self, store: Store, topic: str, body: dict[str, Any], event_id: str | None) -> None:
        """One delivery per subscription of ``store`` to ``topic``."""
        enum = topic_enum(topic)
        subs = [s for s in store.subscriptions.values() if s.topic == enum]
        if not subs:
            return
        event_id = event_id or new_event_id()
        now = self.world.now()
        for sub in subs:
            payload = (
                {k: body[k] for k in sub.include_fields if k in body}
                if sub.include_fields
                else body
            )
            raw = json.dumps(payload, separators=(",", ":")).encode()
            webhook_id = str(uuid.uuid4())
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": sign(store.client_secret, raw),
                "X-Shopify-Shop-Domain": store.domain,
                "X-Shopify-API-Version": API_VERSION,
                "X-Shopify-Webhook-Id": webhook_id,
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": triggered_at(now),
            }
            if sub.name:
                headers["X-Shopify-Name"] = sub.name
            if topic.startswith("orders/") and "id" in body:
                headers["X-Shopify-Order-Id"] = str(body["id"])  # context header (correction 14)
            if topic.startswith("products/") and "id" in body:
                headers["X-Shopify-Product-Id"] = str(body["id"])
            d = Delivery(webhook_id, store.handle, topic, sub.uri, raw, headers)
            self.log.append(d)
            self._enqueue(d)

    def _enqueue(self, d: Delivery) -> None:
        k = self.knobs
        copies = 1 + max(0, k.duplicate)
        self._pending += copies
        self._idle.clear()
        if k.reorder_window > 1:
            self._held.extend([d] * copies)
            if len(self._held) >= k.reorder_window:
                self.flush_held()
            return
        for _ in range(copies):
            self._spawn(d, k.delay)

    def flush_held(self) -> None:
        """Send the held deliveries in a shuffled order (reordering knob)."""
        batch, self._held = self._held, []
        self._rng.shuffle(batch)
        for i, d in enumerate(batch):
            self._spawn(d, self.knobs.delay + i * 0.01)

    def _spawn(self, d: Delivery, delay: float) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (pure in-process use): the delivery stays in the log only
        task = loop.create_task(self._deliver(d, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, d: Delivery, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            schedule = self.knobs.retry_delays
            for attempt in range(len(schedule) + 1):
                if await self._attempt(d):
                    d.status = "delivered"
                    return
                if attempt < len(schedule):
                    await asyncio.sleep(schedule[attempt])
            d.status = "failed"
            log.warning(
                "webhook delivery failed",
                extra={"action": "webhook", "topic": d.topic, "store": d.store},
            )
        finally:
            self._pending -= 1
            if self._pending <= 0 and not self._held:
                self._pending = 0
                self._idle.set()

    async def _attempt(self, d: Delivery) -> bool:
        d.attempts += 1
        if self.knobs.drop_first > 0:
            self.knobs.drop_first -= 1
            d.responses.append("dropped")
            return False
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.knobs.timeout)
        try:
            resp = await self._client.post(
                d.uri, content=d.body, headers=d.headers, timeout=self._timeout()
            )
        except httpx.HTTPError as exc:
            d.responses.append(type(exc).__name__)
            return False
        d.responses.append(resp.status_code)
        return 200 <= resp.status_code < 300  # only 2xx counts as accepted (§d.4)

    def _timeout(self) -> httpx.Timeout:
        # §d.4: 1 s to accept the connection, 5 s in all to answer with 2xx
        return httpx.Timeout(self.knobs.timeout, connect=min(1.0, self.knobs.timeout))

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until every queued delivery has been delivered or has given up."""
        if self._held:
            self.flush_held()
        await asyncio.wait_for(self._idle.wait(), timeout)

    @property
    def pending(self) -> int:
        return self._pending
