"""Session routes: the client's field names, create-on-put, ownership, deletes with their file cascade, failures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from apis.shared.files import FileUploadService, PresignRequest
from apis.shared.sessions import Message, MessageContent, SessionStore
from tests.app_api.conftest import bearer
from tests.support.faults import FAULTS, inject_fault

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ADA = {"http://schemas.boisestate.edu/claims/employeenumber": "111111111", "email": "ada@example.edu"}
BOB = {"http://schemas.boisestate.edu/claims/employeenumber": "222222222", "email": "bob@example.edu"}


def test_put_creates_then_merges_and_get_reads_it(client: TestClient) -> None:
    created = client.put("/sessions/s1/metadata", json={"lastModel": "haiku"}, headers=bearer(**ADA))
    assert created.status_code == 200
    body = created.json()
    assert body["sessionId"] == "s1" and body["title"] == "New Conversation" and body["messageCount"] == 0
    assert body["preferences"] == {"lastModel": "haiku"} and "userId" not in body
    merged = client.put("/sessions/s1/metadata", json={"title": "Trip", "assistantId": "ast-1"}, headers=bearer(**ADA))
    assert merged.json()["preferences"] == {"lastModel": "haiku", "assistantId": "ast-1"}
    fetched = client.get("/sessions/s1/metadata", headers=bearer(**ADA)).json()
    assert fetched["title"] == "Trip" and set(fetched) >= {"sessionId", "createdAt", "lastMessageAt", "status"}


def test_another_users_session_is_not_found(client: TestClient) -> None:
    client.put("/sessions/s1/metadata", json={"title": "mine"}, headers=bearer(**ADA))
    for response in (
        client.get("/sessions/s1/metadata", headers=bearer(**BOB)),
        client.get("/sessions/s1/messages", headers=bearer(**BOB)),
        client.delete("/sessions/s1", headers=bearer(**BOB)),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert client.get("/sessions", headers=bearer(**BOB)).json() == {"sessions": []}


def test_listing_pages_with_next_token(client: TestClient) -> None:
    for n in range(3):
        client.put(f"/sessions/s{n}/metadata", json={"title": f"t{n}"}, headers=bearer(**ADA))
    first = client.get("/sessions", params={"limit": 2}, headers=bearer(**ADA)).json()
    assert len(first["sessions"]) == 2 and first["nextToken"]
    rest = client.get("/sessions", params={"limit": 2, "next_token": first["nextToken"]}, headers=bearer(**ADA)).json()
    assert len(rest["sessions"]) == 1 and "nextToken" not in rest
    bad = client.get("/sessions", params={"next_token": "forged"}, headers=bearer(**ADA))
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "next_token"


def test_messages_in_the_contract_shape(client: TestClient, dynamodb) -> None:
    client.put("/sessions/s1/metadata", json={}, headers=bearer(**ADA))
    store = SessionStore(dynamodb, "sessions-metadata")
    store.append_message("s1", "111111111", Message(role="user", content=[MessageContent(text="hi")]))
    body = client.get("/sessions/s1/messages", headers=bearer(**ADA)).json()
    assert body["messages"][0]["id"] == "msg-s1-0"
    assert body["messages"][0]["content"] == [{"type": "text", "text": "hi"}]
    assert "created_at" in body["messages"][0]


def test_delete_cascades_to_the_sessions_files(client: TestClient, dynamodb, s3) -> None:
    client.put("/sessions/s1/metadata", json={}, headers=bearer(**ADA))
    files = FileUploadService(dynamodb, s3, table_name="user-files", bucket="user-files")
    upload = files.request_presigned_url("111111111", PresignRequest(session_id="s1", filename="a.txt",
                                                                     mime_type="text/plain", size_bytes=2))  # fmt: skip
    s3.put_object(Bucket="user-files", Key=files.get_file("111111111", upload.upload_id).s3_key, Body=b"hi")
    files.complete_upload("111111111", upload.upload_id)
    response = client.delete("/sessions/s1", headers=bearer(**ADA))
    assert response.status_code == 204
    assert files.session_files("111111111", "s1") == []
    assert files.get_user_quota("111111111").used_bytes == 0
    assert client.get("/sessions/s1/metadata", headers=bearer(**ADA)).status_code == 404


def test_bulk_delete_reports_each_id(client: TestClient) -> None:
    client.put("/sessions/s1/metadata", json={}, headers=bearer(**ADA))
    body = client.post("/sessions/bulk-delete", json={"sessionIds": ["s1", "nope"]}, headers=bearer(**ADA)).json()
    assert body["deletedCount"] == 1 and body["failedCount"] == 1
    assert body["results"] == [{"sessionId": "s1", "success": True},
                               {"sessionId": "nope", "success": False, "error": "Session not found"}]  # fmt: skip
    too_many = client.post("/sessions/bulk-delete", json={"sessionIds": [str(n) for n in range(21)]},
                           headers=bearer(**ADA))  # fmt: skip
    assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("session_id", ["a%23b", "s1%2300000000", "a.b", "a:b", "x" * 129, "a%20b", "a%0Ab", "%C3%A9"])
def test_a_session_id_outside_the_id_rule_is_a_422_envelope(client: TestClient, session_id: str) -> None:
    client.put("/sessions/s1/metadata", json={}, headers=bearer(**ADA))
    for response in (
        client.put(f"/sessions/{session_id}/metadata", json={}, headers=bearer(**ADA)),
        client.get(f"/sessions/{session_id}/metadata", headers=bearer(**ADA)),
        client.get(f"/sessions/{session_id}/messages", headers=bearer(**ADA)),
        client.delete(f"/sessions/{session_id}", headers=bearer(**ADA)),
    ):
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("validation_error", "path.session_id")
    bulk = client.post("/sessions/bulk-delete", json={"sessionIds": ["s1", "s1#00000000"]}, headers=bearer(**ADA))
    assert bulk.status_code == 422 and bulk.json()["error"]["field"] == "body.sessionIds.1"
    assert client.get("/sessions/s1/metadata", headers=bearer(**ADA)).status_code == 200


@pytest.mark.parametrize("session_id", ["3f2b8c1e-9a4d-4e7b-8c2a-1b2c3d4e5f60", "test-0123456789ab", "s_1", "A" * 128])
def test_the_ids_the_client_and_the_original_system_make_pass(client: TestClient, session_id: str) -> None:
    created = client.put(f"/sessions/{session_id}/metadata", json={}, headers=bearer(**ADA))
    assert created.status_code == 200 and created.json()["sessionId"] == session_id
    assert client.get(f"/sessions/{session_id}/messages", headers=bearer(**ADA)).status_code == 200
    assert client.delete(f"/sessions/{session_id}", headers=bearer(**ADA)).status_code == 204


def test_storage_failures_are_5xx_never_an_empty_200(client: TestClient, dynamodb) -> None:
    for fault in FAULTS:
        with inject_fault(dynamodb, "Query", fault):
            listed = client.get("/sessions", headers=bearer(**ADA))
        assert listed.status_code == fault.status and listed.json()["error"]["code"] == fault.code
        with inject_fault(dynamodb, "GetItem", fault):
            assert client.put("/sessions/s9/metadata", json={}, headers=bearer(**ADA)).status_code == fault.status
