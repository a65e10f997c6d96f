"""Documents of an assistant: upload, status lifecycle, download, delete, and the ingestion a worker runs.

Status: ``uploading`` → ``chunking`` → ``embedding`` → ``complete``, or ``failed``
with the reason. Deleting a document removes its object, its index entries and
its record.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import Field

from apis.shared.assistants.ingestion import SUPPORTED_TYPES, chunk_text, extract_text
from apis.shared.assistants.knowledge_base import Chunk
from apis.shared.aws import from_item, plain, to_item, translate_aws_errors
from apis.shared.errors import ApisError, NotFoundError
from apis.shared.files.errors import FileTooLargeError, InvalidFileTypeError
from apis.shared.pagination import decode_cursor, encode_cursor
from apis.shared.schema import CamelModel
from apis.shared.sessions.store import utc_timestamp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from apis.shared.assistants.knowledge_base import KnowledgeBase

__all__ = [
    "Document",
    "DocumentNotFoundError",
    "DocumentService",
    "DocumentStatus",
    "DocumentUploadRequest",
    "DocumentUploadResponse",
    "DocumentsListResponse",
]

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
URL_TTL_SECONDS = 15 * 60


class DocumentStatus(StrEnum):
    UPLOADING = "uploading"
    CHUNKING = "chunking"
    EMBEDDING = "embedding"
    COMPLETE = "complete"
    FAILED = "failed"


class Document(CamelModel):
    document_id: str
    assistant_id: str
    filename: str
    content_type: str
    size_bytes: int
    status: DocumentStatus = DocumentStatus.UPLOADING
    error_message: str | None = None
    error_details: str | None = None
    chunk_count: int | None = None
    s3_key: str
    created_at: str
    updated_at: str


class DocumentUploadRequest(CamelModel):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=1)
    size_bytes: int = Field(gt=0)


class DocumentUploadResponse(CamelModel):
    document_id: str
    upload_url: str
    expires_in: int


class DocumentsListResponse(CamelModel):
    documents: list[Document]
    next_token: str | None = None


class DocumentNotFoundError(NotFoundError):
    default_message = "Document not found"


class DocumentService:
    def __init__(
        self, dynamodb: DynamoDBClient, s3: Any, knowledge_base: KnowledgeBase, *, table_name: str, bucket: str
    ) -> None:
        self._dynamodb = dynamodb
        self._s3 = s3
        self._kb = knowledge_base
        self._table = table_name
        self._bucket = bucket

    def _key(self, assistant_id: str, document_id: str) -> dict[str, Any]:
        return to_item({"PK": f"AST#{assistant_id}", "SK": f"DOC#{document_id}"})

    def _put(self, document: Document) -> None:
        item = {"PK": f"AST#{document.assistant_id}", "SK": f"DOC#{document.document_id}"}
        with translate_aws_errors("assistants: put_item (document)"):
            self._dynamodb.put_item(TableName=self._table, Item=to_item({**item, **document.model_dump(by_alias=True)}))

    def create_upload(self, assistant_id: str, request: DocumentUploadRequest) -> DocumentUploadResponse:
        """Record the document and sign its upload (the caller has checked the assistant is the user's)."""
        content_type = request.content_type
        if content_type not in SUPPORTED_TYPES:
            raise InvalidFileTypeError(detail=f"file type {content_type!r} is not supported for documents")
        if request.size_bytes > MAX_DOCUMENT_BYTES:
            raise FileTooLargeError(detail=f"file too large: at most {MAX_DOCUMENT_BYTES} bytes")
        document_id = f"DOC-{uuid.uuid4().hex[:12]}"
        now = utc_timestamp()
        document = Document(
            document_id=document_id,
            assistant_id=assistant_id,
            filename=request.filename.replace("\\", "/").rpartition("/")[2] or "document",
            content_type=content_type,
            size_bytes=request.size_bytes,
            s3_key=f"assistants/{assistant_id}/documents/{document_id}/{request.filename.rpartition('/')[2]}",
            created_at=now,
            updated_at=now,
        )
        self._put(document)
        with translate_aws_errors("s3: generate_presigned_url (document)"):
            url = self._s3.generate_presigned_url(
                "put_object",
                Params={"Bucket": self._bucket, "Key": document.s3_key, "ContentType": content_type},
                ExpiresIn=URL_TTL_SECONDS,
            )
        return DocumentUploadResponse(document_id=document_id, upload_url=url, expires_in=URL_TTL_SECONDS)

    def get(self, assistant_id: str, document_id: str) -> Document:
        with translate_aws_errors("assistants: get_item (document)"):
            response = self._dynamodb.get_item(
                TableName=self._table, Key=self._key(assistant_id, document_id), ConsistentRead=True
            )
        item = response.get("Item")
        if not item:
            raise DocumentNotFoundError(field="documentId")
        return Document.model_validate({k: v for k, v in plain(from_item(item)).items() if k not in ("PK", "SK")})

    def list(self, assistant_id: str, *, limit: int = 100, next_token: str | None = None) -> DocumentsListResponse:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :assistant AND begins_with(SK, :doc)",
            "ExpressionAttributeValues": to_item({":assistant": f"AST#{assistant_id}", ":doc": "DOC#"}),
            "Limit": max(1, min(limit, 1000)),
        }
        start = decode_cursor(next_token, required_keys=frozenset({"PK", "SK"}), field="next_token")
        if start is not None:
            request["ExclusiveStartKey"] = start
        with translate_aws_errors("assistants: query (documents)"):
            response = self._dynamodb.query(**request)
        documents = [
            Document.model_validate({k: v for k, v in plain(from_item(item)).items() if k not in ("PK", "SK")})
            for item in response.get("Items", [])
        ]
        return DocumentsListResponse(documents=documents, next_token=encode_cursor(response.get("LastEvaluatedKey")))

    def download_url(self, assistant_id: str, document_id: str) -> tuple[str, Document]:
        document = self.get(assistant_id, document_id)
        with translate_aws_errors("s3: generate_presigned_url (download)"):
            url = self._s3.generate_presigned_url(
                "get_object", Params={"Bucket": self._bucket, "Key": document.s3_key}, ExpiresIn=URL_TTL_SECONDS
            )
        return url, document

    def delete(self, assistant_id: str, document_id: str) -> None:
        document = self.get(assistant_id, document_id)
        self._kb.delete_document(assistant_id, document_id, document.chunk_count or 0)
        with translate_aws_errors("s3: delete_object (document)"):
            self._s3.delete_object(Bucket=self._bucket, Key=document.s3_key)
        with translate_aws_errors("assistants: delete_item (document)", on_condition_failed=DocumentNotFoundError):
            self._dynamodb.delete_item(
                TableName=self._table,
                Key=self._key(assistant_id, document_id),
                ConditionExpression="attribute_exists(PK)",
            )

    def delete_all(self, assistant_id: str) -> int:
        """Delete every document of an assistant (when the assistant is deleted); return how many."""
        count = 0
        token: str | None = None
        while True:
            page = self.list(assistant_id, next_token=token)
            for document in page.documents:
                self.delete(assistant_id, document.document_id)
                count += 1
            token = page.next_token
            if token is None:
                return count

    def _set_status(self, document: Document, status: DocumentStatus, **fields: Any) -> Document:
        updated = document.model_copy(update={"status": status, "updated_at": utc_timestamp(), **fields})
        self._put(updated)
        return updated

    def process(self, assistant_id: str, document_id: str, *, max_chars: int = 1000) -> Document:
        """Ingest an uploaded document (what the worker runs when its object lands in S3).

        A failure marks the document failed with the reason and then propagates,
        so the worker's queue can retry or dead-letter it.
        """
        document = self.get(assistant_id, document_id)
        try:
            document = self._set_status(document, DocumentStatus.CHUNKING)
            with translate_aws_errors("s3: get_object (document)"):
                data = self._s3.get_object(Bucket=self._bucket, Key=document.s3_key)["Body"].read()
            text = extract_text(document.filename, document.content_type, data)
            pieces = chunk_text(text, max_chars=max_chars)
            document = self._set_status(document, DocumentStatus.EMBEDDING, chunk_count=len(pieces))
            self._kb.index(
                assistant_id,
                [Chunk(document_id, index, piece, document.filename) for index, piece in enumerate(pieces)],
            )
            return self._set_status(document, DocumentStatus.COMPLETE)
        except ApisError as exc:
            self._set_status(
                document, DocumentStatus.FAILED, error_message=exc.message, error_details=str(exc.detail or "")
            )
            raise
