"""Version strings and the capabilities table, one row per fact-sheet section."""

from __future__ import annotations

from typing import Any

import pytest

from shopify_odoo.errors import TerminalError
from shopify_odoo.odoo.capabilities import capabilities_for
from shopify_odoo.odoo.version import (
    parse_version,
    parse_version_info,
    version_from_answer,
)


@pytest.mark.parametrize(
    ("text", "expected", "saas", "enterprise"),
    [
        ("16.0", (16, 0), False, False),
        ("17.0+e", (17, 0), False, True),
        ("saas~17.1+e", (17, 1), True, True),
        ("saas~19.1+e", (19, 1), True, True),
        ("18.0", (18, 0), False, False),
        ("19.0", (19, 0), False, False),
        ("saas~18.4", (18, 4), True, False),
        ("17.0+e-20240101", (17, 0), False, True),
    ],
)
def test_parse_version_strings(
    text: str, expected: tuple[int, int], saas: bool, enterprise: bool
) -> None:
    version = parse_version(text)
    assert version.tuple == expected
    assert version.saas is saas
    assert version.enterprise is enterprise
    assert str(version) == text


@pytest.mark.parametrize(
    ("info", "expected", "saas"),
    [
        # correction 1: 6-element arrays; SaaS puts the string "saas~N" first
        ([16, 0, 0, "final", 0, ""], (16, 0), False),
        ([17, 0, 0, "final", 0, "e"], (17, 0), False),
        (["saas~17", 1, 0, "final", 0, "e"], (17, 1), True),
        (["saas~19", 1, 0, "final", 0, "e"], (19, 1), True),
    ],
)
def test_parse_version_info(info: list[Any], expected: tuple[int, int], saas: bool) -> None:
    version = parse_version_info(info)
    assert version.tuple == expected
    assert version.saas is saas


def test_version_from_answers_of_every_endpoint() -> None:
    common = {
        "server_version": "saas~17.1+e",
        "server_version_info": ["saas~17", 1, 0, "final", 0, "e"],
        "server_serie": "saas~17.1",
        "protocol_version": 1,
    }
    assert version_from_answer(common).tuple == (17, 1)
    # 19: GET /web/version → {"version_info": [...], "version": "19.0"} (correction 1)
    assert version_from_answer(
        {"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"}
    ).tuple == (19, 0)
    assert version_from_answer({"server_version_info": [16, 0, 0, "final", 0, ""]}).tuple == (16, 0)


@pytest.mark.parametrize("bad", ["", "banana", "v17"])
def test_unreadable_version_is_terminal_with_a_fix(bad: str) -> None:
    with pytest.raises(TerminalError, match="unreadable server version") as info:
        parse_version(bad)
    assert "16.0 or later" in str(info.value)


def test_saas_ordering_uses_minor() -> None:
    assert parse_version("saas~17.3").at_least(17, 3)
    assert not parse_version("saas~17.2").at_least(17, 3)
    assert parse_version("saas~19.1+e").at_least(19, 0)


