"""The demo's configuration: two sandbox stores sharing one catalogue, one Odoo, a location map.

Written to ``<workdir>/shopify-odoo.toml`` exactly as a merchant would write theirs, so that
after the demo ``shopify-odoo --config .demo/shopify-odoo.toml status`` (or ``errors``) works on
what the demo left behind.

Location map (both stores have the three locations the sandboxes create):

===================  ============  ==============  ===========================================
Shopify location     Odoo          pool            why
===================  ============  ==============  ===========================================
Main Warehouse       WH/Stock      ``main``        shared by both stores (oversell only inside
                                                   the propagation window, measured)
3PL Fulfilment       3PL/Stock     ``3pl``         split 60/40 (oversell impossible)
Retail Store (shop1) SHOP/Stock    ``retail``      two-way: counts made in the shop flow to Odoo
Retail Store (shop2) (SHOP/Stock)  -           excluded: never touched
===================  ============  ==============  ===========================================
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from shopify_odoo.sandbox.connector_config import odoo_settings, store_settings

POLL_SECONDS = 2.0


def free_port(host: str = "127.0.0.1") -> int:
    """An ephemeral port that is free right now (the receiver binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def demo_config(
    info: dict[str, Any],
    *,
    database_url: str,
    port: int,
    odoo_secret: str,
    dashboard_password_hash: str,
    session_secret: str,
    orders: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The configuration data for the running sandboxes described by ``info``.

    ``orders``: the order settings of both stores (sale orders in Odoo), see
    :func:`order_settings`; without it orders stay in the in-flight ledger only.
    """
    odoo = info["odoo"]
    stores = info["shopify"]["stores"]
    handles = [s["handle"] for s in stores]
    first, second = handles[0], handles[1]
    rows: list[dict[str, Any]] = []
    for handle in handles:
        rows.append(
            {
                "store": handle,
                "shopify_location": "Main Warehouse",
                "type": "online",
                "odoo_locations": ["WH/Stock"],
                "pool": "main",
                "notes": "shared by every store",
            }
        )
        rows.append(
            {
                "store": handle,
                "shopify_location": "3PL Fulfilment",
                "type": "3pl",
                "odoo_locations": ["3PL/Stock"],
                "pool": "3pl",
                "notes": "split between the stores",
            }
        )
    rows.append(
        {
            "store": first,
            "shopify_location": "Retail Store",
            "type": "retail",
            "odoo_locations": ["SHOP/Stock"],
            "pool": "retail",
            "direction": "two_way",
            "notes": "counts made in the shop are applied to Odoo",
        }
    )
    rows.append(
        {
            "store": second,
            "shopify_location": "Retail Store",
            "type": "retail",
            "odoo_locations": ["SHOP/Stock"],
            "pool": "retail",
            "excluded": True,
            "notes": "excluded: the connector never touches it",
        }
    )
    return {
        "database_url": database_url,
        "odoo": odoo_settings(odoo),
        "stores": [
            store_settings(
                s, plan=s.get("plan") or "standard", **({"orders": orders} if orders else {})
            )
            for s in stores
        ],
        "location_map": rows,
        "pools": [
            {"name": "3pl", "allocation": "split", "split": {first: 60, second: 40}},
        ],
        "sync": {
            "odoo_poll_interval": POLL_SECONDS,
            "order_poll_interval": 5.0,
            "reconcile_interval": 600.0,
            "webhook_base_url": f"http://127.0.0.1:{port}",
            "receiver_host": "127.0.0.1",
            "receiver_port": port,
            "odoo_webhook_secret": odoo_secret,
        },
        # the dashboard is served by the receiver's app (same port), closed by a login
        "dashboard": {
            "password_hash": dashboard_password_hash,
            "session_secret": session_secret,
        },
    }


def order_settings(*, shipping_product_id: int, tax_21_included_id: int) -> dict[str, Any]:
    """How the demo stores' orders become confirmed Odoo sale orders.

    The storefront simulator charges 21 % VAT included (the sandbox Odoo's "21% incl." tax)
    and standard shipping (the sandbox Odoo's SHIP-STD service product).
    """
    return {
        "confirmation": "confirm_paid",
        "shipping_product_id": shipping_product_id,
        "tax_rules": [
            {"rate": "0.21", "taxes_included": True, "odoo_tax_ids": [tax_21_included_id]},
        ],
    }


def to_toml(data: dict[str, Any]) -> str:
    """TOML for the configuration's shapes (scalars, tables, arrays of tables, inline maps)."""
    top: list[str] = ["# Written by shopify-odoo demo for its local sandboxes (secrets are"]
    top.append("# sandbox-only values; real credentials belong in the environment).")
    rest: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict):
            rest += ["", f"[{key}]", *(f"{k} = {_value(v)}" for k, v in value.items())]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                rest += ["", f"[[{key}]]", *(f"{k} = {_value(v)}" for k, v in item.items())]
        else:
            top.append(f"{key} = {_value(value)}")
    return "\n".join(top + rest) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(data), encoding="utf-8")
    path.chmod(0o600)
    return path
