"""Must-show: error envelopes in the shape of the fact sheet (missing record, access error,
validation error, unknown method, wrong credentials) over XML-RPC, JSON-RPC and JSON-2."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shopify_odoo.sandbox.odoo import OdooSandbox

DATA_KEYS = {"name", "debug", "message", "arguments", "context"}


async def jsonrpc(h: OdooSandbox, service: str, method: str, *args: Any) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{h.url}/jsonrpc",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": 7,
                "params": {"service": service, "method": method, "args": list(args)},
            },
        )
    assert response.status_code == 200  # §1.3: HTTP 200 even on error
    return response.json()  # type: ignore[no-any-return]


def obj(
    h: OdooSandbox,
    model: str,
    method: str,
    args: list[Any],
    kw: Any = None,
    uid: int = 2,
    password: str | None = None,
) -> tuple[Any, ...]:
    return (
        "object",
        "execute_kw",
        h.world.db,
        uid,
        password or h.password,
        model,
        method,
        args,
        kw or {},
    )


CASES = [
    # (what, model, method, args, uid/login, password, data.name, message start)
    (
        "missing record",
        "res.partner",
        "write",
        [[999999], {"name": "x"}],
        2,
        None,
        "odoo.exceptions.MissingError",
        "Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)",
    ),
    (
        "access error",
        "sale.order",
        "search",
        [[]],
        "viewer",
        "viewer",
        "odoo.exceptions.AccessError",
        "You are not allowed to access 'Sales Order' (sale.order)",
    ),
    (
        "validation error",
        "sale.order",
        "create",
        [{"client_order_ref": "x"}],
        2,
        None,
        "odoo.exceptions.ValidationError",
        "The operation cannot be completed:\n- Create/update: a mandatory field is not set.",
    ),
    (
        "unknown method",
        "sale.order",
        "foo",
        [[1]],
        2,
        None,
        "builtins.AttributeError",
        "type object 'sale.order' has no attribute 'foo'",
    ),
    (
        "wrong credentials",
        "res.partner",
        "search",
        [[]],
        2,
        "wrong",
        "odoo.exceptions.AccessDenied",
        "Access Denied",
    ),
]


@pytest.mark.parametrize("odoo_sandbox", ["17.0", "19.0"], indirect=True)
@pytest.mark.parametrize(
    ("what", "model", "method", "args", "who", "password", "name", "message"),
    CASES,
    ids=[c[0] for c in CASES],
)
async def test_jsonrpc_error_envelope(
    odoo_sandbox: OdooSandbox,
    what: str,
    model: str,
    method: str,
    args: list[Any],
    who: Any,
    password: str | None,
    name: str,
    message: str,
) -> None:
    """§1.3 + correction 5: code 200 (17) / 0 (19), "Odoo Server Error", exact data keys."""
    h = odoo_sandbox
    uid = (
        who
        if isinstance(who, int)
        else min(h.world.models["res.users"].table.ids_where("login", who))
    )
    if what == "unknown method" and h.world.profile.at_least(19, 0):
        message = "The method 'sale.order.foo' does not exist"
    body = await jsonrpc(h, *obj(h, model, method, args, uid=uid, password=password))
    # §1.3: the key order of Odoo's envelope and of serialize_exception's data
    assert list(body) == ["jsonrpc", "id", "error"]
    assert body["jsonrpc"] == "2.0"
    assert body["id"] == 7
    error = body["error"]
    assert list(error) == ["code", "message", "data"]
    assert error["code"] == (0 if h.world.profile.at_least(19, 0) else 200)
    assert error["message"] == "Odoo Server Error"
    assert list(error["data"]) == ["name", "debug", "message", "arguments", "context"]
    assert set(error["data"]) == DATA_KEYS
    assert error["data"]["name"] == name
    assert error["data"]["message"].startswith(message)
    assert error["data"]["arguments"] == [error["data"]["message"]]
    assert error["data"]["context"] == {}
    assert error["data"]["debug"].startswith("Traceback (most recent call last):")


@pytest.mark.parametrize("odoo_sandbox", ["16.0"], indirect=True)
async def test_wrong_credentials_everywhere(odoo_sandbox: OdooSandbox) -> None:
    """Correction 3 (authenticate → False) and correction 16 (session route error)."""
    h = odoo_sandbox
    assert (await jsonrpc(h, "common", "authenticate", h.world.db, "admin", "bad", {}))[
        "result"
    ] is False
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{h.url}/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {"db": h.world.db, "login": "admin", "password": h.api_key},
            },
        )
    error = r.json()["error"]  # §1.4: API keys refused on the interactive route
    assert error["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert error["data"]["message"] == "Access Denied"


@pytest.mark.parametrize("odoo_sandbox", ["17.0"], indirect=True)
async def test_session_routes(odoo_sandbox: OdooSandbox) -> None:
    """§1.4: authenticate sets session_id; call_kw needs it (else code 100)."""
    h = odoo_sandbox
    async with httpx.AsyncClient(base_url=h.url) as client:
        call = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 2,
            "params": {
                "model": "res.partner",
                "method": "search_count",
                "args": [[]],
                "kwargs": {},
            },
        }
        expired = (
            await client.post("/web/dataset/call_kw/res.partner/search_count", json=call)
        ).json()
        assert expired["error"]["code"] == 100
        login = await client.post(
            "/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {"db": h.world.db, "login": "admin", "password": "admin"},
            },
        )
        info = login.json()["result"]
        assert info["uid"] == 2
        assert info["server_version_info"][0] == 17
        assert "session_id" in login.cookies
        count = (await client.post("/web/dataset/call_kw", json=call)).json()
        assert count["result"] > 0
        version = (
            await client.post(
                "/web/webclient/version_info",
                json={"jsonrpc": "2.0", "method": "call", "id": 3, "params": {}},
            )
        ).json()["result"]
        assert set(version) == {
            "server_version",
            "server_version_info",
            "server_serie",
            "protocol_version",
        }


JSON2 = [
    # (what, model, method, body, status, name)
    (
        "missing record",
        "res.partner",
        "write",
        {"ids": [999999], "vals": {"name": "x"}},
        404,
        "odoo.exceptions.MissingError",
    ),
    (
        "validation",
        "sale.order",
        "create",
        {"vals_list": [{"note": "x"}]},
        422,
        "odoo.exceptions.ValidationError",
    ),
    ("private", "sale.order", "_action_confirm", {"ids": [1]}, 403, "odoo.exceptions.AccessError"),
    ("unknown method", "sale.order", "foo", {"ids": [1]}, 404, "werkzeug.exceptions.NotFound"),
    ("unknown model", "x.y", "search", {"domain": []}, 404, "werkzeug.exceptions.NotFound"),
    (
        "bad argument",
        "res.partner",
        "search",
        {"domian": []},
        422,
        "werkzeug.exceptions.UnprocessableEntity",
    ),
    (
        "ids on api.model",
        "res.partner",
        "search",
        {"ids": [1], "domain": []},
        422,
        "werkzeug.exceptions.UnprocessableEntity",
    ),
    (
        "unknown domain field",
        "res.partner",
        "search",
        {"domain": [["foo", "=", 1]]},
        500,
        "builtins.ValueError",
    ),
]


@pytest.mark.parametrize("odoo_sandbox", ["19.0"], indirect=True)
@pytest.mark.parametrize(
    ("what", "model", "method", "body", "status", "name"), JSON2, ids=[c[0] for c in JSON2]
)
async def test_json2_errors(
    odoo_sandbox: OdooSandbox,
    what: str,
    model: str,
    method: str,
    body: dict[str, Any],
    status: int,
    name: str,
) -> None:
    """Correction 6: statuses and the body key order name, message, arguments, context,
    debug."""
    h = odoo_sandbox
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{h.url}/json/2/{model}/{method}",
            json=body,
            headers={"Authorization": f"bearer {h.api_key}"},
        )
    assert r.status_code == status, r.text
    assert list(r.json()) == ["name", "message", "arguments", "context", "debug"]
    assert r.json()["name"] == name


@pytest.mark.parametrize("odoo_sandbox", ["19.0"], indirect=True)
async def test_json2_success_and_auth(odoo_sandbox: OdooSandbox) -> None:
    h = odoo_sandbox
    async with httpx.AsyncClient(base_url=h.url) as client:
        ok = await client.post(
            "/json/2/product.product/search_read",
            json={
                "domain": [["default_code", "like", "CAP"]],
                "fields": ["default_code"],
                "limit": 2,
            },
            headers={"Authorization": f"bearer {h.api_key}", "X-Odoo-Database": h.world.db},
        )
        assert ok.status_code == 200
        assert len(ok.json()) == 2  # raw value, no wrapper
        bad = await client.post(
            "/json/2/res.partner/search",
            json={"domain": []},
            headers={"Authorization": "bearer nope"},
        )
        assert bad.status_code == 401
        assert bad.json()["name"] == "werkzeug.exceptions.Unauthorized"
        pw = await client.post(
            "/json/2/res.partner/search",
            json={"domain": []},
            headers={"Authorization": f"bearer {h.password}"},
        )
        assert pw.status_code == 401  # JSON-2 needs an API key, not the password
        html = await client.post(
            "/json/2/res.partner/search",
            content=b"x",
            headers={"Authorization": f"bearer {h.api_key}", "Content-Type": "text/plain"},
        )
        assert html.status_code == 415
        assert html.headers["content-type"].startswith("text/html")
        version = await client.get("/web/version")
        assert version.json() == {"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"}


@pytest.mark.parametrize("odoo_sandbox", ["18.0"], indirect=True)
async def test_json2_absent_before_its_version(odoo_sandbox: OdooSandbox) -> None:
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{odoo_sandbox.url}/json/2/res.partner/search",
            json={},
            headers={"Authorization": f"bearer {odoo_sandbox.api_key}"},
        )
    assert r.status_code == 404


@pytest.mark.parametrize("odoo_sandbox", ["16.0"], indirect=True)
async def test_xmlrpc_fault_codes_new_and_legacy(odoo_sandbox: OdooSandbox) -> None:
    """Correction 2: integer codes on /xmlrpc/2, string codes on the legacy /xmlrpc."""
    import asyncio
    import xmlrpc.client

    h = odoo_sandbox

    def faults(path: str) -> list[tuple[Any, str]]:
        obj = xmlrpc.client.ServerProxy(f"{h.url}{path}")
        out = []
        viewer = min(h.world.models["res.users"].table.ids_where("login", "viewer"))
        for uid, password, model, method, args in [
            (2, "admin", "res.partner", "write", [[999999], {"name": "x"}]),
            (2, "admin", "sale.order", "_foo", [[1]]),
            (2, "wrong", "res.partner", "search", [[]]),
            (2, "admin", "sale.order", "foo", [[1]]),
            (2, "admin", "sale.order", "create", [{"client_order_ref": "x"}]),
            (viewer, "viewer", "sale.order", "search", [[]]),
        ]:
            try:
                obj.execute_kw(h.world.db, uid, password, model, method, args)
            except xmlrpc.client.Fault as fault:
                out.append((fault.faultCode, fault.faultString))
        return out

    new = await asyncio.to_thread(faults, "/xmlrpc/2/object")
    # correction 2: missing 2, private (AccessError) 4, AccessDenied 3, AttributeError 1,
    # ValidationError 2, AccessError 4; faultString = str(exc), or the traceback for code 1
    assert [code for code, _ in new] == [2, 4, 3, 1, 2, 4]
    assert new[0][1] == (
        "Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)"
    )
    assert new[1][1] == "Private methods (such as _foo) cannot be called remotely."
    assert new[2][1] == "Access Denied"
    assert new[3][1].startswith("Traceback (most recent call last):")
    assert (
        new[3][1]
        .rstrip()
        .endswith("AttributeError: type object 'sale.order' has no attribute 'foo'")
    )
    assert new[4][1].startswith("The operation cannot be completed:")
    assert new[5][1].startswith("You are not allowed to access 'Sales Order' (sale.order)")
    legacy = await asyncio.to_thread(faults, "/xmlrpc/object")
    assert legacy[0] == (
        "warning -- MissingError\n\nRecord does not exist or has been deleted."
        "\n(Record: res.partner(999999,), User: 2)",
        "",
    )
    assert legacy[1][0].startswith("warning -- AccessError\n\nPrivate methods")
    assert legacy[2] == ("AccessDenied", "Access Denied")


@pytest.mark.parametrize("odoo_sandbox", ["19.0", "saas~18.4"], indirect=True)
async def test_json2_order_to_delivery(odoo_sandbox: OdooSandbox) -> None:
    """§1.5: named arguments only, one transaction per call; an order confirmed and its
    delivery validated with the §3.7 context, over JSON-2."""
    h = odoo_sandbox
    headers = {"Authorization": f"bearer {h.api_key}"}
    async with httpx.AsyncClient(base_url=f"{h.url}/json/2", headers=headers) as client:

        async def call(model: str, method: str, **body: Any) -> Any:
            r = await client.post(f"/{model}/{method}", json=body)
            assert r.status_code == 200, r.text
            return r.json()

        product = (
            await call(
                "product.product", "search", domain=[["default_code", "like", "CAP-"]], limit=1
            )
        )[0]
        tax_field = h.world.profile.so_line_tax_field
        [so] = await call(
            "sale.order",
            "create",
            vals_list=[
                {
                    "partner_id": 7,
                    "client_order_ref": "eu#2002",
                    "order_line": [
                        [
                            0,
                            0,
                            {"product_id": product, "product_uom_qty": 1, tax_field: [[6, 0, [1]]]},
                        ]
                    ],
                }
            ],
        )
        assert await call("sale.order", "action_confirm", ids=[so]) is True
        [picking] = await call("stock.picking", "search", domain=[["sale_id", "=", so]])
        done = await call(
            "stock.picking",
            "button_validate",
            ids=[picking],
            context={"skip_backorder": True, "skip_sms": True},
        )
        assert done is True
        rows = await call("stock.picking", "read", ids=[picking], fields=["state"])
        assert rows[0]["state"] == "done"
        uid = await call("res.users", "context_get")
        assert uid["uid"] == 2
