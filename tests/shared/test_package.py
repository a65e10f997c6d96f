"""The library's public surface and its import cost."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import apis.shared

PUBLIC_PACKAGES = {
    "apis.shared": {"__version__"},
    "apis.shared.errors": {
        "ApisError", "AuthenticationError", "BadRequestError", "ConflictError", "DependencyTimeoutError",
        "DependencyUnavailableError", "ErrorCode", "ErrorKind", "ErrorSpec",
        "ErrorDetail", "InputValidationError", "InternalError", "ModelInvocationError", "NotFoundError",
        "PermissionDeniedError", "QuotaExceededError", "RateLimitExceededError",
        "create_error_response",
        "error_detail_from_exception", "http_status_to_error_code", "kind_for_code",
    },
    "apis.shared.http": {
        "LOCAL_WEB_CLIENT_ORIGINS", "REQUEST_ID_HEADER", "CorsConfigurationError", "CorsPolicy", "CorsSettings",
        "RequestIdMiddleware",
        "UnhandledErrorMiddleware", "install_cors", "install_error_handlers",
        "ErrorBody", "RequestBodyLimitMiddleware", "document_error_responses", "install_body_limit",
    },
    "apis.shared.aws": {
        "CONDITIONAL_CHECK_FAILED", "DependencyAccessDeniedError", "DependencyThrottledError", "GlobalIndex",
        "TableDefinition", "batch_get_all", "client_config", "client_error_code", "create_table", "from_item",
        "is_conditional_check_failure", "plain", "s3_client_config", "to_item", "translate_aws_errors",
        "UnstorableNumberError",
    },
    "apis.shared.auth": {
        "ACCEPTED_ALGORITHMS", "DEVELOPMENT_USER", "OIDC_STATE_TABLE", "AuthConfig", "AuthConfigurationError",
        "AuthMode", "Authenticator", "ClaimNames", "DynamoDBStateStore", "InsufficientScopeError",
        "JwksCache", "JwtValidator", "OIDCStateData", "RoleRequiredError", "StateStore", "TokenAlgorithmError",
        "TokenAudienceError", "TokenClaimsError", "TokenExpiredError", "TokenIssuerError", "TokenMalformedError",
        "TokenMissingError", "TokenNotYetValidError", "TokenSignatureError", "UnknownSigningKeyError", "User",
        "fetch_jwks",
    },
    "apis.shared.users": {
        "USERS_TABLE", "UserListItem", "UserNotFoundError", "UserProfile", "UserRepository", "UserStatus",
        "UserSyncService", "UsersPage",
    },
    "apis.shared.rbac": {
        "APP_ROLES_TABLE", "DEFAULT_ADMIN_JWT_ROLES", "DEFAULT_QUOTA_TIER", "DEFAULT_ROLE", "DEFAULT_ROLE_ID",
        "MAX_MAPPINGS", "SYSTEM_ADMIN_ROLE", "SYSTEM_ADMIN_ROLE_ID", "WILDCARD", "AppRole", "AppRoleAdminService",
        "AppRoleCache", "AppRoleCacheStats", "AppRoleChangedError", "AppRoleCreate", "AppRoleExistsError",
        "AppRoleList", "AppRoleNotFoundError", "AppRoleRepository", "AppRoleService", "AppRoleUpdate",
        "EffectivePermissions", "UserEffectivePermissions", "effective_permissions", "is_system_admin",
        "merge_grants", "seed_system_roles",
    },
    "apis.shared.quota": {
        "COST_RECORDS_TABLE", "COST_SUMMARY_TABLE", "QUOTAS_TABLE", "QUOTA_EVENTS_TABLE", "UNLIMITED_THRESHOLD",
        "ActionOnLimit", "AssignmentNotFoundError", "CostRecord", "CostRepository", "CostSummary", "ModelCost",
        "OverrideNotFoundError", "PeriodType", "PricingSnapshot", "QuotaAssignment", "QuotaAssignmentCreate",
        "QuotaAssignmentType", "QuotaAssignmentUpdate", "QuotaCheckResult", "QuotaChecker", "QuotaEvent",
        "QuotaEventRepository", "QuotaEventType", "QuotaOverride", "QuotaOverrideCreate",
        "QuotaOverrideType", "QuotaOverrideUpdate", "QuotaRepository", "QuotaResolver", "QuotaTier",
        "QuotaTierCreate", "QuotaTierUpdate", "ResolvedQuota", "TierInUseError",
        "TierNotFoundError", "TokenUsage", "WarningLevel",
        "domain_matches", "message_cost", "period_key",
        "DailyCost", "ModelUsage", "UserCostTotal", "cost_sort_key", "summarize_model_usage",
        "DEFAULT_RESERVATION_SECONDS", "QuotaAdmission", "QuotaReservation", "QuotaReservationRepository",
        "ReservationOutcome",
    },
    "apis.shared.sessions": {
        "DEFAULT_TITLE", "SESSIONS_METADATA_TABLE", "Attribution", "BulkDeleteSessionResult",
        "BulkDeleteSessionsRequest", "BulkDeleteSessionsResponse", "Citation", "LatencyMetrics", "Message",
        "MessageContent", "MessageMetadata", "MessagePage", "MessageResponse", "MessageTokenUsage",
        "MessagesListResponse", "ModelInfo", "SessionMetadata", "SessionMetadataResponse", "SessionNotFoundError",
        "SessionPage", "SessionPreferences", "SessionService", "SessionStatus", "SessionStore",
        "SessionsListResponse", "UpdateSessionMetadataRequest", "get_session_metadata", "TurnInProgressError",
    },
    "apis.shared.catalog": {
        "MANAGED_MODELS_TABLE", "MODEL_ID_INDEX", "DuplicateModelIdError", "ManagedModel", "ManagedModelCreate",
        "ManagedModelNotFoundError", "ManagedModelRepository", "ManagedModelService", "ManagedModelUpdate",
        "ManagedModelsListResponse", "ModelNotConfiguredError", "ProviderKind", "ResolvedModel", "can_access_model",
    },
    "apis.shared.providers": {
        "BedrockModelProvider", "ChatTurn", "ContentBlock", "DocumentBlock", "ImageBlock", "LocalModelProvider",
        "ModelAccessDeniedError", "ModelEvent", "ModelInvocationError", "ModelProvider", "ModelRequest",
        "ModelRequestInvalidError", "ModelThrottledError", "ModelTimeoutError", "ModelUnavailableError",
        "ProviderConfigurationError", "StreamStop", "TextBlock", "TextDelta", "UsageReport",
    },
    "apis.shared.streaming": {
        "AnswerCollector", "ClosingEvent", "ConversationalErrorEvent", "QuotaExceededEvent", "QuotaWarningEvent",
        "build_conversational_error_event", "build_quota_exceeded_event", "build_quota_warning_event",
        "citation_frame", "content_block_delta", "content_block_start", "content_block_stop",
        "conversational_error_for", "conversational_error_frames", "done_frame", "format_sse", "message_start",
        "message_stop", "metadata_frame", "model_answer_frames",
    },
    "apis.shared.timestamps": {"format_utc", "parse_utc", "utc_timestamp"},
    "apis.shared.money": {"Money"},
    "apis.shared.settings": {"Environment", "ServiceSettings"},
    "apis.shared.composition": {
        "AwsClients", "build_authenticator", "build_clients", "build_knowledge_base", "build_model_provider",
    },
    "apis.shared.tables": {"SESSIONS_METADATA_TABLE", "USER_TIMESTAMP_INDEX"},
    "apis.shared.metering": {
        "CHARS_PER_TOKEN", "IMAGE_TOKENS", "IMAGE_TOKEN_BOUND", "CallPurpose", "Charge", "MeteredCall", "ModelMeter",
        "cost_bound", "estimated_input_tokens", "estimated_tokens", "estimated_usage", "input_token_bound",
    },
    "apis.shared.files": {
        "ALLOWED_EXTENSIONS", "ALLOWED_MIME_TYPES", "USER_FILES_TABLE", "CompleteUploadResponse", "FileLimits",
        "FileListResponse", "FileMetadata", "FileNotReadyError", "FileQuotaExceededError", "FileResolver",
        "FileResponse", "FileStatus", "FileTooLargeError", "FileUploadService", "InvalidFileTypeError",
        "PresignRequest", "PresignResponse", "QuotaResponse", "ResolvedFileContent", "TooManyFilesError",
        "UploadNotFoundError", "resolve_mime_type",
        "FileNotUploadedError", "StoredFileTooLargeError", "UploadRefusedError", "read_object_within",
        "stored_object_size",
    },
    "apis.shared.assistants": {
        "ASSISTANTS_TABLE", "DEFAULT_VECTOR_INDEX_ID", "SUPPORTED_TYPES", "Assistant", "AssistantAccessDeniedError",
        "AssistantNotFoundError", "AssistantRepository", "AssistantResponse", "AssistantService",
        "AssistantSharesResponse", "AssistantStatus", "AssistantVisibility", "AssistantsListResponse", "Chunk",
        "CreateAssistantDraftRequest", "CreateAssistantRequest", "Document", "DocumentNotFoundError",
        "DocumentService", "DocumentStatus", "DocumentUploadRequest", "DocumentUploadResponse",
        "DocumentsListResponse", "KnowledgeBase", "LocalKnowledgeBase", "S3VectorsKnowledgeBase", "SearchHit",
        "ShareAssistantRequest", "UnsupportedDocumentError", "UpdateAssistantRequest",
        "augment_prompt_with_context", "chunk_text", "extract_text", "visible_to",
    },
    "apis.shared.observability": {
        "JsonLogFormatter", "RequestIdLogFilter", "bind_request_id", "configure_logging", "get_request_id",
        "reset_request_id",
    },
}  # fmt: skip


@pytest.mark.parametrize("package", sorted(PUBLIC_PACKAGES))
def test_public_surface_is_exactly_all(package: str) -> None:
    module = importlib.import_module(package)
    assert set(module.__all__) == PUBLIC_PACKAGES[package], "update CHANGELOG.md when the public surface changes"
    for name in module.__all__:
        assert hasattr(module, name)


def test_api_models_share_one_camel_case_base() -> None:
    from apis.shared.schema import CamelModel, OpenCamelModel

    assert CamelModel.model_validate({"fooBar": 1}).model_config["serialize_by_alias"]
    assert OpenCamelModel.model_validate({"extraField": 1}).model_dump() == {"extraField": 1}


def test_apis_is_a_namespace_package() -> None:
    import apis

    assert apis.__file__ is None
    assert type(apis.__path__).__name__ == "_NamespacePath"


def test_version_is_a_string() -> None:
    assert isinstance(apis.shared.__version__, str)


def _modules_after(statement: str) -> set[str]:
    probe = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    return set(output.split())


def test_importing_the_package_is_cheap() -> None:
    loaded = _modules_after("import apis.shared")
    assert not {"fastapi", "starlette", "boto3", "botocore", "pydantic"} & loaded


def test_errors_do_not_import_the_stream() -> None:
    loaded = _modules_after("import apis.shared.errors")
    assert not {name for name in loaded if name.startswith("apis.shared.streaming")}


def test_errors_need_no_web_framework_or_aws_sdk() -> None:
    loaded = _modules_after("import apis.shared.errors, apis.shared.observability")
    assert not {"fastapi", "starlette", "boto3", "botocore"} & loaded


def test_assistants_load_document_parsers_only_when_ingesting() -> None:
    assert not {"pypdf", "docx", "lxml"} & _modules_after("import apis.shared.assistants")


def test_token_validation_needs_no_web_framework() -> None:
    assert not {"fastapi", "starlette"} & _modules_after("import apis.shared.auth")
