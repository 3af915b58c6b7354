"""The commented example configuration that ``shopify-odoo init`` writes."""

from __future__ import annotations

from importlib.resources import files


def example_config() -> str:
    """The text of ``example.toml``: every setting, each explained in a comment."""
    return files("shopify_odoo.config").joinpath("example.toml").read_text(encoding="utf-8")
