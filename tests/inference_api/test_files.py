"""``file_upload_ids``: resolved through the library's FileResolver; a bad reference is a 4xx before streaming."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.files import FileUploadService, PresignRequest
from apis.shared.models import DocumentBlock, ImageBlock
from apis.shared.sessions import SessionStore
from tests.inference_api.conftest import BOB, RecordingModel, chat
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
