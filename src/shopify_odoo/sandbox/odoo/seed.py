"""Build a World for a version and scenario: base data, warehouses named after the shared
location roles, and the shared SKU catalogue (``shopify_odoo.sandbox.catalog``)."""

from __future__ import annotations

import hashlib
from typing import Any

from ..catalog import Scenario, catalogue
from .models import ALL_MODELS, V16_MODELS
from .versions import VersionProfile, parse_version
from .world import ApiKey, World

#: location role (catalogue) → warehouse (name, code); locations read "WH/Stock", …
WAREHOUSES: dict[str, tuple[str, str]] = {
    "main": ("Main Warehouse", "WH"),
    "3pl": ("3PL Fulfilment", "3PL"),
    "retail": ("Retail Store", "SHOP"),
}
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("base.group_user", "Internal User", "User types"),
    ("base.group_portal", "Portal", "User types"),
    ("base.group_no_one", "Technical Features", "Technical"),
    ("base.group_system", "Settings", "Administration"),
    ("base.group_erp_manager", "Access Rights", "Administration"),
    ("sales_team.group_sale_salesman", "User: Own Documents Only", "Sales"),
    ("sales_team.group_sale_manager", "Administrator", "Sales"),
    ("stock.group_stock_user", "User", "Inventory"),
    ("stock.group_stock_manager", "Administrator", "Inventory"),
    ("account.group_account_invoice", "Billing", "Accounting"),
)
ADMIN_PASSWORD = "admin"


def api_key_for(seed: int, login: str) -> str:
    """Deterministic per seed, 40 hex chars like Odoo's keys."""
    return hashlib.sha1(f"odoo-sandbox:{seed}:{login}".encode()).hexdigest()  # noqa: S324


def build_world(
    version: str | VersionProfile = "17.0",
    scenario: Scenario = "demo",
    seed: int = 0,
    db: str = "sandbox",
) -> World:
    profile = version if isinstance(version, VersionProfile) else parse_version(version)
    world = World(profile, db)
    for cls in ALL_MODELS:
        world.register(cls)
    if not profile.move_picked:
        for cls in V16_MODELS:
            world.register(cls)
    env = world.env(uid=1, su=True)
    _base(world, env, seed)
    _stock(world, env)
    _sales(world, env)
    _catalogue(world, env, scenario)
    _second_company(world, env)
    _accounting(world, env)
    world.data_version += 1
    return world


def _xmlid(world: World, xmlid: str, model: str, rid: int) -> None:
    world.models["ir.model.data"].register_xmlid(xmlid, model, rid)


