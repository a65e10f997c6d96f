"""``/admin/quota``: tiers, assignments, overrides and events. Lists are bare JSON arrays; updates are PATCH.

Administrators read; only system administrators (the JWT roles of
``admin_jwt_roles``) create, change or delete tiers, assignments and
overrides, as with AppRoles: whoever may change quotas may give anyone,
themselves included, an unlimited budget.

Every change empties this process's tier-resolution cache at once; every
write also increments the quota table's version stamp, so other processes
(app-api and inference-api replicas) drop theirs within
``cache_version_check_seconds``.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from apis.app_api.admin.models import UserQuotaInfo
from apis.app_api.dependencies import (
    AdminUser,
    QuotaEventsDep,
    QuotaResolverDep,
    QuotasDep,
    SystemAdminUser,
    UserAdminDep,
)
from apis.shared.quota import (
    QuotaAssignment,
    QuotaAssignmentCreate,
    QuotaAssignmentUpdate,
    QuotaEvent,
    QuotaEventType,
    QuotaOverride,
    QuotaOverrideCreate,
    QuotaOverrideUpdate,
    QuotaTier,
    QuotaTierCreate,
    QuotaTierUpdate,
)

__all__ = ["router"]

router = APIRouter(prefix="/quota", tags=["admin: quota"])

NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.get("/tiers", response_model=list[QuotaTier])
def list_tiers(admin: AdminUser, quotas: QuotasDep, enabled_only: bool = False) -> list[QuotaTier]:
    return quotas.list_tiers(enabled_only=enabled_only)


@router.post("/tiers", response_model=QuotaTier, status_code=status.HTTP_201_CREATED)
def create_tier(
    body: QuotaTierCreate, admin: SystemAdminUser, quotas: QuotasDep, quota_resolver: QuotaResolverDep
) -> QuotaTier:
    tier = quotas.create_tier(body, created_by=admin.email or admin.user_id)
    quota_resolver.invalidate()
    return tier


@router.get("/tiers/{tier_id}", response_model=QuotaTier)
def get_tier(tier_id: str, admin: AdminUser, quotas: QuotasDep) -> QuotaTier:
    return quotas.get_tier_or_raise(tier_id)


@router.patch("/tiers/{tier_id}", response_model=QuotaTier)
def update_tier(
    tier_id: str, body: QuotaTierUpdate, admin: SystemAdminUser, quotas: QuotasDep, quota_resolver: QuotaResolverDep
) -> QuotaTier:
    tier = quotas.update_tier(tier_id, body)
    quota_resolver.invalidate()
    return tier


@router.delete("/tiers/{tier_id}", status_code=NO_CONTENT)
def delete_tier(tier_id: str, admin: SystemAdminUser, quotas: QuotasDep, quota_resolver: QuotaResolverDep) -> Response:
    """A tier that assignments still point to is refused (409)."""
    quotas.delete_tier(tier_id)
    quota_resolver.invalidate()
    return Response(status_code=NO_CONTENT)


@router.get("/assignments", response_model=list[QuotaAssignment])
def list_assignments(
    admin: AdminUser, quotas: QuotasDep, enabled_only: bool = False, tier_id: str | None = None
) -> list[QuotaAssignment]:
    return quotas.list_assignments(enabled_only=enabled_only, tier_id=tier_id)


@router.post("/assignments", response_model=QuotaAssignment, status_code=status.HTTP_201_CREATED)
def create_assignment(
    body: QuotaAssignmentCreate, admin: SystemAdminUser, quotas: QuotasDep, quota_resolver: QuotaResolverDep
) -> QuotaAssignment:
    assignment = quotas.create_assignment(body, created_by=admin.email or admin.user_id)
    quota_resolver.invalidate()
    return assignment


@router.get("/assignments/{assignment_id}", response_model=QuotaAssignment)
def get_assignment(assignment_id: str, admin: AdminUser, quotas: QuotasDep) -> QuotaAssignment:
    return quotas.get_assignment_or_raise(assignment_id)


@router.patch("/assignments/{assignment_id}", response_model=QuotaAssignment)
def update_assignment(
    assignment_id: str,
    body: QuotaAssignmentUpdate,
    admin: SystemAdminUser,
    quotas: QuotasDep,
    quota_resolver: QuotaResolverDep,
) -> QuotaAssignment:
    assignment = quotas.update_assignment(assignment_id, body)
    quota_resolver.invalidate()
    return assignment


@router.delete("/assignments/{assignment_id}", status_code=NO_CONTENT)
def delete_assignment(
    assignment_id: str, admin: SystemAdminUser, quotas: QuotasDep, quota_resolver: QuotaResolverDep
) -> Response:
    quotas.delete_assignment(assignment_id)
    quota_resolver.invalidate()
    return Response(status_code=NO_CONTENT)


@router.get("/overrides", response_model=list[QuotaOverride])
def list_overrides(
    admin: AdminUser, quotas: QuotasDep, active_only: bool = False, user_id: str | None = None
) -> list[QuotaOverride]:
    return quotas.list_overrides(active_only=active_only, user_id=user_id)


@router.post("/overrides", response_model=QuotaOverride, status_code=status.HTTP_201_CREATED)
def create_override(
    body: QuotaOverrideCreate, admin: SystemAdminUser, quotas: QuotasDep, quota_resolver: QuotaResolverDep
) -> QuotaOverride:
    override = quotas.create_override(body, created_by=admin.email or admin.user_id)
    quota_resolver.invalidate()
    return override


@router.get("/overrides/{override_id}", response_model=QuotaOverride)
def get_override(override_id: str, admin: AdminUser, quotas: QuotasDep) -> QuotaOverride:
    return quotas.get_override_or_raise(override_id)


@router.patch("/overrides/{override_id}", response_model=QuotaOverride)
def update_override(
    override_id: str,
    body: QuotaOverrideUpdate,
    admin: SystemAdminUser,
    quotas: QuotasDep,
    quota_resolver: QuotaResolverDep,
) -> QuotaOverride:
    override = quotas.update_override(override_id, body)
    quota_resolver.invalidate()
    return override


@router.delete("/overrides/{override_id}", status_code=NO_CONTENT)
def delete_override(
    override_id: str, admin: SystemAdminUser, quotas: QuotasDep, quota_resolver: QuotaResolverDep
) -> Response:
    quotas.delete_override(override_id)
    quota_resolver.invalidate()
    return Response(status_code=NO_CONTENT)


@router.get("/events", response_model=list[QuotaEvent])
def list_events(
    admin: AdminUser,
    quota_events: QuotaEventsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    user_id: str | None = None,
    tier_id: str | None = None,
    event_type: QuotaEventType | None = None,
    since: Annotated[datetime | None, Query(description="Only events at or after this time (UTC if no offset)")] = None,
) -> list[QuotaEvent]:
    """Newest first."""
    start = None if since is None else (since if since.tzinfo else since.replace(tzinfo=UTC))
    return quota_events.list_events(
        user_id=user_id,
        tier_id=tier_id,
        event_type=event_type,
        since=None if start is None else start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        limit=limit,
    )


@router.get("/users/{user_id}", response_model=UserQuotaInfo)
def user_quota_info(
    user_id: str,
    admin: AdminUser,
    user_admin: UserAdminDep,
    email: str | None = None,
    roles: Annotated[str | None, Query(description="JWT roles, comma-separated")] = None,
) -> UserQuotaInfo:
    role_list = [role.strip() for role in (roles or "").split(",") if role.strip()]
    return user_admin.quota_info(user_id, email, role_list)
