"""How grants combine: inheritance into a role's effective permissions, and roles into a user's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apis.shared.errors import InputValidationError
from apis.shared.rbac.models import WILDCARD, AppRole, EffectivePermissions

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["effective_permissions", "merge_grants"]


def merge_grants(grants: Iterable[Iterable[str]]) -> list[str]:
    """Union of grants, sorted; a wildcard anywhere makes the result just ``["*"]``."""
    merged = set().union(*(set(grant) for grant in grants))
    return [WILDCARD] if WILDCARD in merged else sorted(merged)


def effective_permissions(role: AppRole, roles: Mapping[str, AppRole]) -> EffectivePermissions:
    """``role``'s own grants plus those of every enabled ancestor; the quota tier is its own or the nearest ancestor's.

    Raises ``InputValidationError`` for a parent that does not exist or an inheritance cycle.
    """
    lineage: list[AppRole] = []
    seen = {role.role_id}
    frontier = list(role.inherits_from)
    while frontier:
        parent_id = frontier.pop(0)
        if parent_id == role.role_id:
            raise InputValidationError(
                f"Role {role.role_id} would inherit from itself (an inheritance cycle)", field="inheritsFrom"
            )
        if parent_id in seen:
            continue
        seen.add(parent_id)
        parent = roles.get(parent_id)
        if parent is None:
            raise InputValidationError(f"Parent role {parent_id} does not exist", field="inheritsFrom")
        if parent.enabled:
            lineage.append(parent)
            frontier.extend(parent.inherits_from)
    inherited_tier = next((parent.quota_tier for parent in lineage if parent.quota_tier), None)
    return EffectivePermissions(
        tools=merge_grants([role.granted_tools, *(parent.granted_tools for parent in lineage)]),
        models=merge_grants([role.granted_models, *(parent.granted_models for parent in lineage)]),
        quota_tier=role.quota_tier or inherited_tier,
    )