def _base(world: World, env: Any, seed: int) -> None:
    m = world.models
    for name, model in m.items():
        m["ir.model"].create_rows(
            env, [{"model": name, "name": model._description, "transient": model._transient}]
        )
    eur, usd = m["res.currency"].create_rows(
        env,
        [
            {"name": "EUR", "symbol": "€", "position": "after", "full_name": "Euro"},
            {
                "name": "USD",
                "symbol": "$",
                "position": "before",
                "full_name": "United States dollar",
            },
        ],
    )
    countries = m["res.country"].create_rows(
        env,
        [
            {"name": "Belgium", "code": "BE", "currency_id": eur},
            {"name": "France", "code": "FR", "currency_id": eur},
            {"name": "Germany", "code": "DE", "currency_id": eur},
            {"name": "United States", "code": "US", "currency_id": usd},
        ],
    )
    m["res.country.state"].create_rows(
        env,
        [
            {"name": "California", "code": "CA", "country_id": countries[3]},
            {"name": "New York", "code": "NY", "country_id": countries[3]},
        ],
    )
    groups = {}
    for xmlid, name, category in GROUPS:
        gid = m["res.groups"].create_rows(env, [{"name": name, "category": category}])[0]
        _xmlid(world, xmlid, "res.groups", gid)
        groups[xmlid] = gid
    partners = m["res.partner"]
    p1, p2 = partners.create_rows(
        env,
        [
            {
                "name": "Sandbox Shop SA",
                "is_company": True,
                "country_id": countries[0],
                "email": "info@sandbox-shop.example",
            },
            {"name": "Sandbox US Inc.", "is_company": True, "country_id": countries[3]},
        ],
    )
    c1, c2 = m["res.company"].create_rows(
        env,
        [
            {
                "name": "Sandbox Shop SA",
                "partner_id": p1,
                "currency_id": eur,
                "country_id": countries[0],
            },
            {
                "name": "Sandbox US Inc.",
                "partner_id": p2,
                "currency_id": usd,
                "country_id": countries[3],
                "sequence": 20,
            },
        ],
    )
    _xmlid(world, "base.main_company", "res.company", c1)
    partners.write_rows(env, [p1], {"company_id": c1})
    partners.write_rows(env, [p2], {"company_id": c2})
    users = m["res.users"]
    everyone = [g for x, g in groups.items() if x not in ("base.group_no_one", "base.group_portal")]
    seller = [
        groups["base.group_user"],
        groups["sales_team.group_sale_salesman"],
        groups["stock.group_stock_user"],
    ]
    connector = [*seller, groups["account.group_account_invoice"]]
    people = [
        ("OdooBot", "__system__", "", [c1, c2], everyone, False),
        ("Mitchell Admin", "admin", ADMIN_PASSWORD, [c1, c2], everyone, True),
        ("Connector Bot", "connector", "", [c1, c2], connector, True),
        ("Marc Clerk", "clerk", "clerk", [c1], [*seller, groups["base.group_no_one"]], True),
        ("Vera Viewer", "viewer", "viewer", [c1], [groups["base.group_user"]], True),
    ]
    for name, login, password, companies, user_groups, active in people:
        pid = partners.create_rows(env, [{"name": name, "email": f"{login}@sandbox.example"}])[0]
        uid = users.create_rows(
            env,
            [
                {
                    "name": name,
                    "login": login,
                    "password": password,
                    "partner_id": pid,
                    "company_id": companies[0],
                    "company_ids": [[6, 0, companies]],
                    "groups_id": [[6, 0, user_groups]],
                    "active": active,
                }
            ],
        )[0]
        if login != "__system__":
            key = api_key_for(seed, login)
            world.api_keys[key] = ApiKey(key=key, uid=uid, name=f"{login} sandbox key")
    m["uom.uom"].create_rows(env, [{"name": "Units"}])
    m["product.category"].create_rows(env, [{"name": "All"}])


def _stock(world: World, env: Any) -> None:
    m = world.models
    locations = m["stock.location"]
    phys, partners_view, virtual = locations.create_rows(
        env,
        [
            {"name": "Physical Locations", "usage": "view"},
            {"name": "Partners", "usage": "view"},
            {"name": "Virtual Locations", "usage": "view"},
        ],
    )
    customers, suppliers, inventory, transit = locations.create_rows(
        env,
        [
            {"name": "Customers", "usage": "customer", "location_id": partners_view},
            {"name": "Vendors", "usage": "supplier", "location_id": partners_view},
            {"name": "Inventory adjustment", "usage": "inventory", "location_id": virtual},
            {"name": "Inter-warehouse transit", "usage": "transit", "location_id": phys},
        ],
    )
    for xmlid, rid in (
        ("stock.stock_location_locations", phys),
        ("stock.stock_location_locations_partner", partners_view),
        ("stock.stock_location_locations_virtual", virtual),
        ("stock.stock_location_customers", customers),
        ("stock.stock_location_suppliers", suppliers),
        ("stock.stock_location_inventory", inventory),
        ("stock.stock_location_inter_wh", transit),
    ):
        _xmlid(world, xmlid, "stock.location", rid)
    warehouses = m["stock.warehouse"]
    for role, (name, code) in WAREHOUSES.items():
        wid = warehouses.create_rows(env, [{"name": name, "code": code, "company_id": 1}])[0]
        _xmlid(world, f"sandbox.warehouse_{role}", "stock.warehouse", wid)
    wid = warehouses.create_rows(env, [{"name": "US Warehouse", "code": "US", "company_id": 2}])[0]
    _xmlid(world, "sandbox.warehouse_us", "stock.warehouse", wid)


