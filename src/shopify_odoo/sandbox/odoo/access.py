"""Access rights (ir.model.access) and the multi-company record rule (§1.7)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .errors import AccessError

if TYPE_CHECKING:
    from .table import Row
    from .world import Env


class AccessMixin:
    """Mixed into ``Model``: ``_access`` maps group xmlids to letters r/w/c/u."""

    def check_access(self: Any, env: Env, op: str) -> None:
        """ir.model.access: the user needs a group granting ``op`` (16-era message shape)."""
        if env.su:
            return
        letter = {"read": "r", "write": "w", "create": "c", "unlink": "u"}[op]
        granted = [g for g, perms in self._access.items() if letter in perms]
        if any(env.has_group(g) for g in granted):
            return
        verb = {"read": "access", "write": "modify", "create": "create", "unlink": "delete"}[op]
        imd = env["ir.model.data"]
        names = sorted(imd.group_full_name(env, g) for g in granted)
        groups = (
            "This operation is allowed for the following groups:\n"
            + "\n".join(f"\t- {n}" for n in names)
            if names
            else "No group currently allows this operation."
        )
        raise AccessError(
            f"You are not allowed to {verb} '{self._description}' ({self._name}) records.\n\n"
            f"{groups}\n\nContact your administrator to request access if necessary."
        )

    def visible(self: Any, env: Env, row: Row) -> bool:
        """Multi-company record rule (§1.7): company empty or among the active companies."""
        if env.su or self.company_field is None:
            return True
        company = row.get(self.company_field)
        return not company or company in env.companies

    def check_rule(self: Any, env: Env, ids: Iterable[int], op: str = "read") -> None:
        """ir.rule ``_make_access_error`` (16-era): the short message, or with debug rights
        (base.group_no_one) the records, user, failing rule and the multi-company note."""
        hidden = [i for i in ids if i in self.table.rows and not self.visible(env, self.row(i))]
        if not hidden:
            return
        verb = {"read": "access", "write": "modify", "create": "create", "unlink": "delete"}[op]
        head = (
            f"Due to security restrictions, you are not allowed to {verb} "
            f"'{self._description}' ({self._name}) records."
        )
        resolution = "Contact your administrator to request access if necessary."
        if not env.has_group("base.group_no_one"):
            raise AccessError(f"{head}\n\n{resolution}")
        names = self.display_names(env.sudo(), hidden[:6])
        listed = ", ".join(f"{names.get(i, '')} (id={i})" for i in hidden[:6])
        user = env.user
        raise AccessError(
            f"{head}\n\nRecords: {listed}\nUser: {user['name']} (id={env.uid})\n\n"
            f"This restriction is due to the following rules:\n- {self._description} "
            "multi-company\n\nNote: this might be a multi-company issue.\n\n" + resolution
        )
