"""File routes: presign, complete, list (by session and paged), delete, quota; ownership; failures."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.app_api.conftest import make_app, person
from tests.support.faults import FAULT_IDS, FAULTS, inject_fault

if TYPE_CHECKING:
    from apis.app_api.settings import AppApiSettings

ADA = person("111111111", "ada@example.edu")
BOB = person("222222222", "bob@example.edu")


def presign(client: TestClient, headers: dict[str, str], name: str = "a.txt", size: int = 2,
            mime: str = "text/plain", session: str = "s1") -> Any:  # fmt: skip
    body = {"sessionId": session, "filename": name, "mimeType": mime, "sizeBytes": size}
    return client.post("/files/presign", headers=headers, json=body)


def upload(client: TestClient, s3: Any, headers: dict[str, str], *, session: str = "s1", name: str = "a.txt",
           data: bytes = b"hello", mime: str = "text/plain") -> str:  # fmt: skip
    """Presign, put the object where the URL points, complete; return the upload id."""
    presigned = presign(client, headers, name, len(data), mime, session)
    assert presigned.status_code == 200, presigned.text
    body = presigned.json()
    url = urlsplit(body["presignedUrl"])
    assert url.hostname == "user-files.s3.amazonaws.com"  # virtual-hosted against AWS
    s3.put_object(Bucket="user-files", Key=unquote(url.path[1:]), Body=data, ContentType=mime)
    completed = client.post(f"/files/{body['uploadId']}/complete", json={}, headers=headers)
    assert completed.status_code == 200, completed.text
    return str(body["uploadId"])


def test_presign_complete_and_list_by_session_in_the_contract_shape(client: TestClient, s3: Any) -> None:
    presigned = presign(client, ADA, "notes.txt", 5)
    body = presigned.json()
    assert set(body) >= {"uploadId", "presignedUrl"} and "X-Amz-Signature" in body["presignedUrl"]
    assert client.get("/files", params={"sessionId": "s1"}, headers=ADA).json()["files"] == []  # pending is hidden
    upload_id = upload(client, s3, ADA, name="b.txt")
    files = client.get("/files", params={"sessionId": "s1"}, headers=ADA).json()
    assert files["totalCount"] == 1 and files["nextCursor"] is None
    (listed,) = files["files"]
    assert listed["uploadId"] == upload_id and listed["status"] == "ready"
    assert set(listed) >= {"uploadId", "filename", "mimeType", "sizeBytes", "sessionId", "s3Uri", "status", "createdAt"}
    assert client.get("/files/quota", headers=ADA).json() == {"usedBytes": 5, "maxBytes": 1024**3, "fileCount": 1}


def test_completion_before_the_upload_is_409_then_200_and_a_repeat_answers_the_same(
    client: TestClient, s3: Any
) -> None:
    presigned = presign(client, ADA, size=5).json()
    complete = f"/files/{presigned['uploadId']}/complete"
    early = client.post(complete, json={}, headers=ADA)
    assert early.status_code == 409
    assert early.json() == {"error": {
        "code": "conflict", "message": "The file has not been uploaded yet",
        "detail": f"nothing is stored for upload {presigned['uploadId']} yet: PUT the file to its presigned URL first",
        "field": "uploadId", "requestId": early.headers["X-Request-ID"],
    }}  # fmt: skip
    put(s3, presigned, b"hello")
    first = client.post(complete, json={}, headers=ADA)
    assert first.status_code == 200 and first.json()["status"] == "ready" and first.json()["sizeBytes"] == 5
    again = client.post(complete, json={}, headers=ADA)
    assert (again.status_code, again.json()) == (200, first.json())
    assert client.get("/files/quota", headers=ADA).json() == {"usedBytes": 5, "maxBytes": 1024**3, "fileCount": 1}


def put(s3: Any, presigned: dict[str, Any], data: bytes) -> None:
    """Store ``data`` where the presigned URL points, whatever size was declared."""
    s3.put_object(Bucket="user-files", Key=unquote(urlsplit(presigned["presignedUrl"]).path[1:]), Body=data)


def test_a_stored_file_over_the_limit_is_413_and_removed_whatever_was_declared(
    settings: AppApiSettings, dynamodb: Any, s3: Any, knowledge_base: Any, model: Any
) -> None:
    small = settings.model_copy(update={"max_file_bytes": 10, "file_quota_bytes": 100})
    with TestClient(make_app(small, dynamodb, s3, knowledge_base, model)) as client:
        presigned = presign(client, ADA, size=5).json()
        assert "content-length" in parse_qs(urlsplit(presigned["presignedUrl"]).query)["X-Amz-SignedHeaders"][0]
        put(s3, presigned, b"x" * 500)
        complete = f"/files/{presigned['uploadId']}/complete"
        refused = client.post(complete, json={}, headers=ADA)
        assert refused.status_code == 413
        assert refused.json() == {"error": {
            "code": "bad_request", "message": "The file is too large",
            "detail": "file too large: 500 bytes stored, at most 10", "field": "uploadId",
            "requestId": refused.headers["X-Request-ID"],
        }}  # fmt: skip
        assert s3.list_objects_v2(Bucket="user-files").get("KeyCount") == 0
        again = client.post(complete, json={}, headers=ADA)
        assert (
            again.status_code == 409
            and again.json()["error"]["message"] == "This upload was refused; upload the file again"
        )
        assert client.get("/files/quota", headers=ADA).json()["usedBytes"] == 0
        assert client.get("/files", params={"sessionId": "s1"}, headers=ADA).json()["files"] == []


def test_a_first_upload_over_the_quota_gets_the_flat_quota_body(
    settings: AppApiSettings, dynamodb: Any, s3: Any, knowledge_base: Any, model: Any
) -> None:
    small = settings.model_copy(update={"max_file_bytes": 1000, "file_quota_bytes": 100})
    with TestClient(make_app(small, dynamodb, s3, knowledge_base, model)) as client:
        presigned = presign(client, ADA, size=5).json()
        put(s3, presigned, b"x" * 500)
        refused = client.post(f"/files/{presigned['uploadId']}/complete", json={}, headers=ADA)
    assert refused.status_code == 403
    body = refused.json()
    assert (body["error"], body["code"]) == ("QUOTA_EXCEEDED", "quota_exceeded")
    assert (body["currentUsage"], body["maxAllowed"], body["requiredSpace"]) == (0, 100, 500)
    assert s3.list_objects_v2(Bucket="user-files").get("KeyCount") == 0


def test_a_body_over_the_limit_is_413_in_the_envelope_with_cors_headers(
    settings: AppApiSettings, dynamodb: Any, s3: Any, knowledge_base: Any, model: Any
) -> None:
    limited = settings.model_copy(update={"max_request_body_bytes": 200})
    origin = {"Origin": "http://localhost:4200"}
    with TestClient(make_app(limited, dynamodb, s3, knowledge_base, model)) as client:
        within = presign(client, {**ADA, **origin})
        assert within.status_code == 200
        body = {"sessionId": "s1", "filename": "a" * 200, "mimeType": "text/plain", "sizeBytes": 1}
        refused = client.post("/files/presign", json=body, headers={**ADA, **origin})
    assert refused.status_code == 413
    assert refused.json() == {"error": {
        "code": "bad_request", "message": "The request body is too large", "detail": "at most 200 bytes",
        "requestId": refused.headers["X-Request-ID"],
    }}  # fmt: skip
    assert refused.headers["access-control-allow-origin"] == "http://localhost:4200"


def test_paged_listing_sorted_by_size(client: TestClient, s3: Any) -> None:
    for size in (3, 1, 2):
        upload(client, s3, ADA, name=f"f{size}.txt", data=b"x" * size)
    first = client.get("/files", params={"limit": 2, "sortBy": "size", "sortOrder": "asc"}, headers=ADA).json()
    assert [f["sizeBytes"] for f in first["files"]] == [1, 2] and first["totalCount"] == 3
    rest = client.get("/files", params={"limit": 2, "sortBy": "size", "sortOrder": "asc",
                                        "cursor": first["nextCursor"]}, headers=ADA).json()  # fmt: skip
    assert [f["sizeBytes"] for f in rest["files"]] == [3] and rest["nextCursor"] is None
    bad = client.get("/files", params={"sortBy": "name"}, headers=ADA)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
    forged = client.get("/files", params={"cursor": "forged"}, headers=ADA)
    assert forged.status_code == 400 and forged.json()["error"]["field"] == "cursor"


def cursor_of(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "data",
    [
        {"offset": {"S": "abc"}},  # the old format with a non-number: was a 500
        {"offset": {"S": "-1"}},  # the old format with a negative offset: paged forever
        {"offset": "-1", "scope": "files#USER#111111111"},
        {"offset": "abc", "scope": "files#USER#111111111"},
    ],
)
def test_a_forged_files_cursor_is_a_400_envelope(client: TestClient, s3: Any, data: object) -> None:
    upload(client, s3, ADA)
    forged = client.get("/files", params={"cursor": cursor_of(data)}, headers=ADA)
    assert forged.status_code == 400
    assert forged.json()["error"] | {"requestId": None} == {
        "code": "bad_request", "message": "Invalid pagination token", "field": "cursor", "requestId": None,
    }  # fmt: skip


def test_a_files_cursor_is_refused_for_another_user(client: TestClient, s3: Any) -> None:
    for size in (1, 2):
        upload(client, s3, ADA, name=f"a{size}.txt", data=b"x" * size)
        upload(client, s3, BOB, name=f"b{size}.txt", data=b"x" * size)
    adas = client.get("/files", params={"limit": 1}, headers=ADA).json()["nextCursor"]
    assert client.get("/files", params={"limit": 1, "cursor": adas}, headers=ADA).status_code == 200
    refused = client.get("/files", params={"limit": 1, "cursor": adas}, headers=BOB)
    assert refused.status_code == 400
    assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == ("bad_request", "cursor")


def test_delete_gives_the_bytes_back_and_another_users_file_is_not_found(client: TestClient, s3: Any) -> None:
    upload_id = upload(client, s3, ADA)
    assert client.delete(f"/files/{upload_id}", headers=BOB).status_code == 404
    assert client.post(f"/files/{upload_id}/complete", json={}, headers=BOB).status_code == 404
    assert client.get("/files", params={"sessionId": "s1"}, headers=BOB).json()["files"] == []
    assert client.delete(f"/files/{upload_id}", headers=ADA).status_code == 204
    assert client.get("/files/quota", headers=ADA).json()["usedBytes"] == 0
    assert client.delete(f"/files/{upload_id}", headers=ADA).status_code == 404


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"filename": "tool.exe", "mimeType": "application/x-msdownload", "sizeBytes": 10}, "file type"),
        ({"filename": "big.txt", "mimeType": "text/plain", "sizeBytes": 5 * 1024 * 1024}, "too large"),
    ],
)
def test_presign_refusals_carry_the_words_the_client_matches(client: TestClient, payload: dict, words: str) -> None:
    response = client.post("/files/presign", json={"sessionId": "s1", **payload}, headers=ADA)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_request" and words in (error.get("detail") or error["message"]).lower()


def test_the_quota_error_is_the_body_the_client_recognises(
    settings: AppApiSettings, dynamodb: Any, s3: Any, knowledge_base: Any, model: Any
) -> None:
    small = settings.model_copy(update={"file_quota_bytes": 6})
    with TestClient(make_app(small, dynamodb, s3, knowledge_base, model)) as client:
        upload(client, s3, ADA, data=b"hello")
        response = presign(client, ADA, "b.txt", 2)
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "QUOTA_EXCEEDED"
    assert (body["currentUsage"], body["maxAllowed"], body["requiredSpace"]) == (5, 6, 2)
    assert body["requestId"] == response.headers["X-Request-ID"]


def test_no_token_is_401(client: TestClient) -> None:
    response = client.get("/files/quota")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_storage_failures_are_5xx_never_an_empty_200(client: TestClient, dynamodb: Any, s3: Any, fault) -> None:
    with inject_fault(dynamodb, "Query", fault):
        for response in (
            client.get("/files", headers=ADA),
            client.get("/files", params={"sessionId": "s1"}, headers=ADA),
        ):
            assert response.status_code == fault.status and response.json()["error"]["code"] == fault.code
    with inject_fault(dynamodb, "GetItem", fault):
        assert client.get("/files/quota", headers=ADA).status_code == fault.status
    presigned = presign(client, ADA).json()
    with inject_fault(s3, "HeadObject", fault):
        failed = client.post(f"/files/{presigned['uploadId']}/complete", json={}, headers=ADA)
    assert failed.status_code == fault.status and failed.json()["error"]["code"] == fault.code


@pytest.mark.parametrize("bad_id", ["s1#x", "a.b", "x" * 129])
def test_ids_outside_the_id_rule_are_422_and_nothing_is_stored(client: TestClient, s3: Any, bad_id: str) -> None:
    # Session and upload ids become parts of S3 object keys and of the files' index keys.
    refused = presign(client, ADA, session=bad_id)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "body.sessionId"
    listed = client.get("/files", params={"sessionId": bad_id}, headers=ADA)
    assert listed.status_code == 422 and listed.json()["error"]["field"] == "query.sessionId"
    in_path = quote(bad_id, safe="")
    for response in (client.post(f"/files/{in_path}/complete", json={}, headers=ADA),
                     client.delete(f"/files/{in_path}", headers=ADA)):  # fmt: skip
        assert response.status_code == 422 and response.json()["error"]["field"] == "path.upload_id"
    assert s3.list_objects_v2(Bucket="user-files").get("KeyCount", 0) == 0
    assert client.get("/files/quota", headers=ADA).json()["fileCount"] == 0
