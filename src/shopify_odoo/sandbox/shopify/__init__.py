"""Local Shopify Admin API, webhooks and storefront simulator (issue 4).

Entry points: :func:`run_shopify_sandbox` (async context manager yielding a running
:class:`ShopifySandbox`) and :class:`SandboxDriver` (the control API over HTTP).
"""

from .clock import ManualClock, SystemClock
from .driver import SandboxDriver
from .server import ShopifySandbox, run_shopify_sandbox
from .storefront import Cart, CheckoutRefused
from .webhooks import sign
from .world import PLANS, Store, World

__all__ = [
    "PLANS",
    "Cart",
    "CheckoutRefused",
    "ManualClock",
    "SandboxDriver",
    "ShopifySandbox",
    "Store",
    "SystemClock",
    "World",
    "run_shopify_sandbox",
    "sign",
]
