"""schemathesis against app-api's own schema: no server error, every status documented, every error the envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from apis.app_api.settings import AppApiSettings
from tests.app_api.conftest import ADMIN_ROLE, SIGNING_KEY, SYSTEM_ADMIN_ROLE, make_app, person
from tests.app_api.test_auth import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, FakeClock, FakeProvider, with_provider
from tests.support.fuzz import fuzz_app
from tests.support.tokens import AUDIENCE, ISSUER

if TYPE_CHECKING:
    from apis.shared.assistants import LocalKnowledgeBase

pytestmark = pytest.mark.fuzz

SYSTEM_ADMINISTRATOR = person("100000002", "admin@example.edu", ADMIN_ROLE, SYSTEM_ADMIN_ROLE, "Faculty")
SESSION_ID = "0b5b5f5e-8d51-4a8e-9d0e-3a1f0c2b7e11"


def created(client: TestClient, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.request(method, path, json=body, headers=SYSTEM_ADMINISTRATOR)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def priced_model(model_id: str) -> dict[str, Any]:
    return {"modelId": model_id, "modelName": model_id, "provider": "bedrock", "inputModalities": ["TEXT"],
            "outputModalities": ["TEXT"], "maxInputTokens": 200_000, "maxOutputTokens": 4096,
            "availableToRoles": ["Faculty"], "inputPricePerMillionTokens": 1,
            "outputPricePerMillionTokens": 5}  # fmt: skip


def known_resources(client: TestClient, settings: AppApiSettings) -> dict[str, str]:
    """One resource of each kind the path parameters name, made through the API, by the fuzzing caller.

    The models titles and assistant test chats use go into the catalogue too, so those calls reach the model.
    """
    for model_id in dict.fromkeys((settings.title_model_id, settings.test_chat_model_id)):
        created(client, "POST", "/admin/managed-models", priced_model(model_id))
    assistant = created(client, "POST", "/assistants", {"name": "Tutor", "instructions": "Be brief."})["assistantId"]
    upload = {"filename": "notes.txt", "contentType": "text/plain", "sizeBytes": 10}
    document = created(client, "POST", f"/assistants/{assistant}/documents/upload-url", upload)["documentId"]
    created(client, "PUT", f"/sessions/{SESSION_ID}/metadata", {"title": "Fuzzing"})
    presign = {"sessionId": SESSION_ID, "filename": "notes.txt", "mimeType": "text/plain", "sizeBytes": 10}
    file_upload = created(client, "POST", "/files/presign", presign)["uploadId"]
    tier = created(client, "POST", "/admin/quota/tiers", {"tierId": "tier_fuzz", "tierName": "Fuzz",
                                                          "monthlyCostLimit": 5})["tierId"]  # fmt: skip
    assignment = created(client, "POST", "/admin/quota/assignments",
                         {"tierId": tier, "assignmentType": "direct_user", "userId": "100000003"})  # fmt: skip
    override = created(client, "POST", "/admin/quota/overrides", {
        "userId": "100000003", "overrideType": "unlimited", "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2099-01-01T00:00:00Z", "reason": "fuzzing",
    })  # fmt: skip
    model = created(client, "POST", "/admin/managed-models", priced_model("fuzz.model-v1"))
    return {
        "assistant_id": assistant,
        "document_id": document,
        "session_id": SESSION_ID,
        "upload_id": file_upload,
        "tier_id": tier,
        "assignment_id": assignment["assignmentId"],
        "override_id": override["overrideId"],
        "model_uuid": model["id"],
        "role_id": "default",
        "user_id": "100000002",
    }


def test_fuzzing_every_operation_as_a_system_administrator_finds_nothing(
    dynamodb: Any, s3: Any, knowledge_base: LocalKnowledgeBase, model: Any
) -> None:
    # Sign-in configured against a fake provider, so /auth/* is fuzzed past "not configured".
    settings = AppApiSettings(
        environment="test", auth_issuer=ISSUER, auth_audiences=[AUDIENCE], auth_jwks_url="unused",
        oidc_client_id=CLIENT_ID, oidc_client_secret=SecretStr(CLIENT_SECRET), oidc_redirect_uri=REDIRECT_URI,
    )  # fmt: skip
    app = with_provider(make_app(settings, dynamodb, s3, knowledge_base, model), settings, dynamodb,
                        FakeProvider(SIGNING_KEY), FakeClock())  # fmt: skip
    known = known_resources(TestClient(app), settings)
    # Long-term memory is not offered: its calls are 503 by design (README, "What the pages get").
    run = fuzz_app(app, SYSTEM_ADMINISTRATOR, known=known, unavailable=("/memory",))
    assert run.operations >= 80
    assert run.failures == [], run.report()
