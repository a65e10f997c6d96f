"""Documents against hostile input: any parser failure, an oversize object, undecodable text and a
deletion during ingestion each end in a recorded state, never a crash or a resurrected record."""

from __future__ import annotations

import urllib.parse
from typing import Any

import boto3
import pytest

from apis.shared.assistants import (
    ASSISTANTS_TABLE,
    DocumentNotFoundError,
    DocumentService,
    DocumentStatus,
    DocumentUploadRequest,
    LocalKnowledgeBase,
    UnsupportedDocumentError,
    extract_text,
)
from apis.shared.assistants import ingestion as ingestion_module
from apis.shared.aws import s3_client_config
from apis.shared.errors import InternalError
from apis.shared.files import FileTooLargeError, StoredFileTooLargeError
from tests.support.aws import REGION, table
from tests.support.mutations import DOCX, parser_crashers, valid_samples

BUCKET = "rag-documents"


def service(dynamodb: Any, *, knowledge_base: Any = None, max_document_bytes: int | None = None) -> DocumentService:
    s3 = boto3.client("s3", region_name=REGION, config=s3_client_config())
    s3.create_bucket(Bucket=BUCKET)
    limits = {} if max_document_bytes is None else {"max_document_bytes": max_document_bytes}
    name = table(dynamodb, "assistants", ASSISTANTS_TABLE)
    return DocumentService(
        dynamodb, s3, knowledge_base or LocalKnowledgeBase(), table_name=name, bucket=BUCKET, **limits
    )


@pytest.fixture
def documents(dynamodb: Any) -> DocumentService:
    return service(dynamodb)


def uploaded(documents: DocumentService, filename: str, content_type: str, data: bytes, declared: int = 0) -> str:
    request = DocumentUploadRequest(filename=filename, content_type=content_type, size_bytes=declared or len(data))
    document_id = documents.create_upload("a1", request).document_id
    documents._s3.put_object(Bucket=BUCKET, Key=documents.get("a1", document_id).s3_key, Body=data)
    return document_id


def objects(documents: DocumentService) -> int:
    return int(documents._s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0))


def test_the_upload_url_is_signed_for_the_declared_size(documents: DocumentService) -> None:
    response = documents.create_upload("a1", DocumentUploadRequest(filename="a.txt", content_type="text/plain",
                                                                    size_bytes=1234))  # fmt: skip
    query = urllib.parse.parse_qs(urllib.parse.urlparse(response.upload_url).query)
    assert query["X-Amz-SignedHeaders"] == ["content-length;content-type;host"]


@pytest.mark.parametrize("name", sorted(parser_crashers()))
def test_a_parser_crash_fails_the_document_with_the_reason(documents: DocumentService, name: str) -> None:
    sample = parser_crashers()[name]
    document_id = uploaded(documents, sample.filename, sample.content_type, sample.data)
    with pytest.raises(UnsupportedDocumentError) as refused:
        documents.process("a1", document_id)
    assert refused.value.status_code == 422
    failed = documents.get("a1", document_id)
    expected = {"pdf": "The PDF could not be read", "docx": "The Word document could not be read"}[name[:4].strip("-")]
    assert (failed.status, failed.error_message) == (DocumentStatus.FAILED, expected)
    crash = {"pdf-attribute-error": "AttributeError", "pdf-limit-reached": "LimitReachedError",
             "docx-zlib-error": "error: Error -3"}[name]  # fmt: skip
    assert failed.error_details is not None and failed.error_details.startswith(f"{sample.filename}: ")
    assert crash in failed.error_details


