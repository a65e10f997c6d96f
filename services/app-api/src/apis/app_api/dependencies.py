"""Annotated dependencies for the routes: each route takes the services it uses, not the container.

The container is on ``app.state``; every dependency here reaches it through
``get_container``, so a test that overrides ``get_container`` reaches every route.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import Depends, Path, Request

from apis.app_api.admin.service import UserAdminService
from apis.app_api.auth.service import SignInService
from apis.app_api.container import AppApiContainer
from apis.app_api.costs.admin_service import AdminCostService
from apis.app_api.costs.service import CostReportService
from apis.app_api.settings import AppApiSettings
from apis.shared.assistants import AssistantService, DocumentService
from apis.shared.auth import User
from apis.shared.auth.dependencies import CurrentUser
from apis.shared.auth.exceptions import RoleRequiredError
from apis.shared.catalog import ManagedModelService
from apis.shared.errors import InternalError
from apis.shared.files import FileUploadService
from apis.shared.ids import SAFE_ID_MAX_LENGTH, SAFE_ID_PATTERN
from apis.shared.quota import QuotaEventRepository, QuotaRepository, QuotaResolver
from apis.shared.rbac import AppRoleAdminService, AppRoleCache, is_system_admin
from apis.shared.rbac.dependencies import require_system_admin
from apis.shared.sessions import SessionService, SessionStore
from apis.shared.users import UserRepository

__all__ = [
    "AdminCostsDep",
    "AdminUser",
    "AppRoleAdminDep",
    "AppRoleCacheDep",
    "AssistantsDep",
    "ContainerDep",
    "CostReportsDep",
    "CurrentUser",
    "DocumentsDep",
    "FileUploadsDep",
    "ManagedModelsDep",
    "PathId",
    "QuotaEventsDep",
    "QuotaResolverDep",
    "QuotasDep",
    "SessionStoreDep",
    "SessionsDep",
    "SettingsDep",
    "SignInDep",
    "SystemAdminUser",
    "UserAdminDep",
    "UsersDep",
    "get_admin_costs",
    "get_app_role_admin",
    "get_app_role_cache",
    "get_assistants",
    "get_container",
    "get_cost_reports",
    "get_documents",
    "get_file_uploads",
    "get_managed_models",
    "get_quota_events",
    "get_quota_resolver",
    "get_quotas",
    "get_session_store",
    "get_sessions",
    "get_settings",
    "get_sign_in",
    "get_user_admin",
    "get_users",
    "require_admin",
]

# Ids in paths go into keys (a `#` would reach into another item's partition), S3 object keys and headers.
PathId = Annotated[str, Path(pattern=SAFE_ID_PATTERN, max_length=SAFE_ID_MAX_LENGTH)]


def get_container(request: Request) -> AppApiContainer:
    container = getattr(request.app.state, "container", None)
    if not isinstance(container, AppApiContainer):
        raise InternalError("The service is not initialised")
    return container


# For dependencies that assemble a per-request service from several parts; routes take the parts' dependencies.
ContainerDep = Annotated[AppApiContainer, Depends(get_container)]


def get_settings(container: ContainerDep) -> AppApiSettings:
    """The app's settings (those it was built with, which tests choose)."""
    return container.settings


def get_users(container: ContainerDep) -> UserRepository:
    return container.users


def get_user_admin(container: ContainerDep) -> UserAdminService:
    return container.user_admin


def get_sign_in(container: ContainerDep) -> SignInService:
    return container.sign_in


def get_managed_models(container: ContainerDep) -> ManagedModelService:
    return container.managed_models


def get_app_role_admin(container: ContainerDep) -> AppRoleAdminService:
    return container.app_role_admin


def get_app_role_cache(container: ContainerDep) -> AppRoleCache:
    return container.app_role_cache


def get_quotas(container: ContainerDep) -> QuotaRepository:
    return container.quotas


def get_quota_resolver(container: ContainerDep) -> QuotaResolver:
    return container.quota_resolver


def get_quota_events(container: ContainerDep) -> QuotaEventRepository:
    return container.quota_events


def get_cost_reports(container: ContainerDep) -> CostReportService:
    return container.cost_reports


def get_admin_costs(container: ContainerDep) -> AdminCostService:
    return container.admin_costs


def get_sessions(container: ContainerDep) -> SessionService:
    return container.sessions


def get_session_store(container: ContainerDep) -> SessionStore:
    return container.session_store


def get_file_uploads(container: ContainerDep) -> FileUploadService:
    return container.files


def get_assistants(container: ContainerDep) -> AssistantService:
    return container.assistants


def get_documents(container: ContainerDep) -> DocumentService:
    return container.documents


SettingsDep = Annotated[AppApiSettings, Depends(get_settings)]
UsersDep = Annotated[UserRepository, Depends(get_users)]
UserAdminDep = Annotated[UserAdminService, Depends(get_user_admin)]
SignInDep = Annotated[SignInService, Depends(get_sign_in)]
ManagedModelsDep = Annotated[ManagedModelService, Depends(get_managed_models)]
AppRoleAdminDep = Annotated[AppRoleAdminService, Depends(get_app_role_admin)]
AppRoleCacheDep = Annotated[AppRoleCache, Depends(get_app_role_cache)]
QuotasDep = Annotated[QuotaRepository, Depends(get_quotas)]
QuotaResolverDep = Annotated[QuotaResolver, Depends(get_quota_resolver)]
QuotaEventsDep = Annotated[QuotaEventRepository, Depends(get_quota_events)]
CostReportsDep = Annotated[CostReportService, Depends(get_cost_reports)]
AdminCostsDep = Annotated[AdminCostService, Depends(get_admin_costs)]
SessionsDep = Annotated[SessionService, Depends(get_sessions)]
SessionStoreDep = Annotated[SessionStore, Depends(get_session_store)]
FileUploadsDep = Annotated[FileUploadService, Depends(get_file_uploads)]
AssistantsDep = Annotated[AssistantService, Depends(get_assistants)]
DocumentsDep = Annotated[DocumentService, Depends(get_documents)]


def require_admin(user: CurrentUser, settings: SettingsDep) -> User:
    """Pass administrators: one of the configured admin JWT roles, or a system administrator."""
    if set(user.roles) & set(settings.admin_roles) or is_system_admin(user, settings.admin_jwt_roles):
        return user
    raise RoleRequiredError("Administrator access required")


AdminUser = Annotated[User, Depends(require_admin)]
SystemAdminUser = Annotated[User, Depends(require_system_admin)]
