"""The connector's configuration sections for running sandboxes (demo, tests, benchmarks).

``info`` is what :meth:`Sandboxes.info` describes (and ``shopify-odoo sandbox`` prints): the
Odoo sandbox's URL, database and credentials, and per store its handle, domain, Admin URL,
legacy access token and webhook secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def odoo_settings(odoo: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[odoo]`` table for the Odoo sandbox."""
    return {
        "url": odoo["url"],
        "database": odoo["db"],
        "login": odoo["login"],
        "api_key": odoo["api_key"],
    }


def store_settings(store: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """One ``[[stores]]`` table for a sandbox store (legacy access-token mode), plus ``extra``."""
    return {
        "handle": store["handle"],
        "shop_domain": store["shop_domain"],
        "admin_url": store["admin_url"],
        "access_token": store["access_token"],
        "webhook_secret": store["webhook_secret"],
        **extra,
    }
