"""The shopify-odoo command line."""
