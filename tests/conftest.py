"""Shared test configuration.

Fixtures for services and sandboxes live in ``tests/plugins/`` and are loaded here, so every
tier can use them.  A test that needs a service skips with the reason when the service is
absent, unless ``SHOPIFY_ODOO_REQUIRE_SERVICES=1`` (CI), where it fails instead.
"""

import os

from hypothesis import settings

pytest_plugins = [
    "tests.plugins.services",
    "tests.plugins.shopify_sandbox",
    "tests.plugins.odoo_sandbox",
]

# CI lands or refuses a change on one run, so there the property tests draw the same examples
# every time (a failure reproduces from the log); elsewhere they draw fresh ones and keep
# finding new cases, as they found the same-second edit of the ledger store.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("SHOPIFY_ODOO_REQUIRE_SERVICES") == "1" else "explore")
)
