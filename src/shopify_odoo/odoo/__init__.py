"""Odoo external API client: JSON-RPC and JSON-2, version capabilities, typed errors.

Start with :class:`OdooClient`; ask :class:`Capabilities` (``client.capabilities``) for
anything that differs between Odoo versions; read stock with :func:`stock_snapshot`.
"""

from shopify_odoo.odoo.capabilities import Capabilities, capabilities_for
from shopify_odoo.odoo.client import OdooClient, RetryPolicy
from shopify_odoo.odoo.errors import (
    ERROR_TABLE,
    OdooAccessDenied,
    OdooAccessError,
    OdooAuthenticationError,
    OdooCall,
    OdooConcurrencyError,
    OdooConnectionError,
    OdooError,
    OdooMissingError,
    OdooNotFound,
    OdooServerError,
    OdooTerminalError,
    OdooTimeout,
    OdooTransientError,
    OdooUnavailable,
    OdooUserError,
    OdooValidationError,
)
from shopify_odoo.odoo.stock import (
    InventoryCount,
    StockLevel,
    StockSnapshot,
    apply_inventory_counts,
    stock_snapshot,
)
from shopify_odoo.odoo.version import OdooVersion, parse_version

__all__ = [
    "ERROR_TABLE",
    "Capabilities",
    "InventoryCount",
    "OdooAccessDenied",
    "OdooAccessError",
    "OdooAuthenticationError",
    "OdooCall",
    "OdooClient",
    "OdooConcurrencyError",
    "OdooConnectionError",
    "OdooError",
    "OdooMissingError",
    "OdooNotFound",
    "OdooServerError",
    "OdooTerminalError",
    "OdooTimeout",
    "OdooTransientError",
    "OdooUnavailable",
    "OdooUserError",
    "OdooValidationError",
    "OdooVersion",
    "RetryPolicy",
    "StockLevel",
    "StockSnapshot",
    "apply_inventory_counts",
    "capabilities_for",
    "parse_version",
    "stock_snapshot",
]
