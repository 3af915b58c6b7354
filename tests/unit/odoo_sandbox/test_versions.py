"""Table-driven checks of every version difference the profiles claim (fact-sheet §10).

Each row names the fact-sheet section it follows and the value expected per profile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from shopify_odoo.sandbox.odoo import parse_version
from shopify_odoo.sandbox.odoo.errors import AccessError
from shopify_odoo.sandbox.odoo.world import ApiKey
from tests.plugins.odoo_sandbox import InProcessOdoo

V = ("16.0", "17.0", "18.0", "19.0")


def fields_of(odoo: InProcessOdoo, model: str) -> set[str]:
    return set(odoo(model, "fields_get", attributes=["type"]))


def error_text(fn: Callable[[], Any]) -> str:
    try:
        fn()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "no error"


def delivery_validate(odoo: InProcessOdoo) -> Any:
    """Confirm a 1-unit order of an in-stock SKU, validate its delivery once."""
    product = odoo("product.product", "search", [("qty_available", ">", 2)], limit=1)[0]
    so = odoo(
        "sale.order",
        "create",
        {"partner_id": 7, "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]]},
    )
    odoo("sale.order", "action_confirm", [so])
    picking = odoo("stock.picking", "search", [("sale_id", "=", so)])[0]
    result = odoo("stock.picking", "button_validate", [picking])
    return result["res_model"] if isinstance(result, dict) else result


def expired_key_login(odoo: InProcessOdoo) -> Any:
    world = odoo.world
    world.api_keys["old"] = ApiKey("old", 2, "old", expires=world.utcnow() - dt.timedelta(1))
    return odoo.dispatcher.authenticate(world.db, "admin", "old")


def lock_order(odoo: InProcessOdoo) -> Any:
    """§4.1: 16.0 locks with the ``done`` state, 16.4+ with the ``locked`` Boolean."""
    product = odoo("product.product", "search", [("qty_available", ">", 2)], limit=1)[0]
    so = odoo(
        "sale.order",
        "create",
        {"partner_id": 7, "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]]},
    )
    odoo("sale.order", "action_confirm", [so])
    if odoo.world.profile.so_locked:
        odoo("sale.order", "action_lock", [so])
        return odoo("sale.order", "read", [so], ["state", "locked"])[0]["locked"]
    odoo("sale.order", "action_done", [so])
    return odoo("sale.order", "read", [so], ["state"])[0]["state"]


def validate_draft_internal(odoo: InProcessOdoo) -> Any:
    """Correction 13: 17+ button_validate on a draft picking confirms it and sets
    quantity = demand; 16 returns the immediate transfer wizard."""
    product = odoo("product.product", "search", [("qty_available", ">", 2)], limit=1)[0]
    wh = odoo("stock.warehouse", "search_read", [("code", "=", "WH")], ["int_type_id"])[0]
    picking = odoo(
        "stock.picking",
        "create",
        {
            "picking_type_id": wh["int_type_id"][0],
            "move_ids": [[0, 0, {"product_id": product, "product_uom_qty": 1}]],
        },
    )
    result = odoo("stock.picking", "button_validate", [picking])
    state = odoo("stock.picking", "read", [picking], ["state"])[0]["state"]
    return (result["res_model"] if isinstance(result, dict) else result, state)


def storable_vals(odoo: InProcessOdoo) -> dict[str, Any]:
    if odoo.world.profile.is_storable:
        return {"type": "consu", "is_storable": True}
    return {"detailed_type": "product"}


def validate_unreserved(odoo: InProcessOdoo) -> str:
    """Correction 13: the sanity-check texts of 16 and 17/18 when nothing is reserved."""
    product = odoo(
        "product.product",
        "create",
        {"name": "Empty", "default_code": "EMPTY-1", **storable_vals(odoo)},
    )
    so = odoo(
        "sale.order",
        "create",
        {"partner_id": 7, "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]]},
    )
    odoo("sale.order", "action_confirm", [so])
    picking = odoo("stock.picking", "search", [("sale_id", "=", so)])[0]
    return error_text(lambda: odoo("stock.picking", "button_validate", [picking]))


def company_default_price_include(odoo: InProcessOdoo) -> Any:
    """§4.2: 18 computes price_include from the company's account_price_include."""
    if "account_price_include" in fields_of(odoo, "res.company"):
        odoo("res.company", "write", [1], {"account_price_include": "tax_included"})
    tax = odoo("account.tax", "create", {"name": "T", "amount": 5.0, "company_id": 1})
    return odoo("account.tax", "read", [tax], ["price_include"])[0]["price_include"]


