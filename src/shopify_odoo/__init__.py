"""shopify-odoo: keeps one Odoo database and any number of Shopify stores in agreement."""

__version__ = "0.1.0"
