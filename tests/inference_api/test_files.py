"""``file_upload_ids`` resolved through the library's FileResolver, inline ``files``, and their size limits and the
body's: a bad reference or an oversize file is a 4xx before streaming."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest

from apis.inference_api.chat.models import MAX_INLINE_FILE_BYTES
from apis.shared.files import FileUploadService, PresignRequest
from apis.shared.providers import DocumentBlock, ImageBlock
from apis.shared.sessions import SessionStore
from tests.inference_api.conftest import ADA, BOB, RecordingModel, chat
from tests.support.faults import FAULTS, inject_fault
from tests.support.sse import parse_sse

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.fixture
def model() -> RecordingModel:
    return RecordingModel()


def uploaded(dynamodb: Any, s3: Any, user_id: str, name: str, mime: str, data: bytes, *, ready: bool = True) -> str:
    files = FileUploadService(dynamodb, s3, table_name="user-files", bucket="user-files")
    upload = files.request_presigned_url(user_id, PresignRequest(session_id="s1", filename=name, mime_type=mime,
                                                                 size_bytes=len(data)))  # fmt: skip
    if ready:
        s3.put_object(Bucket="user-files", Key=files.get_file(user_id, upload.upload_id).s3_key, Body=data)
        files.complete_upload(user_id, upload.upload_id)
    return upload.upload_id


def test_attached_files_reach_the_model_and_the_stored_message(
    client: TestClient, dynamodb: Any, s3: Any, model: RecordingModel
) -> None:
    pdf = uploaded(dynamodb, s3, "111111111", "report v2.pdf", "application/pdf", b"%PDF-1.4 fake")
    png = uploaded(dynamodb, s3, "111111111", "chart.png", "image/png", b"\x89PNG fake")
    frames = parse_sse(chat(client, message="Summarise", file_upload_ids=[pdf, png]).text)
    assert frames[-1].event == "done"
    blocks = model.requests[0].messages[-1].content
    document, image = blocks[0], blocks[1]
    assert isinstance(document, DocumentBlock) and document.format == "pdf" and document.data == b"%PDF-1.4 fake"
    assert document.name == "report v2 (1)"
    assert isinstance(image, ImageBlock) and image.format == "png"
    user = SessionStore(dynamodb, "sessions-metadata").list_messages("s1", "111111111").messages[0]
    assert user.content[0].text == "Summarise\n\n[Attached files: report v2.pdf, chart.png]"


def test_a_foreign_or_missing_upload_is_404_before_streaming(client: TestClient, dynamodb: Any, s3: Any) -> None:
    bobs = uploaded(dynamodb, s3, "222222222", "b.txt", "text/plain", b"bob")
    for upload_ids in ([bobs], ["nope"]):
        response = chat(client, file_upload_ids=upload_ids)
        assert response.status_code == 404 and response.json()["error"]["message"]
    assert chat(client, BOB, file_upload_ids=[bobs]).status_code == 200
    assert SessionStore(dynamodb, "sessions-metadata").get("s1", "111111111") is None  # nothing stored


def test_an_unfinished_upload_is_409_and_too_many_is_400(client: TestClient, dynamodb: Any, s3: Any) -> None:
    pending = uploaded(dynamodb, s3, "111111111", "a.txt", "text/plain", b"x", ready=False)
    assert chat(client, file_upload_ids=[pending]).status_code == 409
    ids = [uploaded(dynamodb, s3, "111111111", f"{n}.txt", "text/plain", b"x") for n in range(6)]
    too_many = chat(client, file_upload_ids=ids)
    assert too_many.status_code == 400 and too_many.json()["error"]["field"] == "file_upload_ids"


def test_an_s3_failure_while_resolving_is_5xx(client: TestClient, dynamodb: Any, s3: Any) -> None:
    upload = uploaded(dynamodb, s3, "111111111", "a.txt", "text/plain", b"x")
    for fault in FAULTS:
        with inject_fault(s3, "GetObject", fault):
            response = chat(client, file_upload_ids=[upload])
        assert response.status_code == fault.status and response.json()["error"]["code"] == fault.code


# ---------------------------------------------------------------------------- size limits


@pytest.mark.parametrize("settings", [{"max_file_bytes": 10}], indirect=True)
def test_an_upload_over_the_limit_is_413_before_streaming_and_never_read(
    client: TestClient, dynamodb: Any, s3: Any
) -> None:
    upload = uploaded(dynamodb, s3, "111111111", "big.txt", "text/plain", b"x" * 50)
    reads: list[str] = []

    def count(**_: Any) -> None:
        reads.append("GetObject")

    s3.meta.events.register("before-call.s3.GetObject", count)
    response = chat(client, file_upload_ids=[upload])
    assert response.status_code == 413
    assert response.json() == {"error": {
        "code": "bad_request", "message": "The file is too large", "detail": f"upload {upload} is 50 bytes, at most 10",
        "field": "file_upload_ids", "requestId": response.headers["X-Request-ID"],
    }}  # fmt: skip
    assert reads == []
    assert SessionStore(dynamodb, "sessions-metadata").get("s1", "111111111") is None


def test_an_upload_replaced_by_a_larger_object_after_completion_is_413(
    client: TestClient, dynamodb: Any, s3: Any
) -> None:
    upload = uploaded(dynamodb, s3, "111111111", "a.txt", "text/plain", b"hello")
    key = FileUploadService(dynamodb, s3, table_name="user-files", bucket="user-files").get_file("111111111", upload)
    s3.put_object(Bucket="user-files", Key=key.s3_key, Body=b"x" * 5000)
    response = chat(client, file_upload_ids=[upload])
    assert response.status_code == 413
    assert response.json()["error"]["detail"] == "file too large: 5000 bytes stored, at most 5"


def inline(data: bytes, name: str = "a.txt") -> dict[str, str]:
    return {"filename": name, "content_type": "text/plain", "bytes": base64.b64encode(data).decode()}


def test_an_inline_file_of_the_largest_size_reaches_the_model(client: TestClient, model: RecordingModel) -> None:
    response = chat(client, files=[inline(b"x" * MAX_INLINE_FILE_BYTES)])
    assert response.status_code == 200 and parse_sse(response.text)[-1].event == "done"
    block = model.requests[0].messages[-1].content[0]
    assert isinstance(block, DocumentBlock) and len(block.data) == MAX_INLINE_FILE_BYTES


@pytest.mark.parametrize(
    ("files", "upload_ids", "field", "words"),
    [
        ([inline(b"x" * (MAX_INLINE_FILE_BYTES + 1))], [], "body.files.0.bytes", "once decoded; at most 4194304"),
        ([{**inline(b""), "bytes": "A" * (4 * MAX_INLINE_FILE_BYTES // 3 + 8)}], [], "body.files.0.bytes",
         "at most 5592408 characters"),
        ([inline(b"x", f"{n}.txt") for n in range(6)], [], "body.files", "at most 5 items"),
        ([inline(b"x", f"{n}.txt") for n in range(3)], ["u1", "u2", "u3"], "body",
         "6 files attached (inline and uploaded); at most 5"),
    ],
    ids=["decoded-size", "base64-length", "count", "count-with-uploads"],
)  # fmt: skip
def test_inline_files_are_held_to_the_upload_limits(
    client: TestClient, model: RecordingModel, files: list[dict[str, str]], upload_ids: list[str], field: str,
    words: str,
) -> None:  # fmt: skip
    response = chat(client, files=files, file_upload_ids=upload_ids)
    assert response.status_code == 422, response.text[:300]
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("validation_error", field)
    assert words in error["message"]
    assert "requestId" in error and model.requests == []


@pytest.mark.parametrize("settings", [{"max_request_body_bytes": 1000}], indirect=True)
def test_a_body_over_the_limit_is_413_in_the_envelope_with_cors_headers(
    client: TestClient, model: RecordingModel
) -> None:
    origin = "http://localhost:4200"
    assert chat(client, message="short").status_code == 200
    payload = {"message": "x" * 2000, "session_id": "s2", "model_id": None, "enabled_tools": []}
    response = client.post("/invocations", json=payload, headers={**ADA, "Origin": origin})
    assert response.status_code == 413
    assert response.json() == {"error": {
        "code": "bad_request", "message": "The request body is too large", "detail": "at most 1000 bytes",
        "requestId": response.headers["X-Request-ID"],
    }}  # fmt: skip
    assert response.headers["access-control-allow-origin"] == origin
    assert len(model.requests) == 1


def test_a_message_over_its_length_limit_is_422(client: TestClient, model: RecordingModel) -> None:
    response = chat(client, message="x" * 200_001)
    assert response.status_code == 422 and response.json()["error"]["field"] == "body.message"
    assert model.requests == []