def _sales(world: World, env: Any) -> None:
    m = world.models
    p = world.profile
    incl = (
        {"price_include_override": "tax_included"}
        if p.price_include_override
        else {"price_include": True}
    )
    t15, t21, _t10 = m["account.tax"].create_rows(
        env,
        [
            {"name": "15%", "amount_type": "percent", "amount": 15.0, "company_id": 1},
            {
                "name": "21% incl.",
                "amount_type": "percent",
                "amount": 21.0,
                "company_id": 1,
                **incl,
            },
            {"name": "10%", "amount_type": "percent", "amount": 10.0, "company_id": 2},
        ],
    )
    _xmlid(world, "sandbox.tax_15", "account.tax", t15)
    _xmlid(world, "sandbox.tax_21_incl", "account.tax", t21)
    m["product.pricelist"].create_rows(
        env,
        [
            {"name": "Public Pricelist", "currency_id": 1, "company_id": 1},
            {"name": "USD Pricelist", "currency_id": 2, "company_id": 2},
        ],
    )
    m["crm.team"].create_rows(
        env, [{"name": "Sales", "company_id": 1}, {"name": "Website", "company_id": 1}]
    )
    service = {"type": "service", **({} if p.is_storable else {"detailed_type": "service"})}
    ship = m["product.product"].create_rows(
        env,
        [
            {
                "name": "Standard delivery charges",
                "default_code": "SHIP-STD",
                "list_price": 5.0,
                **service,
            },
            {
                "name": "Express delivery charges",
                "default_code": "SHIP-EXP",
                "list_price": 15.0,
                **service,
            },
        ],
    )
    m["delivery.carrier"].create_rows(
        env,
        [
            {"name": "Standard Delivery", "product_id": ship[0], "fixed_price": 5.0},
            {"name": "Express Delivery", "product_id": ship[1], "fixed_price": 15.0},
        ],
    )
    partners = m["res.partner"]
    azure = partners.create_rows(
        env,
        [
            {
                "name": "Azure Interior",
                "is_company": True,
                "email": "azure.interior24@example.com",
                "phone": "+32 2 555 01 01",
                "country_id": 1,
                "customer_rank": 1,
            }
        ],
    )[0]
    partners.create_rows(
        env,
        [
            {
                "name": "Brandon Freeman",
                "parent_id": azure,
                "type": "contact",
                "email": "brandon.freeman55@example.com",
            },
            {
                "name": "Azure Billing",
                "parent_id": azure,
                "type": "invoice",
                "email": "billing@azure.example",
            },
            {
                "name": "Azure Warehouse",
                "parent_id": azure,
                "type": "delivery",
                "street": "Rue du Dock 12",
                "city": "Brussels",
                "zip": "1000",
                "country_id": 1,
            },
            {
                "name": "Jane Doe",
                "email": "jane.doe@example.com",
                "phone": "+1 555 0100",
                "country_id": 4,
                "state_id": 1,
                "customer_rank": 1,
            },
        ],
    )


def _storable_vals(world: World) -> dict[str, Any]:
    """§3.1: storable goods per version."""
    if world.profile.is_storable:
        return {"type": "consu", "is_storable": True}
    return {"type": "product", "detailed_type": "product"}