def warehouse_key_filters(odoo: InProcessOdoo) -> list[bool]:
    """§3.4: which context key scopes quantities to a warehouse (no fallback in 18+)."""
    wh = odoo("stock.warehouse", "search", [("code", "=", "3PL")])[0]
    product = odoo("product.product", "search", [("default_code", "!=", False)], limit=1)[0]
    total = odoo("product.product", "read", [product], ["qty_available"])[0]["qty_available"]
    out = []
    for key in ("warehouse", "warehouse_id"):
        scoped = odoo("product.product", "read", [product], ["qty_available"], context={key: wh})[
            0
        ]["qty_available"]
        out.append(scoped != total)
    return out


CASES: list[tuple[str, str, Callable[[InProcessOdoo], Any], dict[str, Any]]] = [
    (
        "correction 1",
        "version_info has 6 elements",
        lambda o: len(o.world.profile.version_info()),
        dict.fromkeys(V, 6),
    ),
    (
        "correction 5",
        "JSON-RPC error.code",
        lambda o: o.world.profile.jsonrpc_error_code,
        {"16.0": 200, "17.0": 200, "18.0": 200, "19.0": 0},
    ),
    (
        "correction 7",
        "private method message",
        lambda o: error_text(lambda: o("sale.order", "_action_confirm", [1])),
        {
            v: "AccessError: Private methods (such as _action_confirm) cannot be called remotely."
            for v in V[:3]
        }
        | {
            "19.0": "AccessError: Private methods (such as "
            "'sale.order._action_confirm') cannot be called remotely."
        },
    ),
    (
        "correction 8",
        "unknown public method",
        lambda o: error_text(lambda: o("sale.order", "foo", [1])),
        {
            "16.0": "AttributeError: type object 'sale.order' has no attribute 'foo'",
            "17.0": "AttributeError: type object 'sale.order' has no attribute 'foo'",
            "18.0": "AttributeError: The method 'foo' does not exist on the model 'sale.order'",
            "19.0": "AttributeError: The method 'sale.order.foo' does not exist",
        },
    ),
    (
        "correction 10",
        "unknown field in a domain",
        lambda o: error_text(lambda: o("res.partner", "search", [("foo", "=", 1)])),
        {v: "ValueError: Invalid field res.partner.foo in leaf ('foo', '=', 1)" for v in V[:3]}
        | {"19.0": "ValueError: Invalid field res.partner.foo in condition ('foo', '=', 1)"},
    ),
    (
        "§3.1",
        "product.template has detailed_type",
        lambda o: "detailed_type" in fields_of(o, "product.template"),
        {"16.0": True, "17.0": True, "18.0": False, "19.0": False},
    ),
    (
        "§3.1",
        "product.template has is_storable",
        lambda o: "is_storable" in fields_of(o, "product.template"),
        {"16.0": False, "17.0": False, "18.0": True, "19.0": True},
    ),
    (
        "§3.1 / correction 15",
        "type='product' accepted",
        lambda o: error_text(
            lambda: o("product.template", "create", {"name": "X", "type": "product"})
        )[:10],
        {"16.0": "no error", "17.0": "no error", "18.0": "ValueError", "19.0": "ValueError"},
    ),
    (
        "§3.5",
        "stock.move.line quantity fields",
        lambda o: sorted(
            {"qty_done", "quantity", "picked", "reserved_uom_qty"} & fields_of(o, "stock.move.line")
        ),
        {
            "16.0": ["qty_done", "reserved_uom_qty"],
            "17.0": ["picked", "quantity"],
            "18.0": ["picked", "quantity"],
            "19.0": ["picked", "quantity"],
        },
    ),
    (
        "§3.7 / §10",
        "button_validate on a reserved delivery with nothing done",
        delivery_validate,
        {"16.0": "stock.immediate.transfer", "17.0": True, "18.0": True, "19.0": True},
    ),
    (
        "§4.1",
        "sale.order has locked",
        lambda o: "locked" in fields_of(o, "sale.order"),
        {"16.0": False, "17.0": True, "18.0": True, "19.0": True},
    ),
    (
        "§4.2",
        "sale.order.line tax field",
        lambda o: sorted({"tax_id", "tax_ids"} & fields_of(o, "sale.order.line")),
        {"16.0": ["tax_id"], "17.0": ["tax_id"], "18.0": ["tax_id"], "19.0": ["tax_ids"]},
    ),
    (
        "§4.2",
        "sale.order.line uom field",
        lambda o: sorted({"product_uom", "product_uom_id"} & fields_of(o, "sale.order.line")),
        {
            "16.0": ["product_uom"],
            "17.0": ["product_uom"],
            "18.0": ["product_uom"],
            "19.0": ["product_uom_id"],
        },
    ),
    (
        "§4.2",
        "account.tax price_include_override",
        lambda o: "price_include_override" in fields_of(o, "account.tax"),
        {"16.0": False, "17.0": False, "18.0": True, "19.0": True},
    ),
    (
        "§2.2 / correction 11",
        "formatted_read_group callable",
        lambda o: error_text(
            lambda: o("stock.quant", "formatted_read_group", [], ["location_id"], ["quantity:sum"])
        )[:14],
        {
            "16.0": "AttributeError",
            "17.0": "AttributeError",
            "18.0": "AttributeError",
            "19.0": "no error",
        },
    ),
    (
        "§2.2",
        "name_search keyword for the domain",
        lambda o: [
            error_text(lambda k=k: o("res.partner", "name_search", "Azure", **{k: []}))[:9]
            for k in ("args", "domain")
        ],
        {
            "16.0": ["no error", "TypeError"],
            "17.0": ["no error", "TypeError"],
            "18.0": ["no error", "TypeError"],
            "19.0": ["TypeError", "no error"],
        },
    ),
    (
        "§2.2",
        "name_get available",
        lambda o: error_text(lambda: o("res.partner", "name_get", [1]))[:14],
        {
            "16.0": "no error",
            "17.0": "AttributeError",
            "18.0": "AttributeError",
            "19.0": "AttributeError",
        },
    ),
    (
        "§3.4",
        "warehouse context key",
        lambda o: o.world.profile.warehouse_context_key,
        {"16.0": "warehouse", "17.0": "warehouse", "18.0": "warehouse_id", "19.0": "warehouse_id"},
    ),
    (
        "§3.8",
        "return wizard method",
        lambda o: o.world.profile.return_method,
        {
            "16.0": "create_returns",
            "17.0": "create_returns",
            "18.0": "action_create_returns",
            "19.0": "action_create_returns",
        },
    ),
    (
        "§5",
        "res.partner.mobile",
        lambda o: "mobile" in fields_of(o, "res.partner"),
        {"16.0": True, "17.0": True, "18.0": True, "19.0": False},
    ),
    (
        "§7.1",
        "webhook automation available",
        lambda o: o.world.profile.webhooks,
        {"16.0": False, "17.0": True, "18.0": True, "19.0": True},
    ),
    (
        "§1.1",
        "expired API key still authenticates",
        expired_key_login,
        {"16.0": 2, "17.0": 2, "18.0": None, "19.0": None},
    ),
    (
        "§1.5",
        "JSON-2 available",
        lambda o: o.world.profile.has_json2,
        {"16.0": False, "17.0": False, "18.0": False, "19.0": True},
    ),
    (
        "§4.1",
        "locking a confirmed order",
        lock_order,
        {"16.0": "done", "17.0": True, "18.0": True, "19.0": True},
    ),
    (
        "§5",
        "'private' partner type",
        lambda o: "private" in dict(o("res.partner", "fields_get", ["type"])["type"]["selection"]),
        {"16.0": True, "17.0": False, "18.0": False, "19.0": False},
    ),
    (
        "correction 11",
        "read_group still answers, count key",
        lambda o: sorted(o("stock.quant", "read_group", [], ["quantity:sum"], ["location_id"])[0]),
        {key: ["__domain", "location_id", "location_id_count", "quantity"] for key in V},
    ),
    (
        "correction 13",
        "button_validate on a draft internal transfer",
        validate_draft_internal,
        {
            "16.0": ("stock.immediate.transfer", "assigned"),
            "17.0": (True, "done"),
            "18.0": (True, "done"),
            "19.0": (True, "done"),
        },
    ),
    (
        "correction 13",
        "validating with nothing reserved",
        validate_unreserved,
        {
            "16.0": "UserError: You cannot validate a transfer if no quantities are reserved nor "
            "done. To force the transfer, switch in edit mode and encode the done quantities.",
            **{
                v: "UserError: You cannot validate a transfer if no quantities are reserved. "
                "To force the transfer, encode quantities."
                for v in V[1:]
            },
        },
    ),
    (
        "§4.2",
        "price_include from the company default",
        company_default_price_include,
        {"16.0": False, "17.0": False, "18.0": True, "19.0": True},
    ),
    (
        "§3.4",
        "quantities scoped by 'warehouse' / 'warehouse_id'",
        warehouse_key_filters,
        {
            "16.0": [True, False],
            "17.0": [True, False],
            "18.0": [False, True],
            "19.0": [False, True],
        },
    ),
    (
        "§3.8 / §10",
        "create_returns callable",
        lambda o: error_text(lambda: o("stock.return.picking", "create_returns", [1]))[:14],
        {
            "16.0": "MissingError: ",
            "17.0": "MissingError: ",
            "18.0": "AttributeError",
            "19.0": "AttributeError",
        },
    ),
]


