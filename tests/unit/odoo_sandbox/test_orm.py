"""ORM over RPC in-process (§2.2, §2.3): CRUD shapes, domains, ordering, paging, batches,
name_search, fields_get, default_get, transactions."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shopify_odoo.sandbox.odoo.errors import UserError, ValidationError
from tests.plugins.odoo_sandbox import InProcessOdoo


@pytest.fixture
def odoo(odoo_world: Callable[..., InProcessOdoo]) -> InProcessOdoo:
    return odoo_world("17.0")


def test_create_single_and_batch_return_shapes(odoo: InProcessOdoo) -> None:
    """§2.1: an id for a dict, a list of ids for a list of dicts."""
    one = odoo("res.partner", "create", {"name": "One"})
    many = odoo("res.partner", "create", [{"name": "Two"}, {"name": "Three"}])
    assert isinstance(one, int)
    assert isinstance(many, list)
    assert len(many) == 2
    names = [r["name"] for r in odoo("res.partner", "read", many, ["name"])]
    assert names == ["Two", "Three"]


def test_failed_call_leaves_no_trace(odoo: InProcessOdoo) -> None:
    """§1.2: one transaction per call; a batch failing on its second record creates none."""
    before = odoo("res.partner", "search_count", [])
    with pytest.raises(ValidationError, match="Contacts require a name"):
        odoo("res.partner", "create", [{"name": "Kept?"}, {"email": "no-name@example.com"}])
    assert odoo("res.partner", "search_count", []) == before


def test_operators(odoo: InProcessOdoo) -> None:
    p = odoo(
        "res.partner",
        "create",
        [
            {"name": "Alpha Co", "email": "a@x.io", "customer_rank": 3},
            {"name": "beta shop", "email": False, "customer_rank": 0},
            {"name": "Gamma_1", "email": "g@x.io", "customer_rank": 7},
        ],
    )
    ids = set(p)

    def s(domain: list[object]) -> set[int]:
        return set(odoo("res.partner", "search", [("id", "in", p), *domain])) & ids

    assert s([("name", "ilike", "SHOP")]) == {p[1]}
    assert s([("name", "like", "SHOP")]) == set()
    assert s([("name", "=like", "Gamma\\_%")]) == {p[2]}  # PostgreSQL's default escape
    assert s([("name", "=like", "Gamma\\%")]) == set()
    assert s([("name", "=like", "Gamma_%")]) == {p[2]}
    assert s([("name", "=ilike", "alpha co")]) == {p[0]}
    assert s([("email", "=", False)]) == {p[1]}
    assert s([("email", "!=", False)]) == {p[0], p[2]}
    assert s([("customer_rank", ">=", 3), ("customer_rank", "<", 7)]) == {p[0]}
    assert s([("customer_rank", "not in", [0, 7])]) == {p[0]}
    assert s(["!", ("customer_rank", ">", 0)]) == {p[1]}
    assert s(
        ["|", "&", ("customer_rank", ">", 0), ("email", "ilike", "g@"), ("name", "=", "beta shop")]
    ) == {p[1], p[2]}
    assert s([("email", "=?", False)]) == ids
    assert s([("email", "=?", "a@x.io")]) == {p[0]}


def test_relational_paths_and_hierarchy(odoo: InProcessOdoo) -> None:
    azure = odoo("res.partner", "search", [("name", "=", "Azure Interior")])[0]
    kids = odoo("res.partner", "search", [("parent_id", "=", azure)])
    assert len(kids) == 3
    assert set(odoo("res.partner", "search", [("parent_id.name", "=", "Azure Interior")])) == set(
        kids
    )
    assert set(odoo("res.partner", "search", [("parent_id", "=", "Azure Interior")])) == set(kids)
    assert odoo("res.partner", "search", [("id", "parent_of", kids[0])]) == sorted(
        [azure, kids[0]],
        key=lambda i: odoo("res.partner", "read", [i], ["complete_name"])[0]["complete_name"],
    )
    assert set(
        odoo("res.partner", "search", [("child_ids", "any", [("type", "=", "delivery")])])
    ) == {azure}
    wh_stock = odoo("stock.location", "search", [("complete_name", "=", "WH/Stock")])
    assert odoo("stock.location", "search", [("id", "child_of", "WH")]) == sorted(
        odoo("stock.location", "search", [("complete_name", "=like", "WH%")]),
        key=lambda i: odoo("stock.location", "read", [i], ["complete_name"])[0]["complete_name"],
    )
    assert wh_stock


def test_order_limit_offset_and_count(odoo: InProcessOdoo) -> None:
    codes = [
        r["default_code"]
        for r in odoo(
            "product.product",
            "search_read",
            [("default_code", "like", "TSHIRT")],
            ["default_code"],
            order="default_code desc",
        )
    ]
    assert codes == sorted(codes, reverse=True)
    page = odoo(
        "product.product", "search", [("default_code", "like", "TSHIRT")], 2, 3, "default_code desc"
    )
    assert [
        r["default_code"] for r in odoo("product.product", "read", page, ["default_code"])
    ] == codes[2:5]
    assert odoo("product.product", "search_count", [], limit=5) == 5  # §2.2: limit since 16
    with pytest.raises(ValueError, match='Invalid "order" specified'):
        odoo("product.product", "search", [], order="qty_available desc")


def test_archived_records_need_active_test(odoo: InProcessOdoo) -> None:
    """§2.2: archived excluded unless active_test False or the domain names active."""
    pid = odoo("res.partner", "create", {"name": "Old", "active": False})
    assert pid not in odoo("res.partner", "search", [("name", "=", "Old")])
    assert pid in odoo(
        "res.partner", "search", [("name", "=", "Old")], context={"active_test": False}
    )
    assert pid in odoo(
        "res.partner", "search", [("name", "=", "Old"), ("active", "in", [True, False])]
    )


def test_read_formats(odoo: InProcessOdoo) -> None:
    """§2.2: many2one as [id, name] (bare id with load=None), x2many as id lists."""
    azure = odoo("res.partner", "search", [("name", "=", "Azure Interior")])[0]
    row = odoo("res.partner", "read", [azure], ["country_id", "child_ids", "email"])[0]
    assert row["country_id"] == [1, "Belgium"]
    assert isinstance(row["child_ids"], list)
    assert odoo("res.partner", "read", [azure], ["country_id"], load=None)[0]["country_id"] == 1
    everything = odoo("res.partner", "read", [azure])[0]
    assert "password" not in odoo("res.users", "read", [2])[0]  # groups-restricted field
    assert everything["id"] == azure


def test_many2many_commands(odoo: InProcessOdoo) -> None:
    """§2.3 on many2many: (6, 0, ids), (4, id), (3, id), (5,), (0, 0, vals)."""
    tmpl = odoo("product.template", "create", {"name": "Taxed", "taxes_id": [[6, 0, [1]]]})

    def taxes() -> list[int]:
        return list(odoo("product.template", "read", [tmpl], ["taxes_id"])[0]["taxes_id"])

    assert taxes() == [1]
    odoo("product.template", "write", [tmpl], {"taxes_id": [[4, 2, 0]]})
    assert taxes() == [1, 2]
    odoo("product.template", "write", [tmpl], {"taxes_id": [[3, 1, 0]]})
    assert taxes() == [2]
    odoo(
        "product.template",
        "write",
        [tmpl],
        {"taxes_id": [[0, 0, {"name": "Eco", "amount": 1.0, "company_id": 1}]]},
    )
    assert len(taxes()) == 2
    odoo("product.template", "write", [tmpl], {"taxes_id": [[5, 0, 0]]})
    assert taxes() == []


def test_name_search_fields_get_default_get(odoo: InProcessOdoo) -> None:
    found = odoo("res.partner", "name_search", "azure", [("is_company", "=", True)])
    assert found[0][1] == "Azure Interior"
    info = odoo("sale.order", "fields_get", ["partner_id", "state"], ["type", "relation"])
    assert info == {
        "partner_id": {"type": "many2one", "relation": "res.partner"},
        "state": {"type": "selection"},
    }
    assert odoo("res.partner", "default_get", ["type", "active"]) == {
        "type": "contact",
        "active": True,
    }
    assert odoo("res.partner", "default_get", ["type"], context={"default_type": "invoice"}) == {
        "type": "invoice"
    }


def test_product_create_through_variant_and_template(odoo: InProcessOdoo) -> None:
    """§3.1: product.product create makes its template (_inherits); a template without
    attributes gets one variant carrying default_code and barcode."""
    pid = odoo(
        "product.product",
        "create",
        {"name": "Mug", "default_code": "MUG-1", "list_price": 9.5, "detailed_type": "product"},
    )
    row = odoo("product.product", "read", [pid], ["product_tmpl_id", "lst_price", "type"])[0]
    assert row["lst_price"] == 9.5
    assert row["type"] == "product"
    tmpl = odoo(
        "product.template",
        "create",
        {"name": "Plate", "default_code": "PLATE-1", "barcode": "2000000099999"},
    )
    variants = odoo("product.template", "read", [tmpl], ["product_variant_ids", "default_code"])[0]
    assert variants["default_code"] == "PLATE-1"
    assert (
        odoo("product.product", "read", variants["product_variant_ids"], ["barcode"])[0]["barcode"]
        == "2000000099999"
    )
    with pytest.raises(ValidationError, match="already assigned"):
        odoo("product.product", "create", {"name": "Dup", "barcode": "2000000099999"})


def test_unknown_model_and_field(odoo: InProcessOdoo) -> None:
    with pytest.raises(UserError, match=r"Object x\.y doesn't exist"):
        odoo("x.y", "search", [])
    with pytest.raises(ValueError, match=r"Invalid field 'nope' on model 'res\.partner'"):
        odoo("res.partner", "create", {"name": "x", "nope": 1})


def test_deep_pages_follow_writes(odoo: InProcessOdoo) -> None:
    """§2.2 offset/limit: every page of an unindexed scan is the slice of the full ordered
    result, and a write between two pages is seen by the next page."""
    domain = [("default_code", "!=", False)]
    full = odoo("product.product", "search", domain, order="id")
    pages = [
        odoo("product.product", "search", domain, offset=off, limit=5, order="id")
        for off in range(0, len(full), 5)
    ]
    assert [i for page in pages for i in page] == full
    archived = full[7]
    odoo("product.product", "write", [archived], {"active": False})
    after = odoo("product.product", "search", domain, offset=5, limit=5, order="id")
    assert after == [i for i in full if i != archived][5:10]
    assert archived not in after


def test_read_group_orders_many2one_groups_by_the_comodel_order(odoo: InProcessOdoo) -> None:
    """§2.2: groups on a many2one come in the comodel's _order (as Odoo's ORDER BY on the
    joined table), for a handful of products among many."""
    products = odoo("product.product", "search", [("default_code", "!=", False)], limit=40)
    chosen = products[::7]
    groups = odoo(
        "stock.quant",
        "read_group",
        [("product_id", "in", chosen)],
        ["product_id", "quantity:sum"],
        ["product_id"],
    )
    got = [g["product_id"][0] for g in groups]
    expected = odoo("product.product", "search", [("id", "in", got)])  # the model's order
    assert got == expected
    assert set(got) <= set(chosen)
    assert len(got) >= 3
