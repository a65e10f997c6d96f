"""Everything a request needs, built once per process: AWS clients, repositories, the chat service.

boto3 clients are made here, at startup, with bounded timeouts and retries;
nothing creates a client at import time or per request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import boto3

from apis.inference_api.chat.service import ChatService
from apis.shared.assistants import (
    AssistantRepository,
    AssistantService,
    KnowledgeBase,
    LocalKnowledgeBase,
    S3VectorsKnowledgeBase,
)
from apis.shared.auth import AuthConfig, Authenticator, AuthMode, ClaimNames
from apis.shared.aws import client_config, s3_client_config
from apis.shared.caching import VersionStamp
from apis.shared.files import FileLimits, FileResolver, FileUploadService
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
from apis.shared.rbac import AppRoleCache, AppRoleRepository, AppRoleService
from apis.shared.sessions import SessionService, SessionStore
from apis.shared.users import UserRepository, UserSyncService

if TYPE_CHECKING:
    from collections.abc import Callable

    from apis.inference_api.settings import InferenceApiSettings
    from apis.shared.auth import User

__all__ = ["AwsClients", "InferenceApiContainer", "build_clients", "build_container"]


@dataclass
class AwsClients:
    """The boto3 clients of one process; tests pass moto-backed ones."""

    dynamodb: Any
    s3: Any
    bedrock_runtime: Any | None = None
    s3vectors: Any | None = None


@dataclass
class InferenceApiContainer:
    settings: InferenceApiSettings
    clients: AwsClients
    authenticator: Authenticator
    app_roles: AppRoleService
    chat: ChatService


def build_clients(settings: InferenceApiSettings) -> AwsClients:
    common: dict[str, Any] = {"region_name": settings.aws_region, "endpoint_url": settings.aws_endpoint_url}
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
    )


def build_knowledge_base(settings: InferenceApiSettings, clients: AwsClients) -> KnowledgeBase:
    if settings.knowledge_base == "local":
        path = Path(settings.knowledge_base_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return LocalKnowledgeBase(str(path))
    return S3VectorsKnowledgeBase(
        clients.bedrock_runtime, clients.s3vectors, bucket=settings.vector_bucket, index_name=settings.vector_index
    )


def build_model_provider(settings: InferenceApiSettings, clients: AwsClients) -> ModelProviderProtocol:
    if settings.model_provider == "local":
        return LocalModelProvider(environment=settings.environment)
    return BedrockModelProvider(clients.bedrock_runtime)


def build_authenticator(settings: InferenceApiSettings, users: UserRepository) -> Authenticator:
    config = AuthConfig(
        issuer=settings.auth_issuer,
        audiences=tuple(settings.auth_audiences),
        jwks_url=settings.auth_jwks_url,
        mode=AuthMode(settings.auth_mode),
        environment=settings.environment,
        allowed_roles=tuple(settings.auth_allowed_roles),
        allow_trusted=True,
        jwks_stale_grace_seconds=settings.auth_jwks_stale_grace_seconds,
        claims=ClaimNames(verified_email=settings.auth_share_identity_claim),
        verified_email_requires_flag=settings.auth_share_identity_requires_email_verified,
    )
    sync = UserSyncService(users)

    def sync_user(user: User) -> None:
        sync.sync_from_user(user)

    return Authenticator(config, on_authenticated=sync_user)


def build_container(
    settings: InferenceApiSettings,
    *,
    clients: AwsClients | None = None,
    authenticator: Authenticator | None = None,
    knowledge_base: KnowledgeBase | None = None,
    model_provider: ModelProviderProtocol | None = None,
    cache_clock: Callable[[], float] = time.monotonic,
) -> InferenceApiContainer:
    """Wire the services; tests pass their own clients, authenticator, knowledge base, model or caches' clock."""
    clients = clients or build_clients(settings)
    dynamodb = clients.dynamodb
    users = UserRepository(dynamodb, settings.users_table)
    # Both caches follow their table's version stamp: an admin change arrives within the interval.
    role_cache = AppRoleCache(stamp=VersionStamp(dynamodb, settings.app_roles_table), clock=cache_clock,
                              version_check_seconds=settings.cache_version_check_seconds)  # fmt: skip
    app_roles = AppRoleService(AppRoleRepository(dynamodb, settings.app_roles_table), role_cache)
    session_store = SessionStore(dynamodb, settings.sessions_table)
    costs = CostRepository(dynamodb, summary_table=settings.cost_summary_table,
                           records_table=settings.cost_records_table)  # fmt: skip
    quota = QuotaChecker(
        QuotaResolver(QuotaRepository(dynamodb, settings.quotas_table),
                      version_check_seconds=settings.cache_version_check_seconds, clock=cache_clock),
        costs,
        QuotaEventRepository(dynamodb, settings.quota_events_table),
        reservations=QuotaReservationRepository(dynamodb, settings.cost_summary_table,
                                                reservation_seconds=settings.quota_reservation_seconds),
    )  # fmt: skip
    files = FileUploadService(dynamodb, clients.s3, table_name=settings.user_files_table,
                              bucket=settings.user_files_bucket,
                              limits=FileLimits(max_file_bytes=settings.max_file_bytes))  # fmt: skip
    chat = ChatService(
        sessions=SessionService(session_store),
        session_store=session_store,
        app_roles=app_roles,
        meter=ModelMeter(
            managed_models=ManagedModelService(ManagedModelRepository(dynamodb, settings.managed_models_table),
                                               app_roles),
            app_roles=app_roles,
            quota=quota if settings.quota_enforcement else None,
            costs=costs,
            free_model_ids=settings.free_model_ids,
        ),
        files=FileResolver(files, clients.s3),
        assistants=AssistantService(AssistantRepository(dynamodb, settings.assistants_table)),
        knowledge_base=knowledge_base or build_knowledge_base(settings, clients),
        provider=model_provider or build_model_provider(settings, clients),
        default_model_id=settings.default_model_id,
        max_history_messages=settings.max_history_messages,
        turn_lease_seconds=settings.turn_lease_seconds,
        expose_error_text=settings.expose_internal_errors,
    )  # fmt: skip
    return InferenceApiContainer(
        settings=settings,
        clients=clients,
        authenticator=authenticator or build_authenticator(settings, users),
        app_roles=app_roles,
        chat=chat,
    )
