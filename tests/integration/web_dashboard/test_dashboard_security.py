"""Dashboard access over ASGI with a real (SQLite) state database: login, sessions, CSRF,
lock-out, store scoping, and no secret in any page.

Both remote APIs answer 401 here (an ``httpx.MockTransport``): the pages that read them live
must show the failure without leaking a credential.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shopify_odoo.config import Settings, settings_from_mapping
from shopify_odoo.engine.dashboard_access import LoginGuard
from shopify_odoo.engine.problems import record_problem
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.store import migrate
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.store.tables import (
    audit_log,
    errors_for_people,
    jobs,
    order_links,
    product_links,
)
from shopify_odoo.store.types import utcnow
from shopify_odoo.web.dashboard import create_site
from shopify_odoo.web.passwords import hash_password, verify_password
from shopify_odoo.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE

from .conftest import PASSWORD, SESSION_SECRET, TOKEN, config

D = "/dashboard"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refuse_all(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"errors": "[API] Invalid API key or access token"})


class Site:
    def __init__(self, client: httpx.AsyncClient, db: Database, clock: Clock, rt: Runtime):
        self.client = client
        self.db = db
        self.clock = clock
        self.rt = rt

    async def login_form(self) -> str:
        response = await self.client.get(f"{D}/login")
        assert response.status_code == 200
        return response.cookies.get(LOGIN_CSRF_COOKIE) or self.client.cookies[LOGIN_CSRF_COOKIE]

    async def login(self, secret: str = PASSWORD, **extra: str) -> httpx.Response:
        csrf = await self.login_form()
        data = {"csrf": csrf, "password": secret, "name": "alice", **extra}
        return await self.client.post(f"{D}/login", data=data)

    async def csrf(self) -> str:
        page = await self.client.get(f"{D}/jobs")
        assert page.status_code == 200
        match = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert match
        return match.group(1)


async def _site(tmp_path: Path, dashboard: dict[str, Any], url: str) -> AsyncIterator[Site]:
    file_url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    settings: Settings = settings_from_mapping(config(file_url, **dashboard))
    await migrate.upgrade(url)
    db = await open_database(url)
    transport = httpx.MockTransport(refuse_all)
    rt = await Runtime.open(
        settings,
        db=db,
        shopify_transports={"eu": transport, "us": transport},
        odoo_transport=transport,
    )
    clock = Clock()
    app = create_site(rt, guard=LoginGuard(db, clock=clock))
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=("10.0.0.7", 5000)),
                base_url="http://testserver",
            ) as client,
        ):
            yield Site(client, db, clock, rt)
    finally:
        rt.owns_db = False
        await rt.aclose()
        await db.dispose()


FULL = {"token": TOKEN, "session_secret": SESSION_SECRET}
PASSWORD_HASH = hash_password(PASSWORD)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """Access rules only: SQLite is enough."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}"
    async for s in _site(tmp_path, {**FULL, "password_hash": PASSWORD_HASH}, url):
        yield s


@pytest.fixture
async def any_site(tmp_path: Path, db_url: str) -> AsyncIterator[Site]:
    """Store scoping reads the database: on SQLite and PostgreSQL."""
    async for s in _site(tmp_path, {**FULL, "password_hash": PASSWORD_HASH}, db_url):
        yield s


@pytest.fixture
async def closed_site(tmp_path: Path) -> AsyncIterator[Site]:
    async for s in _site(tmp_path, {}, f"sqlite+aiosqlite:///{tmp_path / 'closed.db'}"):
        yield s


def test_password_hashes_round_trip() -> None:
    for scheme in ("scrypt", "pbkdf2_sha256"):
        stored = hash_password("s3cret", scheme=scheme)
        assert PASSWORD not in stored
        assert "s3cret" not in stored
        assert verify_password("s3cret", stored)
        assert not verify_password("s3cret ", stored)
    assert not verify_password("x", "scrypt$garbage")
    assert not verify_password("x", "plain-text-password")


