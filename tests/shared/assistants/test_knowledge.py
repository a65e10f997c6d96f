"""Ingestion of real files of each type, chunking, ranking, documents' lifecycle, RAG helpers, S3 Vectors requests."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from apis.shared.assistants import (
    ASSISTANTS_TABLE,
    Chunk,
    DocumentNotFoundError,
    DocumentService,
    DocumentStatus,
    DocumentUploadRequest,
    LocalKnowledgeBase,
    S3VectorsKnowledgeBase,
    UnsupportedDocumentError,
    augment_prompt_with_context,
    chunk_text,
    extract_text,
)
from apis.shared.aws import s3_client_config
from apis.shared.errors import DependencyUnavailableError
from apis.shared.files import FileTooLargeError, InvalidFileTypeError
from tests.support.aws import REGION, table
from tests.support.documents import make_docx, make_pdf
from tests.support.faults import FAULT_IDS, FAULTS, Fault, inject_fault

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("filename", "content_type", "data", "expected"),
    [
        ("a.txt", "text/plain", b"\xef\xbb\xbfPlain   text\n\n\n\nsecond", "Plain text\n\nsecond"),
        ("a.md", "text/markdown", b"# Title\n\nBody *text*", "# Title\n\nBody *text*"),
        ("a.html", "text/html", b"<html><head><style>x{}</style></head><body><p>One</p><script>x()</script><p>Two</p>",
         "One\n\nTwo"),
        ("a.csv", "text/csv", b"name,score\nAda,10\n,\nBob,7\n", "name, score\nAda, 10\nBob, 7"),
        ("a.bin", "application/octet-stream", b"by extension", None),
    ],
)  # fmt: skip
def test_text_formats(filename: str, content_type: str, data: bytes, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(UnsupportedDocumentError):
            extract_text(filename, content_type, data)
    else:
        assert extract_text(filename, content_type, data) == expected


def test_pdf_and_docx_made_here() -> None:
    pdf = extract_text("paper.pdf", "application/pdf", make_pdf("Photosynthesis converts light", "into energy"))
    assert "Photosynthesis converts light" in pdf and "into energy" in pdf
    word = extract_text("notes.docx", DOCX, make_docx("Mitochondria", "are the powerhouse"))
    assert word == "Mitochondria\nare the powerhouse"
    assert extract_text("x.markdown", "", b"found by extension") == "found by extension"


@pytest.mark.parametrize(("filename", "content_type", "data"), [
    ("broken.pdf", "application/pdf", b"%PDF-1.4 not really"),
    ("empty.txt", "text/plain", b"   \n\n  "),
    ("broken.docx", DOCX, b"PK not a zip"),
])  # fmt: skip
def test_unreadable_documents_are_errors(filename: str, content_type: str, data: bytes) -> None:
    with pytest.raises(UnsupportedDocumentError):
        extract_text(filename, content_type, data)


def test_chunks_respect_size_and_overlap() -> None:
    text = " ".join(f"Sentence number {n} is here." for n in range(200))
    chunks = chunk_text(text, max_chars=300, overlap=50)
    assert all(len(chunk) <= 300 for chunk in chunks)
    assert chunks[0].startswith("Sentence number 0") and "Sentence number 199" in chunks[-1]
    assert chunks[1][:20] in chunks[0] or chunks[0][-50:].strip()[:10] in chunks[1], "neighbours overlap"
    long_word = "x" * 1000
    assert all(len(chunk) <= 300 for chunk in chunk_text(long_word, max_chars=300, overlap=50))
    with pytest.raises(ValueError, match="larger than overlap"):
        chunk_text("a", max_chars=10, overlap=10)


def test_the_local_knowledge_base_ranks_by_relevance() -> None:
    kb = LocalKnowledgeBase()
    kb.index("a1", [
        Chunk("d1", 0, "Photosynthesis converts light energy into chemical energy in plants.", "bio.pdf"),
        Chunk("d1", 1, "Cellular respiration releases energy from glucose.", "bio.pdf"),
        Chunk("d2", 0, "The French Revolution began in 1789.", "history.txt"),
    ])  # fmt: skip
    kb.index("a2", [Chunk("d9", 0, "Photosynthesis photosynthesis photosynthesis", "other.txt")])
    hits = kb.search("a1", "How does photosynthesis make energy?", top_k=3)
    assert [hit.key for hit in hits][:2] == ["d1#0", "d1#1"]
    assert all(hit.metadata["assistant_id"] == "a1" for hit in hits), "another assistant's chunks never appear"
    assert hits[0].distance < hits[1].distance
    assert kb.search("a1", "revolution")[0].metadata == {
        "document_id": "d2",
        "assistant_id": "a1",
        "source": "history.txt",
    }
    assert kb.search("a1", '"; DROP TABLE chunks; --') == []
    assert kb.search("a1", "???") == []
    kb.delete_document("a1", "d1", 2)
    assert [hit.key for hit in kb.search("a1", "energy photosynthesis")] == []


def test_a_broken_local_store_is_a_503(tmp_path) -> None:
    kb = LocalKnowledgeBase(str(tmp_path / "kb.sqlite"))
    kb._connection.close()
    with pytest.raises(DependencyUnavailableError):
        kb.search("a1", "anything")


def test_the_prompt_is_augmented_with_numbered_context() -> None:
    chunks: list[dict[str, Any]] = [{"text": "Mitochondria are the powerhouse of the cell."}]
    prompt = augment_prompt_with_context("What is a mitochondrion?", chunks)
    assert prompt.startswith("Use the following context")
    assert "[Context 1]\nMitochondria are the powerhouse" in prompt
    assert prompt.endswith("---\nUser Question: What is a mitochondrion?")
    long = augment_prompt_with_context("q", [{"text": "a" * 1500}, {"text": "b" * 1500}, {"text": "c"}])
    assert long.count("a") >= 1500 and long.count("b") == 500 and "[Context 3]" not in long
    assert augment_prompt_with_context("q", []) == "q"
    assert augment_prompt_with_context("q", [{"text": "  "}]) == "q"


@pytest.fixture
def documents(dynamodb) -> DocumentService:
    s3 = boto3.client("s3", region_name=REGION, config=s3_client_config())
    s3.create_bucket(Bucket="rag-documents")
    return DocumentService(
        dynamodb, s3, LocalKnowledgeBase(), table_name=table(dynamodb, "assistants", ASSISTANTS_TABLE),
        bucket="rag-documents",
    )  # fmt: skip


def uploaded(documents: DocumentService, filename: str, content_type: str, data: bytes) -> str:
    response = documents.create_upload("a1", DocumentUploadRequest(filename=filename, content_type=content_type,
                                                                    size_bytes=len(data)))  # fmt: skip
    document = documents.get("a1", response.document_id)
    assert document.status is DocumentStatus.UPLOADING
    documents._s3.put_object(Bucket="rag-documents", Key=document.s3_key, Body=data)
    return response.document_id


def test_a_document_goes_from_upload_to_searchable(documents: DocumentService) -> None:
    document_id = uploaded(documents, "bio.docx", DOCX, make_docx("Chlorophyll absorbs red and blue light."))
    done = documents.process("a1", document_id)
    assert (done.status, done.chunk_count) == (DocumentStatus.COMPLETE, 1)
    assert documents._kb.search("a1", "chlorophyll")[0].key == f"{document_id}#0"
    url, document = documents.download_url("a1", document_id)
    assert "rag-documents" in url and document.filename == "bio.docx"
    assert [d.document_id for d in documents.list("a1").documents] == [document_id]
    documents.delete("a1", document_id)
    assert documents._kb.search("a1", "chlorophyll") == []
    with pytest.raises(DocumentNotFoundError):
        documents.get("a1", document_id)
    with pytest.raises(DocumentNotFoundError):
        documents.get("a2", "DOC-nope")


def test_a_failed_ingestion_says_why_and_propagates(documents: DocumentService) -> None:
    document_id = uploaded(documents, "scan.pdf", "application/pdf", b"%PDF-1.4 garbage")
    with pytest.raises(UnsupportedDocumentError):
        documents.process("a1", document_id)
    failed = documents.get("a1", document_id)
    assert failed.status is DocumentStatus.FAILED and failed.error_message == "The PDF could not be read"


def test_an_s3_failure_fails_the_document(documents: DocumentService) -> None:
    document_id = uploaded(documents, "a.txt", "text/plain", b"text")
    with inject_fault(documents._s3, "GetObject", FAULTS[1]), pytest.raises(FAULTS[1].error):
        documents.process("a1", document_id)
    assert documents.get("a1", document_id).status is DocumentStatus.FAILED


def test_uploads_are_checked(documents: DocumentService) -> None:
    with pytest.raises(InvalidFileTypeError):
        documents.create_upload("a1", DocumentUploadRequest(filename="x.exe", content_type="application/x-msdos",
                                                            size_bytes=1))  # fmt: skip
    with pytest.raises(FileTooLargeError):
        documents.create_upload("a1", DocumentUploadRequest(filename="x.txt", content_type="text/plain",
                                                            size_bytes=60 * 1024 * 1024))  # fmt: skip


def test_delete_all_documents_of_an_assistant(documents: DocumentService) -> None:
    for n in range(3):
        documents.process("a1", uploaded(documents, f"{n}.txt", "text/plain", f"note {n}".encode()))
    assert documents.delete_all("a1") == 3
    assert documents.list("a1").documents == []


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_document_calls_propagate_dynamodb_failures(documents: DocumentService, fault: Fault) -> None:
    document_id = uploaded(documents, "a.txt", "text/plain", b"text")
    for operation, call in (
        ("GetItem", lambda: documents.get("a1", document_id)),
        ("Query", lambda: documents.list("a1")),
        ("PutItem", lambda: uploaded(documents, "b.txt", "text/plain", b"b")),
        ("DeleteItem", lambda: documents.delete("a1", document_id)),
    ):
        with inject_fault(documents._dynamodb, operation, fault), pytest.raises(fault.error):
            call()


def test_s3_vectors_requests_exactly() -> None:
    bedrock = boto3.client("bedrock-runtime", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    vectors = boto3.client("s3vectors", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    kb = S3VectorsKnowledgeBase(bedrock, vectors, bucket="rag-vector-store-v1", index_name="assistants-index")
    embedding = {"body": io.BytesIO(json.dumps({"embedding": [0.1, 0.2]}).encode()), "contentType": "application/json"}
    with Stubber(bedrock) as embed, Stubber(vectors) as store:
        embed_params = {"modelId": "amazon.titan-embed-text-v2:0", "body": ANY, "contentType": "application/json",
                        "accept": "application/json"}  # fmt: skip
        embed.add_response("invoke_model", dict(embedding), embed_params)
        store.add_response("put_vectors", {}, {
            "vectorBucketName": "rag-vector-store-v1", "indexName": "assistants-index",
            "vectors": [{"key": "d1#0", "data": {"float32": [0.1, 0.2]},
                         "metadata": {"text": "hello", "document_id": "d1", "assistant_id": "a1", "source": "s.txt"}}],
        })  # fmt: skip
        kb.index("a1", [Chunk("d1", 0, "hello", "s.txt")])
        embed.add_response("invoke_model", {"body": io.BytesIO(b'{"embedding": [0.3]}'), "contentType": "json"},
                           embed_params)  # fmt: skip
        store.add_response(
            "query_vectors",
            {"vectors": [{"key": "d1#0", "distance": 0.12, "metadata": {"text": "hello", "document_id": "d1"}}],
             "distanceMetric": "cosine"},
            {"vectorBucketName": "rag-vector-store-v1", "indexName": "assistants-index",
             "queryVector": {"float32": [0.3]}, "topK": 5, "filter": {"assistant_id": "a1"},
             "returnMetadata": True, "returnDistance": True},
        )  # fmt: skip
        hits = kb.search("a1", "hi")
        deletion = {
            "vectorBucketName": "rag-vector-store-v1",
            "indexName": "assistants-index",
            "keys": ["d1#0", "d1#1"],
        }
        store.add_response("delete_vectors", {}, deletion)
        kb.delete_document("a1", "d1", 2)
        embed.assert_no_pending_responses()
        store.assert_no_pending_responses()
    assert hits[0].key == "d1#0" and hits[0].text == "hello" and hits[0].distance == pytest.approx(0.12)
    assert hits[0].metadata == {"document_id": "d1"}


def test_s3_vectors_failures_propagate() -> None:
    bedrock = boto3.client("bedrock-runtime", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    vectors = boto3.client("s3vectors", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    kb = S3VectorsKnowledgeBase(bedrock, vectors, bucket="b", index_name="i")
    with Stubber(bedrock) as embed:
        embed.add_client_error("invoke_model", "ThrottlingException", http_status_code=429)
        with pytest.raises(DependencyUnavailableError):
            kb.search("a1", "q")
