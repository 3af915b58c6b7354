"""Local Shopify and Odoo servers for tests and the demo; never imported by product code."""
