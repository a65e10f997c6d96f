"""Assistant routes: draft/create/list/get/update/archive/delete, shares, documents, test chat; access; failures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.catalog import ManagedModelCreate, ManagedModelRepository, ManagedModelService, ProviderKind
from apis.shared.providers import ModelThrottledError, TextDelta
from apis.shared.quota import (
    CostRecord,
    CostRepository,
)
from tests.app_api.conftest import EMPLOYEE, TEST_CHAT_MODEL, bearer, person
from tests.support.faults import FAULT_IDS, FAULTS, inject_fault
from tests.support.quota import default_tier, spent
from tests.support.sse import parse_sse

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi.testclient import TestClient

    from apis.shared.providers import ModelEvent, ModelRequest


def verified(employee_number: str, email: str, **claims: Any) -> dict[str, str]:
    """A user whose identity provider vouches for their email (``email_verified``): shares match them."""
    return bearer(**{EMPLOYEE: employee_number, "email": email, "email_verified": True, "roles": ["Faculty"], **claims})


ADA = verified("111111111", "ada@example.edu")
BOB = verified("222222222", "bob@example.edu")
CAROL = verified("333333333", "carol@example.edu")

ASSISTANT_FIELDS = {"assistantId", "ownerId", "ownerName", "name", "description", "instructions", "vectorIndexId",
                    "visibility", "tags", "usageCount", "createdAt", "updatedAt", "status"}  # fmt: skip


def create(client: TestClient, headers: dict[str, str] = ADA, **fields: Any) -> dict[str, Any]:
    body = {"name": "Tutor", "description": "helps", "instructions": "Be brief.", "vectorIndexId": "idx_assistants",
            "visibility": "PRIVATE", "tags": ["math"], "status": "COMPLETE", **fields}  # fmt: skip
    response = client.post("/assistants", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def add_document(client: TestClient, s3: Any, app: Any, assistant_id: str, text: bytes) -> str:
    """Upload-url, the browser's PUT, then what the ingestion worker does when the object lands."""
    request = {"filename": "notes.md", "contentType": "text/markdown", "sizeBytes": len(text)}
    response = client.post(f"/assistants/{assistant_id}/documents/upload-url", headers=ADA, json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"documentId", "uploadUrl", "expiresIn"}
    documents = app.state.container.documents
    document = documents.get(assistant_id, body["documentId"])
    s3.put_object(Bucket="rag-documents", Key=document.s3_key, Body=text, ContentType="text/markdown")
    documents.process(assistant_id, body["documentId"])
    return str(body["documentId"])


def test_draft_then_create_in_the_contract_shape(client: TestClient) -> None:
    draft = client.post("/assistants/draft", json={"name": "Untitled Assistant"}, headers=ADA)
    assert draft.status_code == 200
    assert draft.json()["status"] == "DRAFT" and draft.json()["name"] == "Untitled Assistant"
    created = create(client, status="DRAFT")
    assert set(created) >= ASSISTANT_FIELDS and created["ownerId"] == "111111111"
    assert created["status"] == "DRAFT" and created["tags"] == ["math"]


def test_list_owned_and_shared_with_me(client: TestClient) -> None:
    mine = create(client, name="Mine")
    create(client, name="Draft", status="DRAFT")
    bobs = create(client, BOB, name="Bob's", visibility="SHARED")
    shared = client.post(f"/assistants/{bobs['assistantId']}/shares", json={"emails": ["Ada@Example.edu"]},
                         headers=BOB)  # fmt: skip
    assert shared.json() == {"assistantId": bobs["assistantId"], "sharedWith": ["ada@example.edu"]}
    params = {"include_drafts": "false", "include_archived": "false", "include_public": "false"}
    listed = client.get("/assistants", params=params, headers=ADA).json()["assistants"]
    by_name = {a["name"]: a for a in listed}
    assert set(by_name) == {"Mine", "Bob's"}
    assert by_name["Mine"]["isSharedWithMe"] is False and by_name["Bob's"]["isSharedWithMe"] is True
    assert "ownerId" not in by_name["Bob's"]
    with_drafts = client.get("/assistants", params={**params, "include_drafts": "true"}, headers=ADA).json()
    assert len(with_drafts["assistants"]) == 3
    assert client.get(f"/assistants/{bobs['assistantId']}", headers=ADA).status_code == 200
    assert client.get(f"/assistants/{mine['assistantId']}", headers=ADA).json()["assistantId"] == mine["assistantId"]