def _catalogue(world: World, env: Any, scenario: Scenario) -> None:
    """Bulk insert (no per-row hooks) so 100,000 variants seed in seconds."""
    m = world.models
    now = env.now
    templates = m["product.template"].table
    products = m["product.product"].table
    quants = m["stock.quant"].table
    tmpl_model = m["product.template"]
    base_tmpl = {n: f.empty() for n, f in tmpl_model.fields.items() if f.stored}
    base_tmpl.update(tmpl_model.default_values(env))
    base_tmpl.update(
        _storable_vals(world),
        taxes_id=(1,),
        create_date=now,
        write_date=now,
        create_uid=1,
        write_uid=1,
        company_id=False,
    )
    base_prod = {
        "active": True,
        "company_id": False,
        "create_date": now,
        "write_date": now,
        "create_uid": 1,
        "write_uid": 1,
    }
    base_quant = {n: f.empty() for n, f in m["stock.quant"].fields.items() if f.stored}
    base_quant.update(
        create_date=now, write_date=now, create_uid=1, write_uid=1, in_date=now, company_id=1
    )
    whs = m["stock.warehouse"].table.rows
    stock_of = {
        role: next(w["lot_stock_id"] for w in whs.values() if w["code"] == code)
        for role, (_, code) in WAREHOUSES.items()
    }
    for product in catalogue(scenario):
        variant = product.variants[0]
        tid = templates.insert(
            {**base_tmpl, "name": product.title, "list_price": float(variant.price)}
        )
        for variant in product.variants:
            pid = products.insert(
                {
                    **base_prod,
                    "product_tmpl_id": tid,
                    "default_code": variant.sku,
                    "barcode": variant.barcode,
                    "variant_label": ", ".join(variant.option_values),
                }
            )
            for role, qty in variant.stock:
                if qty:
                    quants.insert(
                        {
                            **base_quant,
                            "product_id": pid,
                            "location_id": stock_of[role],
                            "quantity": float(qty),
                        }
                    )


def _second_company(world: World, env: Any) -> None:
    """Company 2 owns two products with stock in its own warehouse (multi-company tests)."""
    m = world.models
    su = env.with_context(allowed_company_ids=[2])
    ids = m["product.product"].create_rows(
        su,
        [
            {
                "name": "US Widget",
                "default_code": "US-WIDGET-01",
                "list_price": 12.0,
                "company_id": 2,
                **_storable_vals(world),
            },
            {
                "name": "US Gadget",
                "default_code": "US-GADGET-01",
                "list_price": 30.0,
                "company_id": 2,
                **_storable_vals(world),
            },
        ],
    )
    us_stock = next(
        w["lot_stock_id"] for w in m["stock.warehouse"].table.rows.values() if w["code"] == "US"
    )
    for pid in ids:
        m["stock.quant"].update_available(env, pid, us_stock, 25.0)


def _accounting(world: World, env: Any) -> None:
    """A minimal chart per company and the journals §4.3/§6 use (codes like a generic CoA)."""
    m = world.models
    shared = "company_ids" in m["account.account"].fields  # §6: 18+ shares accounts
    for company in (1, 2):
        owner = {"company_ids": [[6, 0, [company]]]} if shared else {"company_id": company}
        ids = m["account.account"].create_rows(
            env,
            [
                {"code": code, "name": name, "account_type": kind, **owner}
                for code, name, kind in (
                    ("121000", "Account Receivable", "asset_receivable"),
                    ("101401", "Bank", "asset_cash"),
                    ("101402", "Outstanding Receipts", "asset_current"),
                    ("251000", "Tax Received", "liability_current"),
                    ("400000", "Product Sales", "income"),
                    ("626000", "Bank Fees", "expense"),
                )
            ],
        )
        m["account.journal"].create_rows(
            env,
            [
                {
                    "name": "Customer Invoices",
                    "code": "INV",
                    "type": "sale",
                    "company_id": company,
                    "default_account_id": ids[4],
                },
                {
                    "name": "Miscellaneous Operations",
                    "code": "MISC",
                    "type": "general",
                    "company_id": company,
                },
                {
                    "name": "Bank",
                    "code": "BNK1",
                    "type": "bank",
                    "company_id": company,
                    "default_account_id": ids[1],
                },
            ],
        )