def test_an_object_larger_than_the_limit_is_failed_deleted_and_never_read(dynamodb: Any) -> None:
    documents = service(dynamodb, max_document_bytes=100)
    document_id = uploaded(documents, "big.txt", "text/plain", b"x" * 1000, declared=10)
    reads: list[str] = []

    def count(**_: Any) -> None:
        reads.append("read")

    documents._s3.meta.events.register("before-call.s3.GetObject", count)
    with pytest.raises(StoredFileTooLargeError) as too_large:
        documents.process("a1", document_id)
    assert too_large.value.status_code == 413
    failed = documents.get("a1", document_id)
    assert (failed.status, failed.error_message) == (DocumentStatus.FAILED, "The file is too large")
    assert failed.error_details == "file too large: 1000 bytes stored, at most 100"
    assert objects(documents) == 0, "the oversize object is deleted"
    assert reads == ["read"], "one GetObject: its size is checked before its body is read"
    with pytest.raises(FileTooLargeError, match="too large"):
        documents.create_upload("a1", DocumentUploadRequest(filename="x.txt", content_type="text/plain",
                                                            size_bytes=101))  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message", "details"),
    [
        (b"\x81\x8d\x8f\x90\x9d not text", "The text could not be decoded", "not utf-8-sig or cp1252 text"),
        (b"PNG\x00\x00\x00binary", "The document is not text", "it contains NUL bytes"),
    ],
)
def test_undecodable_text_fails_the_document(
    documents: DocumentService, data: bytes, message: str, details: str
) -> None:
    document_id = uploaded(documents, "a.txt", "text/plain", data)
    with pytest.raises(UnsupportedDocumentError):
        documents.process("a1", document_id)
    failed = documents.get("a1", document_id)
    assert (failed.status, failed.error_message, failed.error_details) == (DocumentStatus.FAILED, message, details)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"caf\xc3\xa9 au lait", "café au lait"),
        (b"caf\xe9 au lait", "café au lait"),  # Windows-1252, as spreadsheets export it
        ("naïve".encode("utf-16"), "naïve"),
    ],
)
def test_text_in_the_usual_encodings_is_read(data: bytes, expected: str) -> None:
    assert extract_text("a.txt", "text/plain", data) == expected


def test_a_word_document_that_unpacks_past_the_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingestion_module, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(UnsupportedDocumentError) as refused:
        extract_text("big.docx", DOCX, valid_samples()["docx"].data)
    assert refused.value.message == "The Word document is too large once unpacked"


def test_an_unexpected_failure_is_recorded_and_raised_as_a_platform_error(dynamodb: Any) -> None:
    class BrokenIndex(LocalKnowledgeBase):
        def index(self, assistant_id: str, chunks: list[Any]) -> None:
            raise RuntimeError("index corrupted")

    documents = service(dynamodb, knowledge_base=BrokenIndex())
    document_id = uploaded(documents, "a.txt", "text/plain", b"Some text.")
    with pytest.raises(InternalError) as failure:
        documents.process("a1", document_id)
    assert isinstance(failure.value.__cause__, RuntimeError)
    failed = documents.get("a1", document_id)
    assert (failed.status, failed.error_message) == (DocumentStatus.FAILED, "The document could not be processed")
    assert failed.error_details == "RuntimeError: index corrupted"


def test_a_document_deleted_while_it_is_read_stays_deleted(documents: DocumentService) -> None:
    document_id = uploaded(documents, "a.txt", "text/plain", b"Lake Titicaca is high.")

    def delete_meanwhile(**_: Any) -> None:
        documents._dynamodb.delete_item(TableName="assistants", Key={"PK": {"S": "AST#a1"},
                                                                     "SK": {"S": f"DOC#{document_id}"}})  # fmt: skip

    documents._s3.meta.events.register("before-call.s3.GetObject", delete_meanwhile)
    with pytest.raises(DocumentNotFoundError):
        documents.process("a1", document_id)
    with pytest.raises(DocumentNotFoundError):
        documents.get("a1", document_id)
    assert documents._kb.search("a1", "Titicaca") == []


def test_a_document_deleted_while_it_is_indexed_stays_deleted_and_leaves_no_chunks(dynamodb: Any) -> None:
    class DeletingIndex(LocalKnowledgeBase):
        """Indexes, then the owner deletes the document before its status is written."""

        def index(self, assistant_id: str, chunks: list[Any]) -> None:
            super().index(assistant_id, chunks)
            documents.delete("a1", chunks[0].document_id)
            super().index(assistant_id, chunks)  # the deletion raced the indexing

    documents = service(dynamodb, knowledge_base=DeletingIndex())
    document_id = uploaded(documents, "a.txt", "text/plain", b"Lake Titicaca is high.")
    with pytest.raises(DocumentNotFoundError):
        documents.process("a1", document_id)
    with pytest.raises(DocumentNotFoundError):
        documents.get("a1", document_id)
    assert documents._kb.search("a1", "Titicaca") == []
    assert documents.list("a1").documents == []


def test_a_status_write_for_a_missing_document_is_not_found(documents: DocumentService) -> None:
    document_id = uploaded(documents, "a.txt", "text/plain", b"text")
    document = documents.get("a1", document_id)
    documents.delete("a1", document_id)
    with pytest.raises(DocumentNotFoundError) as missing:
        documents._set_status(document, DocumentStatus.FAILED, error_message="late")
    assert missing.value.status_code == 404
    assert documents.list("a1").documents == []