@pytest.mark.parametrize("version", V)
@pytest.mark.parametrize(
    ("section", "what", "check", "expected"), CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES]
)
def test_version_difference(
    odoo_world: Callable[..., InProcessOdoo],
    version: str,
    section: str,
    what: str,
    check: Callable[[InProcessOdoo], Any],
    expected: dict[str, Any],
) -> None:
    assert check(odoo_world(version)) == expected[version], f"{section}: {what} on {version}"


@pytest.mark.parametrize(
    ("text", "key", "info0"),
    [
        ("16.0", (16, 0), 16),
        ("17.0+e", (17, 0), 17),
        ("saas~17.1", (17, 1), "saas~17"),
        ("saas~18.4+e", (18, 4), "saas~18"),
        ("19", (19, 0), 19),
    ],
)
def test_version_strings_compare_as_tuples(text: str, key: tuple[int, int], info0: Any) -> None:
    """How-to-read note + correction 1: saas~X.Y strings, gating on (major, minor)."""
    profile = parse_version(text)
    assert profile.key == key
    assert profile.version_info()[0] == info0


def test_saas_profiles_sit_between_majors() -> None:
    """saas~17.1 keeps 16/17 behaviours that changed in 17.3/18.0; saas~18.4 gets JSON-2."""
    assert not parse_version("saas~17.1").is_storable
    assert parse_version("saas~17.4").is_storable
    assert parse_version("saas~18.4").has_json2
    assert parse_version("saas~18.1").jsonrpc_error_code == 0
    assert parse_version("saas~18.2").public_method_guard


