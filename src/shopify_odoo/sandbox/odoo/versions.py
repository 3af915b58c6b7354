"""Version profiles: which Odoo release the sandbox pretends to be, and what differs.

Every flag cites the fact-sheet section it follows (../shared/reference/odoo-external-api.md).
Gating compares ``(major, minor)`` tuples, never majors alone, because Odoo Online runs
``saas~X.Y`` releases between the majors (fact sheet, "How to read this file").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^(?P<saas>saas~)?(?P<major>\d+)\.(?P<minor>\d+)(?P<edition>\+e)?$")

SUPPORTED_MAJORS = (16, 17, 18, 19)


@dataclass(frozen=True, slots=True)
class VersionProfile:
    """A parsed version string with every behaviour switch the sandbox branches on."""

    text: str  # "17.0", "17.0+e", "saas~17.1+e"
    major: int
    minor: int
    saas: bool
    enterprise: bool

    @property
    def key(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def at_least(self, major: int, minor: int = 0) -> bool:
        return self.key >= (major, minor)

    # -- §1 transports -------------------------------------------------------------------
    def version_info(self) -> list[object]:
        """Correction 1: 6 elements; on SaaS the first one is the string ``saas~N``."""
        first: object = f"saas~{self.major}" if self.saas else self.major
        return [first, self.minor, 0, "final", 0, "e" if self.enterprise else ""]

    def version_dict(self) -> dict[str, object]:
        """Correction 1: exactly 4 keys."""
        serie = f"saas~{self.major}.{self.minor}" if self.saas else f"{self.major}.{self.minor}"
        return {
            # correction 1: "16.0", "17.0+e", "saas~17.1+e" (Online runs Enterprise)
            "server_version": f"{serie}+e" if self.enterprise else serie,
            "server_version_info": self.version_info(),
            "server_serie": serie,
            "protocol_version": 1,
        }

    @property
    def jsonrpc_error_code(self) -> int:
        """Correction 5: 200 on 16/17/18.0, 0 from saas-18.1 and on 19."""
        return 0 if self.at_least(18, 1) else 200

    @property
    def has_json2(self) -> bool:
        """§1.5: JSON-2 landed in saas 18.4, documented as new in 19.0."""
        return self.at_least(18, 4)

    @property
    def api_key_expiry(self) -> bool:
        """§1.1: API-key expiration dates arrive in 18.0."""
        return self.at_least(18, 0)

    @property
    def empty_password_denied(self) -> bool:
        """Correction 3: (18+) an empty password on execute_kw is Access Denied."""
        return self.at_least(18, 0)

    # -- §2 ORM -----------------------------------------------------------------------------
    @property
    def public_method_guard(self) -> bool:
        """Correction 7: ``get_public_method`` (+ @api.private) from saas-18.2."""
        return self.at_least(18, 2)

    def private_method_message(self, model: str, method: str) -> str:
        """Correction 7: bare method name before saas-18.2, ``'model.method'`` after."""
        if self.public_method_guard:
            return f"Private methods (such as '{model}.{method}') cannot be called remotely."
        return f"Private methods (such as {method}) cannot be called remotely."

    def unknown_method_message(self, model: str, method: str) -> str:
        """Correction 8 (16/17 wording marked UNVERIFIED in the fact sheet)."""
        if self.public_method_guard:
            return f"The method '{model}.{method}' does not exist"
        if self.at_least(18, 0):
            return f"The method '{method}' does not exist on the model '{model}'"
        return f"type object '{model}' has no attribute '{method}'"

    @property
    def domain_leaf_word(self) -> str:
        """Correction 10: "leaf" up to 18.x, "condition" in 19."""
        return "condition" if self.at_least(19, 0) else "leaf"

    @property
    def name_search_domain_kw(self) -> str:
        """§2.2: keyword ``args`` renamed ``domain`` in 18.3 (odoo/odoo#198154)."""
        return "domain" if self.at_least(18, 3) else "args"

    @property
    def formatted_read_group(self) -> bool:
        """§2.2 / correction 11: ``formatted_read_group`` in 19 (read_group still answers)."""
        return self.at_least(19, 0)

    # -- §3 stock ---------------------------------------------------------------------------
    @property
    def is_storable(self) -> bool:
        """§3.1 / correction 15: 17.3 stock revamp → 18.0 ``is_storable``; before it
        ``detailed_type`` with ``product`` (storable)."""
        return self.at_least(17, 3)

    @property
    def move_picked(self) -> bool:
        """§3.5: 17.0 replaces ``qty_done`` by ``quantity`` + ``picked``."""
        return self.at_least(17, 0)

    @property
    def immediate_transfer_wizard(self) -> bool:
        """§3.7 / §10: the immediate transfer wizard exists only in 16."""
        return not self.at_least(17, 0)

    @property
    def warehouse_context_key(self) -> str:
        """§3.4: ``warehouse`` in 16 (17 unconfirmed; we keep the 16 key, so a connector
        must send both as the fact sheet advises), ``warehouse_id`` in 18 and 19 with no
        fallback [T-oca-86]."""
        return "warehouse_id" if self.at_least(18, 0) else "warehouse"

    @property
    def return_method(self) -> str:
        """§3.8 / §10: ``create_returns`` (16/17), ``action_create_returns`` (18+)."""
        return "action_create_returns" if self.at_least(18, 0) else "create_returns"

    # -- §4 sales -----------------------------------------------------------------------------
    @property
    def so_locked(self) -> bool:
        """§4.1: from 16.4 the ``done`` state is replaced by a ``locked`` Boolean."""
        return self.at_least(16, 4)

    @property
    def so_line_tax_field(self) -> str:
        """§4.2: ``tax_id`` (16-18) → ``tax_ids`` (19)."""
        return "tax_ids" if self.at_least(19, 0) else "tax_id"

    @property
    def so_line_uom_field(self) -> str:
        """§4.2: ``product_uom`` → ``product_uom_id`` (19)."""
        return "product_uom_id" if self.at_least(19, 0) else "product_uom"

    @property
    def price_include_override(self) -> bool:
        """§4.2: 18 computes ``price_include`` from ``price_include_override``."""
        return self.at_least(18, 0)

    # -- §5 partners, §7 webhooks -------------------------------------------------------------
    @property
    def partner_mobile(self) -> bool:
        """§5: ``res.partner.mobile`` removed in 18.2."""
        return not self.at_least(18, 2)

    @property
    def partner_private_type(self) -> bool:
        """§5: ``private`` contact type removed in 16.4."""
        return not self.at_least(16, 4)

    @property
    def webhooks(self) -> bool:
        """§7.1: "Send Webhook Notification" exists from 17.0."""
        return self.at_least(17, 0)

    @property
    def webhook_postcommit(self) -> bool:
        """§7.1: inline POST in 17, post-commit callback in 19."""
        return self.at_least(19, 0)


def parse_version(text: str) -> VersionProfile:
    """Parse ``"17"``, ``"17.0"``, ``"17.0+e"`` or ``"saas~17.1"`` into a profile."""
    raw = text.strip()
    if re.fullmatch(r"\d+", raw):
        raw = f"{raw}.0"
    match = _VERSION.match(raw)
    if not match:
        raise ValueError(
            f"Odoo sandbox version {text!r} is not understood: use 16.0, 17.0, 18.0, 19.0, "
            "optionally with '+e', or a SaaS string like 'saas~17.1'"
        )
    major, minor = int(match["major"]), int(match["minor"])
    if not SUPPORTED_MAJORS[0] <= major <= SUPPORTED_MAJORS[-1]:
        raise ValueError(
            f"Odoo sandbox version {text!r} is outside 16-19: the sandbox only emulates "
            "Odoo 16.0 to 19.x"
        )
    saas = bool(match["saas"])
    if saas and minor == 0:
        raise ValueError(f"Odoo sandbox version {text!r}: SaaS releases have a minor > 0")
    return VersionProfile(
        text=raw,
        major=major,
        minor=minor,
        saas=saas,
        enterprise=bool(match["edition"]) or saas,
    )