# (section, attribute, {version: expected})
CAPABILITY_ROWS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "§1.5 JSON-2 (documented new in 19.0)",
        "json2",
        {
            "16.0": False,
            "17.0": False,
            "18.0": False,
            "saas~18.4": False,
            "19.0": True,
            "saas~19.1+e": True,
        },
    ),
    (
        "correction 5 JSON-RPC error.code",
        "jsonrpc_error_code",
        {"16.0": 200, "17.0": 200, "18.0": 200, "saas~18.1": 0, "19.0": 0},
    ),
    (
        "§3.1 + correction 15 storable field",
        "storable_field",
        {
            "16.0": "type",
            "17.0": "type",
            "saas~17.1": "type",
            "saas~17.3": "is_storable",
            "18.0": "is_storable",
            "19.0": "is_storable",
        },
    ),
    (
        "§3.1 + correction 15 storable create vals",
        "storable_product_vals",
        {
            "16.0": {"detailed_type": "product"},
            "17.0": {"detailed_type": "product"},
            "18.0": {"type": "consu", "is_storable": True},
            "19.0": {"type": "consu", "is_storable": True},
        },
    ),
    (
        "§3.5 move line done quantity",
        "move_line_done_field",
        {"16.0": "qty_done", "17.0": "quantity", "18.0": "quantity", "19.0": "quantity"},
    ),
    ("§3.5 picked flag", "move_picked_flag", {"16.0": False, "17.0": True, "19.0": True}),
    (
        "§3.5 reserved quantity on move lines",
        "move_line_reserved_field",
        {"16.0": "reserved_uom_qty", "17.0": "quantity"},
    ),
    (
        "§3.7 immediate transfer wizard",
        "immediate_transfer_wizard",
        {"16.0": True, "17.0": False, "18.0": False, "19.0": False},
    ),
    (
        "§4.2 sale.order.line taxes",
        "sale_line_tax_field",
        {
            "16.0": "tax_id",
            "17.0": "tax_id",
            "18.0": "tax_id",
            "19.0": "tax_ids",
            "saas~19.1+e": "tax_ids",
        },
    ),
    (
        "§4.2 sale.order.line uom",
        "sale_line_uom_field",
        {"16.0": "product_uom", "18.0": "product_uom", "19.0": "product_uom_id"},
    ),
    (
        "§4.1 SO locked boolean from 16.4",
        "sale_order_locked_field",
        {"16.0": False, "saas~16.4": True, "17.0": True, "19.0": True},
    ),
    (
        "§4.2 tax included field",
        "tax_price_include_field",
        {
            "16.0": "price_include",
            "17.0": "price_include",
            "18.0": "price_include_override",
            "19.0": "price_include_override",
        },
    ),
    (
        "§2.2 + correction 11 grouping method",
        "group_method",
        {
            "16.0": "read_group",
            "17.0": "read_group",
            "18.0": "read_group",
            "19.0": "formatted_read_group",
        },
    ),
    (
        "§3.4 warehouse context keys",
        "warehouse_context_keys",
        {
            "16.0": ("warehouse",),
            "17.0": ("warehouse", "warehouse_id"),
            "18.0": ("warehouse_id",),
            "19.0": ("warehouse_id",),
        },
    ),
    (
        "§2.2 name_search keyword",
        "name_search_domain_kw",
        {"16.0": "args", "18.0": "args", "saas~18.3": "domain", "19.0": "domain"},
    ),
    ("§2.2 name_get removed in 17", "name_get", {"16.0": True, "17.0": False}),
    (
        "§3.7 carrier module",
        "carrier_module",
        {"16.0": "delivery", "17.0": "stock_delivery", "19.0": "stock_delivery"},
    ),
    (
        "§4.3 reversal wizard",
        "reversal_method",
        {"16.0": "reverse_moves", "17.0": "refund_moves", "19.0": "refund_moves"},
    ),
    (
        "§3.8 return wizard",
        "return_method",
        {
            "16.0": "create_returns",
            "17.0": "create_returns",
            "18.0": "action_create_returns",
            "19.0": "action_create_returns",
        },
    ),
    ("§7.1 webhook server action", "webhook_server_action", {"16.0": False, "17.0": True}),
    (
        "§1.1 API key expiry",
        "api_key_expiry",
        {"16.0": False, "17.0": False, "18.0": True, "19.0": True},
    ),
    (
        "§6 account.account company field",
        "account_company_field",
        {"17.0": "company_id", "18.0": "company_ids"},
    ),
    ("§5 res.partner.mobile", "partner_mobile", {"18.0": True, "saas~18.2": False, "19.0": False}),
    (
        "correction 7 @api.private guard",
        "api_private",
        {"18.0": False, "saas~18.2": True, "19.0": True},
    ),
]


@pytest.mark.parametrize(
    ("section", "attribute", "version", "expected"),
    [
        pytest.param(section, attribute, version, expected, id=f"{attribute}-{version}")
        for section, attribute, by_version in CAPABILITY_ROWS
        for version, expected in by_version.items()
    ],
)
def test_capability_row(section: str, attribute: str, version: str, expected: Any) -> None:
    caps = capabilities_for(parse_version(version))
    assert getattr(caps, attribute) == expected, section


@pytest.mark.parametrize(
    ("version", "domain", "storable_record"),
    [
        ("16.0", [("product_id.type", "=", "product")], {"type": "product"}),
        ("17.0", [("product_id.type", "=", "product")], {"type": "product"}),
        ("18.0", [("product_id.is_storable", "=", True)], {"type": "consu", "is_storable": True}),
        (
            "saas~19.1+e",
            [("product_id.is_storable", "=", True)],
            {"type": "consu", "is_storable": True},
        ),
    ],
)
def test_storable_domain_section_3_1(
    version: str, domain: list[Any], storable_record: dict[str, Any]
) -> None:
    caps = capabilities_for(parse_version(version))
    assert caps.storable_domain("product_id.") == domain
    assert caps.is_storable(storable_record)
    assert not caps.is_storable({"type": "consu", "is_storable": False})


@pytest.mark.parametrize(
    ("version", "backorder", "expected"),
    [
        # §3.7 recipe; 16 sends no skip_immediate: the immediate wizard is answered instead
        (
            "16.0",
            False,
            {
                "skip_backorder": True,
                "skip_sms": True,
                "picking_ids_not_to_backorder": [5],
            },
        ),
        (
            "17.0",
            False,
            {"skip_backorder": True, "skip_sms": True, "picking_ids_not_to_backorder": [5]},
        ),
        ("19.0", True, {"skip_backorder": True, "skip_sms": True}),
    ],
)
def test_button_validate_context_section_3_7(
    version: str, backorder: bool, expected: dict[str, Any]
) -> None:
    caps = capabilities_for(parse_version(version))
    assert caps.button_validate_context([5], backorder=backorder) == expected


def test_warehouse_context_sends_both_keys_on_17() -> None:
    assert capabilities_for(parse_version("17.0")).warehouse_context(3) == {
        "warehouse": 3,
        "warehouse_id": 3,
    }
    assert capabilities_for(parse_version("18.0")).warehouse_context(3) == {"warehouse_id": 3}