def test_unauthorized_company_refused(odoo_world: Callable[..., InProcessOdoo]) -> None:
    """§1.7: an allowed_company_ids entry the user lacks → AccessError."""
    odoo = odoo_world("17.0")
    with pytest.raises(AccessError, match="unauthorized or invalid companies"):
        odoo(
            "res.partner", "search", [], uid=odoo.uid("clerk"), context={"allowed_company_ids": [2]}
        )


@pytest.mark.parametrize(
    ("text", "server_version", "info"),
    [
        ("16.0", "16.0", [16, 0, 0, "final", 0, ""]),
        ("17.0+e", "17.0+e", [17, 0, 0, "final", 0, "e"]),
        ("saas~17.1", "saas~17.1+e", ["saas~17", 1, 0, "final", 0, "e"]),
    ],
)
def test_version_dict_shape(text: str, server_version: str, info: list[Any]) -> None:
    """Correction 1: exactly four keys; 6-element info; SaaS first element is a string."""
    version = parse_version(text).version_dict()
    assert set(version) == {
        "server_version",
        "server_version_info",
        "server_serie",
        "protocol_version",
    }
    assert version["server_version"] == server_version
    assert version["server_version_info"] == info
    assert version["protocol_version"] == 1


# Odoo Online runs saas~X.Y releases between the majors (fact sheet, "How to read this file"):
# each difference is gated on (major, minor), so the intermediate releases get the switch at
# the release the fact sheet names, observed here through the RPC surface.
SAAS: list[tuple[str, str, Callable[[InProcessOdoo], Any], dict[str, Any]]] = [
    (
        "§4.1",
        "locked Boolean from 16.4",
        lambda o: "locked" in fields_of(o, "sale.order"),
        {"saas~16.3": False, "saas~16.4": True},
    ),
    (
        "§5",
        "'private' contact type removed in 16.4",
        lambda o: "private" in dict(o("res.partner", "fields_get", ["type"])["type"]["selection"]),
        {"saas~16.3": True, "saas~16.4": False},
    ),
    (
        "§3.1 / correction 15",
        "is_storable from the 17.3 stock revamp",
        lambda o: sorted({"detailed_type", "is_storable"} & fields_of(o, "product.template")),
        {"saas~17.2": ["detailed_type"], "saas~17.3": ["is_storable"]},
    ),
    (
        "correction 5",
        "JSON-RPC error.code 0 from saas-18.1",
        lambda o: o.world.profile.jsonrpc_error_code,
        {"18.0": 200, "saas~18.1": 0},
    ),
    (
        "correction 7",
        "private-method wording from saas-18.2",
        lambda o: error_text(lambda: o("sale.order", "_action_confirm", [1])),
        {
            "saas~18.1": "AccessError: Private methods (such as _action_confirm) cannot be "
            "called remotely.",
            "saas~18.2": "AccessError: Private methods (such as "
            "'sale.order._action_confirm') cannot be called remotely.",
        },
    ),
    (
        "§5",
        "res.partner.mobile removed in 18.2",
        lambda o: "mobile" in fields_of(o, "res.partner"),
        {"saas~18.1": True, "saas~18.2": False},
    ),
    (
        "§2.2",
        "name_search keyword 'domain' from 18.3",
        lambda o: error_text(lambda: o("res.partner", "name_search", "Azure", domain=[]))[:9],
        {"saas~18.2": "TypeError", "saas~18.3": "no error"},
    ),
    (
        "§1.5",
        "JSON-2 from saas 18.4",
        lambda o: o.world.profile.has_json2,
        {"saas~18.3": False, "saas~18.4": True},
    ),
    (
        "§4.2",
        "sale.order.line tax field renamed only in 19",
        lambda o: sorted({"tax_id", "tax_ids"} & fields_of(o, "sale.order.line")),
        {"saas~18.4": ["tax_id"], "19.0": ["tax_ids"], "saas~19.1": ["tax_ids"]},
    ),
]


@pytest.mark.parametrize(
    ("section", "what", "check", "expected"), SAAS, ids=[f"{c[0]}: {c[1]}" for c in SAAS]
)
def test_saas_release_switches(
    odoo_world: Callable[..., InProcessOdoo],
    section: str,
    what: str,
    check: Callable[[InProcessOdoo], Any],
    expected: dict[str, Any],
) -> None:
    got = {version: check(odoo_world(version)) for version in expected}
    assert got == expected, f"{section}: {what}"
