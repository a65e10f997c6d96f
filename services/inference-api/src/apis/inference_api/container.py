"""Everything a request needs, built once per process: AWS clients, repositories, the chat service.

boto3 clients are made here, at startup, with bounded timeouts and retries;
nothing creates a client at import time or per request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apis.inference_api.chat.service import ChatService
from apis.shared.assistants import AssistantRepository, AssistantService
from apis.shared.caching import VersionStamp
from apis.shared.catalog import ManagedModelRepository, ManagedModelService
from apis.shared.composition import (
    AwsClients,
    build_authenticator,
    build_clients,
    build_knowledge_base,
    build_model_provider,
)
from apis.shared.files import FileLimits, FileResolver, FileUploadService
from apis.shared.metering import ModelMeter
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
from apis.shared.users import UserRepository

if TYPE_CHECKING:
    from collections.abc import Callable

    from apis.inference_api.settings import InferenceApiSettings
    from apis.shared.assistants import KnowledgeBase
    from apis.shared.auth import Authenticator
    from apis.shared.providers import ModelProvider

__all__ = ["InferenceApiContainer", "build_container"]


@dataclass
class InferenceApiContainer:
    settings: InferenceApiSettings
    clients: AwsClients
    authenticator: Authenticator
    app_roles: AppRoleService
    chat: ChatService


def build_container(
    settings: InferenceApiSettings,
    *,
    clients: AwsClients | None = None,
    authenticator: Authenticator | None = None,
    knowledge_base: KnowledgeBase | None = None,
    model_provider: ModelProvider | None = None,
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
        # AgentCore's JWT authorizer may validate tokens in front of this service (see InferenceApiSettings).
        authenticator=authenticator or build_authenticator(settings, users, allow_trusted=True),
        app_roles=app_roles,
        chat=chat,
    )