async def test_every_page_refuses_access_without_login(site: Site) -> None:
    for path in ("/", "/locations", "/links", "/stock?sku=A", "/stores/eu/orders", "/jobs",
                 "/cutover", "/cutover/spot-check", "/audit"):  # fmt: skip
        response = await site.client.get(D + path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith(f"{D}/login")
    response = await site.client.post(f"{D}/jobs/purge", data={"csrf": "x"})
    assert response.status_code == 401


async def test_closed_by_default_without_password_or_token(closed_site: Site) -> None:
    page = await closed_site.client.get(f"{D}/login")
    assert "The dashboard is closed" in page.text
    response = await closed_site.login("anything")
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies
    assert (await closed_site.client.get(f"{D}/")).status_code == 303


async def test_wrong_password_is_refused_and_locks_out_after_five(site: Site) -> None:
    for _ in range(4):
        response = await site.login("wrong password")
        assert response.status_code == 401
        assert "Wrong password or token" in response.text
        assert SESSION_COOKIE not in response.cookies
    fifth = await site.login("wrong again")
    assert fifth.status_code == 401
    # locked: even the right password is refused now, for 15 minutes
    locked = await site.login(PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed logins from 10.0.0.7" in locked.text
    assert SESSION_COOKIE not in locked.cookies
    site.clock.now += 15 * 60 + 1
    ok = await site.login(PASSWORD)
    assert ok.status_code == 303
    assert SESSION_COOKIE in ok.cookies


async def test_login_sets_a_strict_httponly_cookie_secure_behind_tls(site: Site) -> None:
    response = await site.login(PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == f"{D}/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "secure" not in cookie.replace("samesite", "")
    overview = await site.client.get(f"{D}/")
    assert overview.status_code == 200
    assert "alice (password)" in overview.text
    site.client.cookies.clear()
    csrf = await site.login_form()
    tls = await site.client.post(
        f"{D}/login",
        data={"csrf": csrf, "password": TOKEN},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert tls.status_code == 303
    assert "; secure" in tls.headers["set-cookie"].lower()


async def test_login_without_its_csrf_token_is_refused(site: Site) -> None:
    await site.login_form()
    response = await site.client.post(f"{D}/login", data={"password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies


async def test_forms_without_the_csrf_token_are_refused(site: Site) -> None:
    assert (await site.login()).status_code == 303
    for data in ({}, {"csrf": "not-the-token"}):
        response = await site.client.post(
            f"{D}/locations/save",
            data={**data, "store": "eu", "shopify_location": "Popup", "odoo_locations": "WH/Stock"},
        )
        assert response.status_code == 403
        assert "security token is missing or out of date" in response.text
    # another site's form, even with the token, is refused by its Origin
    token = await site.csrf()
    cross = await site.client.post(
        f"{D}/jobs/purge", data={"csrf": token}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    async with site.db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(audit_log))).scalar() == 0


async def test_forged_or_tampered_session_cookies_are_refused(site: Site) -> None:
    from itsdangerous import URLSafeTimedSerializer

    forged = {
        "random": "eyJhIjoiYWRtaW4ifQ.ZZZZ.fake",
        "other key": URLSafeTimedSerializer(
            "not-the-key", salt="shopify-odoo-dashboard-session"
        ).dumps({"a": "mallory", "c": "x", "n": "y", "m": "password"}),
    }
    assert (await site.login()).status_code == 303
    real = site.client.cookies[SESSION_COOKIE]
    payload, _, sig = real.partition(".")
    forged["tampered"] = payload[:-2] + ("AA" if not payload.endswith("AA") else "BB") + "." + sig
    for name, value in forged.items():
        site.client.cookies.clear()
        site.client.cookies.set(SESSION_COOKIE, value)
        response = await site.client.get(f"{D}/audit")
        assert response.status_code == 303, name
        post = await site.client.post(f"{D}/jobs/retry", data={"csrf": "x"})
        assert post.status_code == 401, name


async def test_logout_ends_the_session(site: Site) -> None:
    assert (await site.login()).status_code == 303
    cookie = site.client.cookies[SESSION_COOKIE]
    token = await site.csrf()
    assert (await site.client.post(f"{D}/logout", data={"csrf": token})).status_code == 303
    site.client.cookies.set(SESSION_COOKIE, cookie)  # replaying the old cookie
    assert (await site.client.get(f"{D}/")).status_code == 303


async def test_bearer_token_reads_pages_and_a_wrong_one_is_refused(site: Site) -> None:
    ok = await site.client.get(f"{D}/audit", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    bad = await site.client.get(f"{D}/audit", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    for _ in range(4):  # guessing tokens locks the address out like wrong logins do
        await site.client.get(f"{D}/audit", headers={"Authorization": "Bearer nope"})
    locked = await site.client.get(f"{D}/audit", headers={"Authorization": f"Bearer {TOKEN}"})
    assert locked.status_code == 401
    site.clock.now += 15 * 60 + 1
    again = await site.client.get(f"{D}/audit", headers={"Authorization": f"Bearer {TOKEN}"})
    assert again.status_code == 200


async def _seed_two_stores(db: Database) -> int:
    now = utcnow()
    async with db.begin() as conn:
        for store, name in (("eu", "#EU1001"), ("us", "#US2002")):
            await conn.execute(
                order_links.insert().values(
                    store=store,
                    shopify_order_gid=f"gid://shopify/Order/{len(name)}{store}",
                    order_name=name,
                    state="parked",
                    parked_reason=f"secret-ish detail of {store}",
                    created_at=now,
                    updated_at=now,
                )
            )
            await record_problem(
                conn,
                store=store,
                kind="order",
                key=f"{store}:gid://shopify/Order/{len(name)}{store}",
                cause="unknown_variant",
                message=f"order {name} of store {store} has an unknown variant",
            )
        e = errors_for_people.c
        us_problem = (await conn.execute(select(e.id).where(e.store == "us"))).scalar_one()
    return int(us_problem)


async def test_another_stores_data_through_a_tampered_url_is_refused(any_site: Site) -> None:
    us_problem = await _seed_two_stores(any_site.db)
    assert (await any_site.login()).status_code == 303
    eu = await any_site.client.get(f"{D}/stores/eu/orders")
    assert eu.status_code == 200
    assert "#EU1001" in eu.text
    assert "#US2002" not in eu.text
    assert "store us" not in eu.text
    token = await any_site.csrf()
    # the id of store us's problem, sent through store eu's URL
    response = await any_site.client.post(
        f"{D}/stores/eu/problems/{us_problem}/reprocess", data={"csrf": token}
    )
    assert response.status_code == 404
    async with any_site.db.connect() as conn:
        queued = (await conn.execute(select(func.count()).select_from(jobs))).scalar()
        assert queued == 0  # nothing of store us was re-run
    for path in ("/stores/nosuch/orders", "/stores/..%2Fus/orders"):
        assert (await any_site.client.get(D + path)).status_code == 404
    # through its own store it works
    ok = await any_site.client.post(
        f"{D}/stores/us/problems/{us_problem}/reprocess",
        data={"csrf": token},
        follow_redirects=True,
    )
    assert ok.status_code == 200
    assert "1 job(s) queued again" in ok.text


async def test_no_secret_is_ever_rendered(any_site: Site) -> None:
    await _seed_two_stores(any_site.db)
    assert (await any_site.login()).status_code == 303
    secrets = [*any_site.rt.settings.secret_values(), PASSWORD]
    assert len(secrets) >= 6
    for path in ("/", "/locations", "/links", "/stock?sku=A", "/stores/eu/orders",
                 "/stores/us/orders", "/jobs", "/cutover", "/cutover/spot-check", "/audit",
                 "/login"):  # fmt: skip
        page = await any_site.client.get(D + path, follow_redirects=True)
        assert page.status_code in (200, 502), (path, page.status_code)
        for secret in secrets:
            assert secret not in page.text, (path, "a secret was rendered")
    page = await any_site.client.get(f"{D}/locations")
    assert "Could not read the locations of store eu" in page.text


async def test_webhooks_keep_their_own_hmac_auth(site: Site) -> None:
    response = await site.client.post(
        "/webhooks/shopify/eu", content=b"{}", headers={"X-Shopify-Topic": "orders/create"}
    )
    assert response.status_code == 401  # the HMAC check, not the dashboard's login
    assert response.json()["error"].startswith("HMAC signature missing")


async def test_next_never_leaves_the_dashboard(site: Site) -> None:
    response = await site.login(PASSWORD, next="https://evil.example/")
    assert response.headers["location"] == f"{D}/"
    site.client.cookies.clear()
    response = await site.login(PASSWORD, next=f"{D}/audit")
    assert response.headers["location"] == f"{D}/audit"


async def _dead_jobs(db: Database) -> dict[str, int]:
    now = utcnow()
    ids = {}
    async with db.begin() as conn:
        for name, kind, key in (
            ("eu", "order", "eu:gid://shopify/Order/1"),
            ("us", "order", "us:gid://shopify/Order/2"),
            ("stock", "stock", "42"),
        ):
            result = await conn.execute(
                jobs.insert().values(
                    kind=kind,
                    key=key,
                    lane="default",
                    state="dead",
                    priority=0,
                    not_before=now,
                    attempts=10,
                    max_attempts=10,
                    rerun=False,
                    last_error="boom",
                    last_error_kind="terminal",
                    created_at=now,
                    updated_at=now,
                )
            )
            ids[name] = int(result.inserted_primary_key[0])
    return ids


async def _states(db: Database) -> dict[int, str]:
    async with db.connect() as conn:
        return {r.id: r.state for r in await conn.execute(select(jobs.c.id, jobs.c.state))}


async def test_dead_letters_of_another_store_cannot_be_retried_or_purged(any_site: Site) -> None:
    ids = await _dead_jobs(any_site.db)
    assert (await any_site.login()).status_code == 303
    token = await any_site.csrf()
    eu_page = await any_site.client.get(f"{D}/stores/eu/orders")
    assert "eu:gid://shopify/Order/1" in eu_page.text
    assert "us:gid://shopify/Order/2" not in eu_page.text
    for what in ("purge", "retry"):
        refused = await any_site.client.post(
            f"{D}/stores/eu/jobs/{what}", data={"csrf": token, "job": str(ids["us"])}
        )
        assert refused.status_code == 404
        system = await any_site.client.post(
            f"{D}/jobs/{what}", data={"csrf": token, "job": str(ids["us"])}
        )
        assert system.status_code == 404
    unknown = await any_site.client.post(f"{D}/stores/eu/jobs/delete-all", data={"csrf": token})
    assert unknown.status_code == 404
    assert set((await _states(any_site.db)).values()) == {"dead"}
    # without ids: only this store's dead letters
    retried = await any_site.client.post(
        f"{D}/stores/eu/jobs/retry", data={"csrf": token}, follow_redirects=True
    )
    assert "1 dead letter(s) retried" in retried.text
    purged = await any_site.client.post(
        f"{D}/jobs/purge", data={"csrf": token}, follow_redirects=True
    )
    assert "1 dead letter(s) purged" in purged.text
    assert await _states(any_site.db) == {ids["eu"]: "pending", ids["us"]: "dead"}


async def test_unlink_by_hand_is_scoped_to_its_store_and_audited(any_site: Site) -> None:
    now = utcnow()
    async with any_site.db.begin() as conn:
        for store, pid in (("eu", 7), ("us", 8)):
            await conn.execute(
                product_links.insert().values(
                    store=store, odoo_product_id=pid, variant_gid=f"gid://shopify/ProductVariant/{pid}",
                    inventory_item_gid=f"gid://shopify/InventoryItem/{pid}", sku=f"SKU-{pid}",
                    matched_by="sku", status="linked", linked_at=now, updated_at=now,
                )
            )  # fmt: skip
    assert (await any_site.login()).status_code == 303
    token = await any_site.csrf()
    us_variant = "gid://shopify/ProductVariant/8"
    refused = await any_site.client.post(
        f"{D}/links/unlink", data={"csrf": token, "store": "eu", "variant_gid": us_variant}
    )
    assert refused.status_code == 404
    done = await any_site.client.post(
        f"{D}/links/unlink", data={"csrf": token, "store": "us", "variant_gid": us_variant}
    )
    assert done.status_code == 303
    async with any_site.db.connect() as conn:
        left = {r.store for r in await conn.execute(select(product_links.c.store))}
        queued = {(r.kind, r.key) for r in await conn.execute(select(jobs.c.kind, jobs.c.key))}
        audit = [(r.actor, r.action) for r in await conn.execute(select(audit_log))]
    assert left == {"eu"}
    assert queued == {("stock", "8")}  # its Shopify levels are no longer driven by us
    assert audit == [("alice (password)", "link.unlink")]
