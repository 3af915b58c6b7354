"""Shared test configuration.

Fixtures for services and sandboxes live in ``tests/plugins/`` and are loaded here, so every
tier can use them.  A test that needs a service skips with the reason when the service is
absent, unless ``SHOPIFY_ODOO_REQUIRE_SERVICES=1`` (CI), where it fails instead.
"""

pytest_plugins = [
    "tests.plugins.services",
    "tests.plugins.shopify_sandbox",
    "tests.plugins.odoo_sandbox",
]
