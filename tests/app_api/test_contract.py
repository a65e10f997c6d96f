"""The OpenAPI schema carries every path, method, query parameter and response field the web client uses.

The table is the client contract (sections 4-18) as data: a renamed path,
a dropped trailing slash, a snake_case field or a missing query parameter
fails here before a browser ever sees it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fastapi import FastAPI

# (method, path as the client writes it, query parameters it sends, response fields it reads)
CLIENT_CALLS: list[tuple[str, str, set[str], set[str]]] = [
    ("get", "/health", set(), {"status", "service", "version"}),
    ("get", "/models", set(), {"models", "totalCount"}),
    ("get", "/users/search", {"q", "limit"}, {"users"}),
    ("get", "/sessions", {"limit", "next_token"}, {"sessions", "nextToken"}),
    ("get", "/sessions/{sessionId}/metadata", set(), {"sessionId", "title", "status", "createdAt", "lastMessageAt",
                                                      "messageCount", "starred", "tags", "preferences"}),
    ("put", "/sessions/{sessionId}/metadata", set(), {"sessionId", "title", "preferences"}),
    ("delete", "/sessions/{sessionId}", set(), set()),
    ("post", "/sessions/bulk-delete", set(), {"deletedCount", "failedCount", "results"}),
    ("get", "/sessions/{sessionId}/messages", {"limit", "next_token"}, {"messages", "next_token"}),
    ("post", "/files/presign", set(), {"uploadId", "presignedUrl"}),
    ("post", "/files/{uploadId}/complete", set(), {"uploadId", "status", "s3Uri", "filename", "sizeBytes"}),
    ("get", "/files", {"sessionId", "limit", "cursor", "sortBy", "sortOrder"}, {"files", "nextCursor", "totalCount"}),
    ("delete", "/files/{uploadId}", set(), set()),
    ("get", "/files/quota", set(), {"usedBytes", "maxBytes", "fileCount"}),
    ("post", "/assistants/draft", set(), {"assistantId", "name", "description", "instructions", "vectorIndexId",
                                          "visibility"}),
    ("post", "/assistants", set(), {"assistantId", "status", "tags"}),
    ("get", "/assistants", {"include_drafts", "include_archived", "include_public", "limit", "next_token"},
     {"assistants"}),
    ("get", "/assistants/{id}", set(), {"assistantId", "ownerName", "usageCount", "isSharedWithMe", "firstInteracted"}),
    ("put", "/assistants/{id}", set(), {"assistantId", "visibility"}),
    ("post", "/assistants/{id}/archive", set(), set()),
    ("delete", "/assistants/{id}", set(), set()),
    ("get", "/assistants/{id}/shares", set(), {"assistantId", "sharedWith"}),
    ("post", "/assistants/{id}/shares", set(), {"assistantId", "sharedWith"}),
    ("delete", "/assistants/{id}/shares", set(), {"assistantId", "sharedWith"}),
    ("post", "/assistants/{id}/documents/upload-url", set(), {"documentId", "uploadUrl", "expiresIn"}),
    ("get", "/assistants/{id}/documents", {"limit", "next_token"}, {"documents", "nextToken"}),
    ("get", "/assistants/{id}/documents/{documentId}", set(), {"documentId", "assistantId", "filename", "contentType",
                                                              "sizeBytes", "status", "errorMessage", "chunkCount",
                                                              "createdAt", "updatedAt"}),
    ("get", "/assistants/{id}/documents/{documentId}/download", set(), {"downloadUrl", "filename", "expiresIn"}),
    ("delete", "/assistants/{id}/documents/{documentId}", set(), set()),
    ("post", "/assistants/{id}/test-chat", set(), set()),
    ("post", "/chat/generate-title", set(), {"title", "session_id"}),
    ("get", "/admin/managed-models", set(), {"models", "totalCount"}),
    ("post", "/admin/managed-models", set(), {"id", "modelId", "modelName", "provider", "allowedAppRoles",
                                              "availableToRoles", "inputPricePerMillionTokens", "supportsCaching"}),
    ("get", "/admin/managed-models/{id}", set(), {"id", "modelId"}),
    ("put", "/admin/managed-models/{id}", set(), {"id", "modelId"}),
    ("delete", "/admin/managed-models/{id}", set(), set()),
    ("get", "/admin/roles/", set(), {"roles", "total"}),
    ("post", "/admin/roles/", set(), {"roleId", "displayName", "effectivePermissions", "isSystemRole", "createdBy"}),
    ("get", "/admin/roles/{roleId}", set(), {"roleId", "priority", "enabled"}),
    ("patch", "/admin/roles/{roleId}", set(), {"roleId"}),
    ("delete", "/admin/roles/{roleId}", set(), set()),
    ("post", "/admin/roles/{roleId}/sync", set(), {"roleId", "effectivePermissions"}),
    ("get", "/admin/users", {"status", "domain", "limit", "cursor"}, {"users", "nextCursor", "totalCount"}),
    ("get", "/admin/users/search", {"email"}, {"users"}),
    ("get", "/admin/users/{userId}", set(), {"profile", "costSummary", "quotaStatus", "recentEvents"}),
    ("get", "/admin/users/domains/list", {"limit"}, set()),
    ("get", "/admin/quota/tiers", {"enabled_only"}, set()),
    ("post", "/admin/quota/tiers", set(), {"tierId", "tierName", "monthlyCostLimit", "periodType"}),
    ("get", "/admin/quota/tiers/{tierId}", set(), {"tierId"}),
    ("patch", "/admin/quota/tiers/{tierId}", set(), {"tierId"}),
    ("delete", "/admin/quota/tiers/{tierId}", set(), set()),
    ("get", "/admin/quota/assignments", {"enabled_only", "tier_id"}, set()),
    ("post", "/admin/quota/assignments", set(), {"assignmentId", "tierId", "assignmentType", "priority"}),
    ("get", "/admin/quota/assignments/{assignmentId}", set(), {"assignmentId"}),
    ("patch", "/admin/quota/assignments/{assignmentId}", set(), {"assignmentId"}),
    ("delete", "/admin/quota/assignments/{assignmentId}", set(), set()),
    ("get", "/admin/quota/overrides", {"active_only", "user_id"}, set()),
    ("post", "/admin/quota/overrides", set(), {"overrideId", "userId", "overrideType", "validFrom", "validUntil"}),
    ("get", "/admin/quota/overrides/{overrideId}", set(), {"overrideId"}),
    ("patch", "/admin/quota/overrides/{overrideId}", set(), {"overrideId"}),
    ("delete", "/admin/quota/overrides/{overrideId}", set(), set()),
    ("get", "/admin/quota/events", {"limit", "user_id", "tier_id", "event_type"}, set()),
    ("get", "/admin/quota/users/{userId}", {"email", "roles"}, {"userId", "currentPeriod", "percentageUsed",
                                                               "recentBlocks"}),
    ("get", "/costs/summary", set(), {"totalCost", "totalRequests", "totalInputTokens", "totalOutputTokens",
                                      "totalCacheSavings", "models"}),
    ("get", "/costs/detailed-report", {"start_date", "end_date"}, {"totalCost", "totalRequests", "totalInputTokens",
                                                                   "totalOutputTokens", "totalCacheSavings", "models"}),
    ("get", "/admin/costs/dashboard", {"period", "topUsersLimit", "includeTrends"},
     {"currentPeriod", "topUsers", "modelUsage", "dailyTrends"}),
    ("get", "/admin/costs/top-users", {"period", "limit", "minCost", "tierId"}, set()),
    ("get", "/admin/costs/export", {"format", "period"}, set()),
    ("get", "/admin/costs/system-summary", {"period", "periodType"}, {"period", "periodType", "totalCost",
                                                                      "totalRequests", "activeUsers"}),
    ("get", "/admin/costs/by-model", {"period"}, set()),
    ("get", "/admin/costs/by-tier", {"period"}, set()),
    ("get", "/admin/costs/trends", {"startDate", "endDate"}, set()),
    ("get", "/auth/login", {"prompt"}, {"authorization_url", "state"}),
    ("post", "/auth/token", set(), {"access_token", "refresh_token", "expires_in"}),
    ("post", "/auth/refresh", set(), {"access_token", "refresh_token", "expires_in"}),
    ("get", "/auth/logout", {"post_logout_redirect_uri"}, {"logout_url"}),
    ("get", "/memory/status", set(), {"available", "mode"}),
    ("get", "/memory", {"topK"}, {"preferences", "facts"}),
    ("post", "/memory/search", set(), {"memories"}),
    ("delete", "/memory/{recordId}", set(), set()),
    ("get", "/tools/", set(), {"tools"}),
    ("put", "/tools/preferences", set(), set()),
    ("get", "/tools/catalog", set(), {"tools", "total"}),
]  # fmt: skip

# Lists the client receives as bare JSON arrays.
BARE_ARRAYS = {"/admin/quota/tiers", "/admin/quota/assignments", "/admin/quota/overrides", "/admin/quota/events",
               "/admin/users/domains/list", "/admin/costs/top-users", "/admin/costs/by-model", "/admin/costs/by-tier",
               "/admin/costs/trends"}  # fmt: skip


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture(scope="module")
def schema(app_for_schema: FastAPI) -> dict[str, Any]:
    return app_for_schema.openapi()


@pytest.fixture(scope="module")
def app_for_schema() -> FastAPI:
    from apis.app_api.container import build_container
    from apis.app_api.main import create_app
    from apis.app_api.settings import AppApiSettings
    from apis.shared.assistants import LocalKnowledgeBase
    from apis.shared.auth import AuthConfig, Authenticator, AuthMode
    from apis.shared.composition import AwsClients
    from apis.shared.providers import LocalModelProvider

    settings = AppApiSettings(environment="test", auth_mode="disabled")
    container = build_container(
        settings,
        clients=AwsClients(dynamodb=object(), s3=object()),
        authenticator=Authenticator(AuthConfig(mode=AuthMode.DISABLED, environment="development")),
        knowledge_base=LocalKnowledgeBase(),
        model_provider=LocalModelProvider(environment="test"),
    )
    return create_app(settings, container=container)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        node = schema["components"]["schemas"][name]
    return node


def _operation(schema: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    by_shape = {_shape(p): item for p, item in schema["paths"].items()}
    item = by_shape.get(_shape(path))
    assert item is not None, f"{path} is not served"
    assert method in item, f"{method.upper()} {path} is not served (only {sorted(item)})"
    return dict(item[method])


@pytest.mark.parametrize(
    ("method", "path", "query", "fields"), CLIENT_CALLS, ids=[f"{m} {p}" for m, p, _, _ in CLIENT_CALLS]
)
def test_the_client_call_is_in_the_schema(
    schema: dict[str, Any], method: str, path: str, query: set[str], fields: set[str]
) -> None:
    operation = _operation(schema, method, path)
    accepted = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    assert query <= accepted, f"{method.upper()} {path} does not accept {sorted(query - accepted)}"
    success = next(code for code in operation["responses"] if code.startswith("2"))
    content = operation["responses"][success].get("content", {})
    if method == "get" and path in BARE_ARRAYS:
        assert _resolve(schema, content["application/json"]["schema"])["type"] == "array"
    if not fields:
        return
    body = _resolve(schema, content["application/json"]["schema"])
    properties = set(body.get("properties", {}))
    assert fields <= properties, f"{method.upper()} {path} lacks {sorted(fields - properties)}"


def test_streams_are_declared_as_event_streams(schema: dict[str, Any]) -> None:
    operation = _operation(schema, "post", "/assistants/{id}/test-chat")
    assert "text/event-stream" in operation["responses"]["200"]["content"]


def test_the_trailing_slash_routes_exist_only_with_the_slash(schema: dict[str, Any]) -> None:
    assert "/admin/roles/" in schema["paths"] and "/admin/roles" not in schema["paths"]
