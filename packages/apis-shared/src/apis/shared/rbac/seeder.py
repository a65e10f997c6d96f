"""The two system roles every deployment needs: ``system_admin`` and ``default``.

Seeding creates what is missing and leaves existing roles alone (an admin may
have edited them). A failure propagates: a service that cannot be sure these
roles exist must not start, since without ``default`` an unmapped user would
silently get no permissions and no quota tier.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apis.shared.rbac.models import AppRole, EffectivePermissions
from apis.shared.rbac.repository import AppRoleExistsError
from apis.shared.rbac.service import DEFAULT_ROLE_ID
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from apis.shared.rbac.repository import AppRoleRepository

__all__ = ["DEFAULT_QUOTA_TIER", "DEFAULT_ROLE", "SYSTEM_ADMIN_ROLE", "SYSTEM_ADMIN_ROLE_ID", "seed_system_roles"]

logger = logging.getLogger(__name__)

SYSTEM_ADMIN_ROLE_ID = "system_admin"
DEFAULT_QUOTA_TIER = "tier_basic"

SYSTEM_ADMIN_ROLE = AppRole(
    role_id=SYSTEM_ADMIN_ROLE_ID,
    display_name="System Administrator",
    description="Every tool and model. Map a JWT role to it to grant it.",
    granted_tools=["*"],
    granted_models=["*"],
    effective_permissions=EffectivePermissions(tools=["*"], models=["*"]),
    priority=1000,
    is_system_role=True,
    created_by="system",
)

DEFAULT_ROLE = AppRole(
    role_id=DEFAULT_ROLE_ID,
    display_name="Default",
    description="Applies to users whose JWT roles map to no enabled AppRole.",
    quota_tier=DEFAULT_QUOTA_TIER,
    effective_permissions=EffectivePermissions(quota_tier=DEFAULT_QUOTA_TIER),
    priority=0,
    is_system_role=True,
    created_by="system",
)


def seed_system_roles(repository: AppRoleRepository) -> list[str]:
    """Create the system roles that do not exist yet; return the ids created."""
    created = []
    now = utc_timestamp(timespec="auto")
    for role in (SYSTEM_ADMIN_ROLE, DEFAULT_ROLE):
        if repository.exists(role.role_id):
            continue
        try:
            repository.create(role.model_copy(update={"created_at": now, "updated_at": now}))
        except AppRoleExistsError:
            # JUSTIFICATION: another instance seeded it between our read and our write: it exists, as wanted.
            logger.info("system role %s was seeded concurrently", role.role_id)
        else:
            created.append(role.role_id)
            logger.info("seeded system role %s", role.role_id)
    return created
