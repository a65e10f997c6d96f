"""Everything a request may need, built once per process: AWS clients, repositories, services.

boto3 clients are made here, at startup, with bounded timeouts and retries,
and shared by all requests; nothing creates a client at import time or per
request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apis.app_api.admin.service import UserAdminService
from apis.app_api.auth.service import SignInService, build_sign_in_service
from apis.app_api.costs.admin_service import AdminCostService
from apis.app_api.costs.service import CostReportService
from apis.shared.assistants import AssistantRepository, AssistantService, DocumentService, KnowledgeBase
from apis.shared.caching import VersionStamp
from apis.shared.catalog import ManagedModelRepository, ManagedModelService
from apis.shared.composition import (
    AwsClients,
    build_authenticator,
    build_clients,
    build_knowledge_base,
    build_model_provider,
)
from apis.shared.files import FileLimits, FileUploadService
from apis.shared.metering import ModelMeter
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
from apis.shared.users import UserRepository

if TYPE_CHECKING:
    from collections.abc import Callable

    from apis.app_api.settings import AppApiSettings
    from apis.shared.auth import Authenticator
    from apis.shared.providers import ModelProvider

__all__ = ["AppApiContainer", "build_container"]


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
    model_provider: ModelProvider
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


def build_container(
    settings: AppApiSettings,
    *,
    clients: AwsClients | None = None,
    authenticator: Authenticator | None = None,
    knowledge_base: KnowledgeBase | None = None,
    model_provider: ModelProvider | None = None,
    cache_clock: Callable[[], float] = time.monotonic,
) -> AppApiContainer:
    """Wire the services; tests pass their own clients, authenticator, knowledge base, model or caches' clock."""
    # The ingestion worker's queue is app-api's alone.
    clients = clients or build_clients(settings, with_queue=bool(settings.ingestion_queue_url))
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
