"""Everything a request may need, built once per process: AWS clients, repositories, services.

boto3 clients are made here, at startup, with bounded timeouts and retries,
and shared by all requests; nothing creates a client at import time or per
request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import boto3

from apis.app_api.admin.service import UserAdminService
from apis.app_api.auth.service import SignInService, build_sign_in_service
from apis.app_api.costs.admin_service import AdminCostService
from apis.app_api.costs.service import CostReportService
from apis.shared.assistants import (
    AssistantRepository,
    AssistantService,
    DocumentService,
    KnowledgeBase,
    LocalKnowledgeBase,
    S3VectorsKnowledgeBase,
)
from apis.shared.auth import AuthConfig, Authenticator, AuthMode, ClaimNames
from apis.shared.aws import client_config, s3_client_config
from apis.shared.caching import VersionStamp
from apis.shared.files import FileLimits, FileUploadService
from apis.shared.metering import ModelMeter
from apis.shared.models import (
    BedrockModelProvider,
    LocalModelProvider,
    ManagedModelRepository,
    ManagedModelService,
    ModelProviderProtocol,
)
from apis.shared.quota import (
    CostRepository,
    QuotaChecker,
    QuotaEventRepository,
    QuotaRepository,
    QuotaReservationRepository,
    QuotaResolver,
)
from apis.shared.rbac import AppRoleAdminService, AppRoleCache, AppRoleRepository, AppRoleService
from apis.shared.sessions import SessionService, SessionStore
from apis.shared.users import UserRepository, UserSyncService

if TYPE_CHECKING:
    from collections.abc import Callable

    from apis.app_api.settings import AppApiSettings
    from apis.shared.auth import User

__all__ = ["AppApiContainer", "AwsClients", "build_container"]


@dataclass
class AwsClients:
    """The boto3 clients of one process; tests pass moto-backed ones."""

    dynamodb: Any
    s3: Any
    bedrock_runtime: Any | None = None
    s3vectors: Any | None = None
    sqs: Any | None = None


@dataclass
class AppApiContainer:
    settings: AppApiSettings
    clients: AwsClients
    authenticator: Authenticator
    app_roles: AppRoleService
    app_role_admin: AppRoleAdminService
    app_role_cache: AppRoleCache
    app_role_repository: AppRoleRepository
    users: UserRepository
    managed_models: ManagedModelService
    sessions: SessionService
    session_store: SessionStore
    files: FileUploadService
    assistants: AssistantService
    documents: DocumentService
    knowledge_base: KnowledgeBase
    model_provider: ModelProviderProtocol
    quotas: QuotaRepository
    quota_resolver: QuotaResolver
    quota_events: QuotaEventRepository
    costs: CostRepository
    user_admin: UserAdminService
    sign_in: SignInService
    cost_reports: CostReportService
    admin_costs: AdminCostService
    model_meter: ModelMeter

    @property
    def dynamodb(self) -> Any:
        return self.clients.dynamodb


def build_clients(settings: AppApiSettings) -> AwsClients:
    """The clients this configuration needs, and no others."""
    common: dict[str, Any] = {"region_name": settings.aws_region, "endpoint_url": settings.aws_endpoint_url}
    # Path-style against a local endpoint (no bucket subdomains there), virtual-hosted on AWS.
    style: Literal["virtual", "path"] = "path" if settings.aws_endpoint_url else "virtual"
    uses_bedrock = settings.model_provider == "bedrock" or settings.knowledge_base == "s3vectors"
    # A model answer streams for minutes: the read timeout bounds the gap between events.
    model_config = client_config(read_timeout=settings.model_timeout_seconds, max_attempts=2)
    return AwsClients(
        dynamodb=boto3.client("dynamodb", config=client_config(), **common),
        s3=boto3.client("s3", config=s3_client_config(addressing_style=style), **common),
        bedrock_runtime=boto3.client("bedrock-runtime", config=model_config, **common) if uses_bedrock else None,
        s3vectors=(
            boto3.client("s3vectors", config=client_config(), **common)
            if settings.knowledge_base == "s3vectors"
            else None
        ),
        sqs=(
            boto3.client("sqs", config=client_config(read_timeout=25.0), **common)
            if settings.ingestion_queue_url
            else None
        ),
    )


def build_knowledge_base(settings: AppApiSettings, clients: AwsClients) -> KnowledgeBase:
    if settings.knowledge_base == "local":
        path = Path(settings.knowledge_base_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return LocalKnowledgeBase(str(path))
    return S3VectorsKnowledgeBase(
        clients.bedrock_runtime, clients.s3vectors, bucket=settings.vector_bucket, index_name=settings.vector_index
    )


def build_model_provider(settings: AppApiSettings, clients: AwsClients) -> ModelProviderProtocol:
    if settings.model_provider == "local":
        return LocalModelProvider(environment=settings.environment)
    return BedrockModelProvider(clients.bedrock_runtime)


def build_authenticator(settings: AppApiSettings, users: UserRepository) -> Authenticator:
    config = AuthConfig(
        issuer=settings.auth_issuer,
        audiences=tuple(settings.auth_audiences),
        jwks_url=settings.auth_jwks_url,
        mode=AuthMode(settings.auth_mode),
        environment=settings.environment,
        allowed_roles=tuple(settings.auth_allowed_roles),
        jwks_stale_grace_seconds=settings.auth_jwks_stale_grace_seconds,
        claims=ClaimNames(verified_email=settings.auth_share_identity_claim),
        verified_email_requires_flag=settings.auth_share_identity_requires_email_verified,
    )
    sync = UserSyncService(users)

    def sync_user(user: User) -> None:
        sync.sync_from_user(user)

    return Authenticator(config, on_authenticated=sync_user)


def build_container(
    settings: AppApiSettings,
    *,
    clients: AwsClients | None = None,
    authenticator: Authenticator | None = None,
    knowledge_base: KnowledgeBase | None = None,
    model_provider: ModelProviderProtocol | None = None,
    cache_clock: Callable[[], float] = time.monotonic,
) -> AppApiContainer:
    """Wire the services; tests pass their own clients, authenticator, knowledge base, model or caches' clock."""
    clients = clients or build_clients(settings)
    dynamodb = clients.dynamodb
    users = UserRepository(dynamodb, settings.users_table)
    session_store = SessionStore(dynamodb, settings.sessions_table)
    role_repository = AppRoleRepository(dynamodb, settings.app_roles_table)
    # Both caches follow their table's version stamp: another replica's admin change arrives within the interval.
    role_cache = AppRoleCache(stamp=VersionStamp(dynamodb, settings.app_roles_table), clock=cache_clock,
                              version_check_seconds=settings.cache_version_check_seconds)  # fmt: skip
    app_roles = AppRoleService(role_repository, role_cache)
    knowledge_base = knowledge_base or build_knowledge_base(settings, clients)
    quotas = QuotaRepository(dynamodb, settings.quotas_table)
    quota_resolver = QuotaResolver(quotas, version_check_seconds=settings.cache_version_check_seconds,
                                   clock=cache_clock)  # fmt: skip
    quota_events = QuotaEventRepository(dynamodb, settings.quota_events_table)
    costs = CostRepository(dynamodb, summary_table=settings.cost_summary_table,
                           records_table=settings.cost_records_table)  # fmt: skip
    managed_models = ManagedModelService(ManagedModelRepository(dynamodb, settings.managed_models_table), app_roles)
    # Titles and test chats are metered as chat turns are: checked against the quota, reserved, charged.
    model_meter = ModelMeter(
        managed_models=managed_models,
        app_roles=app_roles,
        quota=QuotaChecker(quota_resolver, costs, quota_events,
                           reservations=QuotaReservationRepository(dynamodb, settings.cost_summary_table)),
        costs=costs,
        free_model_ids=settings.free_model_ids,
    )  # fmt: skip
    return AppApiContainer(
        settings=settings,
        clients=clients,
        authenticator=authenticator or build_authenticator(settings, users),
        app_roles=app_roles,
        app_role_admin=AppRoleAdminService(role_repository, role_cache),
        app_role_cache=role_cache,
        app_role_repository=role_repository,
        users=users,
        managed_models=managed_models,
        sessions=SessionService(session_store),
        session_store=session_store,
        files=FileUploadService(
            dynamodb,
            clients.s3,
            table_name=settings.user_files_table,
            bucket=settings.user_files_bucket,
            limits=FileLimits(max_file_bytes=settings.max_file_bytes, user_quota_bytes=settings.file_quota_bytes),
        ),
        assistants=AssistantService(AssistantRepository(dynamodb, settings.assistants_table)),
        documents=DocumentService(
            dynamodb, clients.s3, knowledge_base, table_name=settings.assistants_table, bucket=settings.documents_bucket
        ),
        knowledge_base=knowledge_base,
        model_provider=model_provider or build_model_provider(settings, clients),
        quotas=quotas,
        quota_resolver=quota_resolver,
        quota_events=quota_events,
        costs=costs,
        user_admin=UserAdminService(users, costs, quota_resolver, app_roles, quota_events),
        sign_in=build_sign_in_service(settings, dynamodb),
        cost_reports=CostReportService(costs),
        admin_costs=AdminCostService(costs, users, quota_resolver, app_roles),
        model_meter=model_meter,
    )