@pytest.mark.parametrize(
    "claims",
    [
        {},  # no email_verified claim (as Entra ID sends it): the email is not proof of anything
        {"email_verified": False},
        {"email_verified": "false"},
    ],
)
def test_a_share_needs_a_verified_email(client: TestClient, claims: dict[str, Any]) -> None:
    bobs = create(client, BOB, name="Bob's", visibility="SHARED")
    client.post(f"/assistants/{bobs['assistantId']}/shares", json={"emails": ["ada@example.edu"]}, headers=BOB)
    # Someone who put Ada's address in their profile, without the provider vouching for it.
    impostor = person("444444444", "ada@example.edu") if not claims else bearer(
        **{EMPLOYEE: "444444444", "email": "ada@example.edu", "roles": ["Faculty"], **claims}
    )  # fmt: skip
    refused = client.get(f"/assistants/{bobs['assistantId']}", headers=impostor)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert client.get("/assistants", headers=impostor).json()["assistants"] == []
    assert client.get(f"/assistants/{bobs['assistantId']}", headers=ADA).status_code == 200
    listed = client.get("/assistants", headers=ADA).json()["assistants"]
    assert [(a["name"], a["isSharedWithMe"]) for a in listed] == [("Bob's", True)]


def test_ids_outside_the_id_rule_are_a_422_envelope(client: TestClient) -> None:
    assistant_id = create(client)["assistantId"]
    for response in (
        client.get("/assistants/a%23b", headers=ADA),
        client.get("/assistants/a.b/documents", headers=ADA),
        client.get(f"/assistants/{assistant_id}/documents/DOC%23x", headers=ADA),
        client.delete(f"/assistants/{'x' * 129}", headers=ADA),
        client.post(f"/assistants/{assistant_id}/test-chat", json={"message": "hi", "session_id": "s#1"}, headers=ADA),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_error"
    assert client.get(f"/assistants/{assistant_id}", headers=ADA).status_code == 200


def test_get_is_404_when_missing_and_403_when_not_visible(client: TestClient) -> None:
    bobs = create(client, BOB)
    missing = client.get("/assistants/AST-nope", headers=ADA)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    hidden = client.get(f"/assistants/{bobs['assistantId']}", headers=ADA)
    assert hidden.status_code == 403 and hidden.json()["error"]["code"] == "forbidden"
    public = create(client, BOB, visibility="PUBLIC")
    assert client.get(f"/assistants/{public['assistantId']}", headers=ADA).status_code == 200


def test_only_the_owner_changes_an_assistant_others_get_404(client: TestClient) -> None:
    mine = create(client)
    path = f"/assistants/{mine['assistantId']}"
    for response in (
        client.put(path, json={"visibility": "PUBLIC"}, headers=BOB),
        client.post(f"{path}/archive", json={}, headers=BOB),
        client.delete(path, headers=BOB),
        client.get(f"{path}/shares", headers=BOB),
        client.post(f"{path}/shares", json={"emails": ["bob@example.edu"]}, headers=BOB),
        client.request("DELETE", f"{path}/shares", json={"emails": ["x@example.edu"]}, headers=BOB),
        client.get(f"{path}/documents", headers=BOB),
        client.post(f"{path}/test-chat", json={"message": "hi"}, headers=BOB),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    updated = client.put(path, json={"visibility": "SHARED", "status": "COMPLETE", "name": "Renamed"}, headers=ADA)
    assert updated.status_code == 200 and updated.json()["name"] == "Renamed"
    archived = client.post(f"{path}/archive", json={}, headers=ADA)
    assert archived.json()["status"] == "ARCHIVED"
    assert client.delete(path, headers=ADA).status_code == 204
    assert client.get(path, headers=ADA).status_code == 404


def test_shares_add_only_new_emails_and_delete_takes_a_json_body(client: TestClient) -> None:
    path = f"/assistants/{create(client, visibility='SHARED')['assistantId']}/shares"
    client.post(path, json={"emails": ["bob@example.edu"]}, headers=ADA)
    both = client.post(path, json={"emails": ["BOB@example.edu", "carol@example.edu"]}, headers=ADA).json()
    assert sorted(both["sharedWith"]) == ["bob@example.edu", "carol@example.edu"]
    left = client.request("DELETE", path, json={"emails": ["bob@example.edu"]}, headers=ADA).json()
    assert left["sharedWith"] == ["carol@example.edu"]
    assert client.get(path, headers=ADA).json()["sharedWith"] == ["carol@example.edu"]
    empty = client.post(path, json={"emails": []}, headers=ADA)
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "validation_error"


def test_documents_lifecycle(client: TestClient, s3: Any, app: Any) -> None:
    assistant = create(client, visibility="SHARED")
    path = f"/assistants/{assistant['assistantId']}/documents"
    document_id = add_document(client, s3, app, assistant["assistantId"], b"# Tides\nThe moon pulls the sea.")
    listed = client.get(path, headers=ADA).json()["documents"]
    assert [d["documentId"] for d in listed] == [document_id]
    document = client.get(f"{path}/{document_id}", headers=ADA).json()
    assert document["status"] == "complete" and document["chunkCount"] == 1
    assert set(document) >= {"documentId", "assistantId", "filename", "contentType", "sizeBytes", "createdAt"}
    client.post(f"/assistants/{assistant['assistantId']}/shares", json={"emails": ["bob@example.edu"]}, headers=ADA)
    download = client.get(f"{path}/{document_id}/download", headers=BOB)
    assert download.status_code == 200 and download.json()["filename"] == "notes.md"
    assert download.json()["expiresIn"] > 0 and "X-Amz-Signature" in download.json()["downloadUrl"]
    assert client.get(f"{path}/{document_id}/download", headers=CAROL).status_code == 403
    assert client.delete(f"{path}/{document_id}", headers=ADA).status_code == 204
    gone = client.get(f"{path}/{document_id}", headers=ADA)
    assert gone.status_code == 404  # the client keeps polling on 404
    assert app.state.container.knowledge_base.search(assistant["assistantId"], "moon") == []


def test_document_upload_refuses_unsupported_types(client: TestClient) -> None:
    assistant = create(client)
    request = {"filename": "a.exe", "contentType": "application/x-msdownload", "sizeBytes": 3}
    response = client.post(f"/assistants/{assistant['assistantId']}/documents/upload-url", headers=ADA, json=request)
    assert response.status_code == 400 and "file type" in response.json()["error"]["detail"]


def test_a_documents_cursor_is_bound_to_its_assistant(client: TestClient) -> None:
    first, second = create(client)["assistantId"], create(client)["assistantId"]
    request = {"filename": "notes.md", "contentType": "text/markdown", "sizeBytes": 3}
    for assistant_id in (first, second):
        for _ in range(2):
            client.post(f"/assistants/{assistant_id}/documents/upload-url", headers=ADA, json=request)
    page = client.get(f"/assistants/{first}/documents", params={"limit": 1}, headers=ADA).json()
    token = page["nextToken"]
    rest = client.get(f"/assistants/{first}/documents", params={"limit": 1, "next_token": token}, headers=ADA)
    assert rest.status_code == 200 and rest.json()["documents"][0]["documentId"] != page["documents"][0]["documentId"]
    refused = client.get(f"/assistants/{second}/documents", params={"limit": 1, "next_token": token}, headers=ADA)
    assert refused.status_code == 400
    assert refused.json()["error"] | {"requestId": None} == {
        "code": "bad_request", "message": "Invalid pagination token", "field": "next_token", "requestId": None,
    }  # fmt: skip


def test_deleting_an_assistant_deletes_its_documents(client: TestClient, s3: Any, app: Any) -> None:
    assistant = create(client)
    add_document(client, s3, app, assistant["assistantId"], b"Photosynthesis makes sugar from light.")
    assert client.delete(f"/assistants/{assistant['assistantId']}", headers=ADA).status_code == 204
    assert s3.list_objects_v2(Bucket="rag-documents").get("KeyCount") == 0
    assert app.state.container.knowledge_base.search(assistant["assistantId"], "sugar") == []


def test_test_chat_needs_a_processed_document(client: TestClient) -> None:
    assistant = create(client)
    response = client.post(f"/assistants/{assistant['assistantId']}/test-chat", json={"message": "hi"}, headers=ADA)
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"


@pytest.mark.usefixtures("test_chat_model")
def test_test_chat_streams_rag_debug_then_an_answer(client: TestClient, s3: Any, app: Any) -> None:
    assistant = create(client)
    add_document(client, s3, app, assistant["assistantId"], b"The capital of Atlantis is Poseidonia.")
    response = client.post(f"/assistants/{assistant['assistantId']}/test-chat",
                           json={"message": "What is the capital of Atlantis?"}, headers=ADA)  # fmt: skip
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    frames = parse_sse(response.text)
    assert all(frame.event for frame in frames)  # the client's parser breaks on unnamed frames
    names = [frame.event for frame in frames]
    assert names[0] == "debug" and names[-1] == "done"
    debug = frames[0].data
    assert debug["type"] == "rag_debug" and debug["chunk_count"] == 1
    assert "Poseidonia" in debug["chunks"][0]["text"]
    assert names[1:4] == ["message_start", "content_block_start", "content_block_delta"]
    text = "".join(f.data["text"] for f in frames if f.event == "content_block_delta" and f.data["type"] == "text")
    # The local model repeats what it was sent: the question with the document's chunk in front of it,
    # under the assistant's instructions.
    assert "Poseidonia" in text and "What is the capital of Atlantis?" in text
    assert text.endswith("I was given instructions.")
    assert names[-3:] == ["message_stop", "metadata", "done"]


class ThrottledMidStream:
    name = "throttled"

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        yield TextDelta("Partial ")
        raise ModelThrottledError(retry_after=7)


@pytest.mark.usefixtures("test_chat_model")
@pytest.mark.parametrize("model", [ThrottledMidStream()])
def test_a_model_failure_mid_stream_is_the_conversational_error_sequence(client: TestClient, s3: Any, app: Any) -> None:
    assistant = create(client)
    add_document(client, s3, app, assistant["assistantId"], b"Anything at all.")
    response = client.post(f"/assistants/{assistant['assistantId']}/test-chat", json={"message": "hi"}, headers=ADA)
    frames = parse_sse(response.text)
    names = [frame.event for frame in frames]
    assert names[-6:] == ["content_block_start", "content_block_delta", "content_block_stop", "message_stop",
                          "stream_error", "done"]  # fmt: skip
    error = frames[-2].data
    assert error["code"] == "rate_limit_exceeded" and error["recoverable"] is True and error["retry_after"] == 7


def owner_records(dynamodb: Any, user_id: str = "111111111") -> list[CostRecord]:
    today = datetime.now(tz=UTC).date()
    costs = CostRepository(dynamodb, summary_table="user-cost-summary", records_table="sessions-metadata")
    return costs.user_records(user_id, today, today)


@pytest.mark.usefixtures("test_chat_model")
def test_a_test_chat_is_charged_to_its_owner(client: TestClient, s3: Any, app: Any, dynamodb: Any) -> None:
    assistant = create(client)
    add_document(client, s3, app, assistant["assistantId"], b"The capital of Atlantis is Poseidonia.")
    response = client.post(f"/assistants/{assistant['assistantId']}/test-chat",
                           json={"message": "Atlantis?", "session_id": "try-1"}, headers=ADA)  # fmt: skip
    usage = next(frame.data["usage"] for frame in parse_sse(response.text) if frame.event == "metadata")
    (record,) = owner_records(dynamodb)
    assert (record.purpose, record.session_id, record.estimated) == ("test_chat", "try-1", False)
    assert (record.usage.input_tokens, record.usage.output_tokens) == (usage["inputTokens"], usage["outputTokens"])
    expected = (Decimal(usage["inputTokens"]) + 5 * Decimal(usage["outputTokens"])) / 1_000_000
    assert record.cost == expected.quantize(Decimal("0.000001")) > 0


@pytest.mark.usefixtures("test_chat_model")
@pytest.mark.parametrize("model", [ThrottledMidStream()])
def test_a_test_chat_that_failed_mid_answer_is_charged_what_it_generated(
    client: TestClient, s3: Any, app: Any, dynamodb: Any
) -> None:
    assistant = create(client)
    add_document(client, s3, app, assistant["assistantId"], b"Anything at all.")
    client.post(f"/assistants/{assistant['assistantId']}/test-chat", json={"message": "hi"}, headers=ADA)
    (record,) = owner_records(dynamodb)
    assert record.estimated is True and record.usage.output_tokens == 2  # "Partial ": 8 characters


@pytest.mark.usefixtures("test_chat_model")
def test_a_test_chat_over_quota_is_429_before_the_stream(client: TestClient, s3: Any, app: Any, dynamodb: Any) -> None:
    assistant = create(client)
    add_document(client, s3, app, assistant["assistantId"], b"Anything at all.")
    default_tier(dynamodb, 1)
    spent(dynamodb, "111111111", 1)
    response = client.post(f"/assistants/{assistant['assistantId']}/test-chat", json={"message": "hi"}, headers=ADA)
    assert response.status_code == 429 and response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "quota_exceeded"
    assert response.json()["error"]["message"].startswith("You have reached your usage quota.")
    assert len(owner_records(dynamodb)) == 1


def test_a_test_chat_model_missing_from_the_catalogue_or_not_open_is_refused(
    client: TestClient, s3: Any, app: Any, dynamodb: Any
) -> None:
    assistant = create(client)
    add_document(client, s3, app, assistant["assistantId"], b"Anything at all.")
    path = f"/assistants/{assistant['assistantId']}/test-chat"
    missing = client.post(path, json={"message": "hi"}, headers=ADA)
    assert missing.status_code == 503 and missing.json()["error"]["code"] == "service_unavailable"
    ManagedModelService(ManagedModelRepository(dynamodb, "managed-models")).create(
        ManagedModelCreate(model_id=TEST_CHAT_MODEL, model_name="Claude Haiku 4.5", provider=ProviderKind.BEDROCK,
                           input_modalities=["TEXT"], output_modalities=["TEXT"], max_input_tokens=200_000,
                           max_output_tokens=4096, available_to_roles=["Staff"],
                           input_price_per_million_tokens=Decimal(1), output_price_per_million_tokens=Decimal(5))
    )  # fmt: skip
    refused = client.post(path, json={"message": "hi"}, headers=ADA)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == f"Model {TEST_CHAT_MODEL} is not available to you"
    assert owner_records(dynamodb) == []


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_storage_failures_are_5xx_never_an_empty_200(client: TestClient, dynamodb: Any, fault) -> None:
    assistant = create(client)
    with inject_fault(dynamodb, "GetItem", fault):
        response = client.get(f"/assistants/{assistant['assistantId']}", headers=ADA)
    assert response.status_code == fault.status and response.json()["error"]["code"] == fault.code
    with inject_fault(dynamodb, "Query", fault):
        listed = client.get("/assistants", headers=ADA)
    assert listed.status_code == fault.status and listed.json()["error"]["code"] == fault.code
