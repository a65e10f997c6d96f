"""Everything a request may need, built once per process: AWS clients, repositories, services.

boto3 clients are made here, at startup, with bounded timeouts and retries,
and shared by all requests; nothing creates a client at import time or per
request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import boto3

from apis.shared.auth import AuthConfig, Authenticator, AuthMode
from apis.shared.aws import client_config, s3_client_config
from apis.shared.files import FileUploadService
from apis.shared.models import ManagedModelRepository, ManagedModelService
from apis.shared.rbac import AppRoleCache, AppRoleRepository, AppRoleService
from apis.shared.sessions import SessionService, SessionStore
from apis.shared.users import UserRepository, UserSyncService

if TYPE_CHECKING:
    from apis.app_api.settings import AppApiSettings
    from apis.shared.auth import User

__all__ = ["AppApiContainer", "build_container"]


@dataclass
class AppApiContainer:
    settings: AppApiSettings
    dynamodb: Any
    authenticator: Authenticator
    app_roles: AppRoleService
    app_role_repository: AppRoleRepository
    users: UserRepository
    managed_models: ManagedModelService
    sessions: SessionService
    session_store: SessionStore
    files: FileUploadService


def build_container(
    settings: AppApiSettings,
    *,
    dynamodb: Any | None = None,
    s3: Any | None = None,
    authenticator: Authenticator | None = None,
) -> AppApiContainer:
    """Wire the services; tests pass their own client or authenticator."""
    if dynamodb is None:
        dynamodb = boto3.client(
            "dynamodb", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url, config=client_config()
        )
    if s3 is None:
        # Path-style against a local endpoint (no bucket subdomains there), virtual-hosted on AWS.
        style: Literal["virtual", "path"] = "path" if settings.aws_endpoint_url else "virtual"
        s3 = boto3.client(
            "s3",
            region_name=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url,
            config=s3_client_config(addressing_style=style),
        )
    users = UserRepository(dynamodb, settings.users_table)
    session_store = SessionStore(dynamodb, settings.sessions_table)
    if authenticator is None:
        config = AuthConfig(
            issuer=settings.auth_issuer,
            audiences=tuple(settings.auth_audiences),
            jwks_url=settings.auth_jwks_url,
            mode=AuthMode(settings.auth_mode),
            environment=settings.environment,
            allowed_roles=tuple(settings.auth_allowed_roles),
        )
        sync = UserSyncService(users)

        def sync_user(user: User) -> None:
            sync.sync_from_user(user)

        authenticator = Authenticator(config, on_authenticated=sync_user)
    role_repository = AppRoleRepository(dynamodb, settings.app_roles_table)
    app_roles = AppRoleService(role_repository, AppRoleCache())
    return AppApiContainer(
        settings=settings,
        dynamodb=dynamodb,
        authenticator=authenticator,
        app_roles=app_roles,
        app_role_repository=role_repository,
        users=users,
        managed_models=ManagedModelService(ManagedModelRepository(dynamodb, settings.managed_models_table), app_roles),
        sessions=SessionService(session_store),
        session_store=session_store,
        files=FileUploadService(dynamodb, s3, table_name=settings.user_files_table, bucket=settings.user_files_bucket),
    )
