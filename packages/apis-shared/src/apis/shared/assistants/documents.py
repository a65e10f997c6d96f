"""Documents of an assistant: upload, status lifecycle, download, delete, and the ingestion a worker runs.

Status: ``uploading`` → ``chunking`` → ``embedding`` → ``complete``, or ``failed``
with the reason. Deleting a document removes its object, its index entries and
its record; ingestion writes a status only while the record exists, so a
document deleted while it is ingested stays deleted.

The size limit holds against the stored object: the presigned PUT signs the
declared ``Content-Length``, and ingestion checks the object's size before
reading it and never reads more than the limit (an oversize object is deleted).
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import Field

from apis.shared.assistants.ingestion import SUPPORTED_TYPES, chunk_text, extract_text
from apis.shared.assistants.knowledge_base import Chunk
from apis.shared.aws import from_item, plain, to_item, translate_aws_errors
from apis.shared.errors import ApisError, InternalError, NotFoundError
from apis.shared.files.errors import FileTooLargeError, InvalidFileTypeError, StoredFileTooLargeError
from apis.shared.files.objects import read_object_within
from apis.shared.pagination import decode_cursor, encode_cursor
from apis.shared.schema import CamelModel
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from apis.shared.assistants.knowledge_base import KnowledgeBase

__all__ = [
    "MAX_DOCUMENT_BYTES",
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
        self,
        dynamodb: DynamoDBClient,
        s3: Any,
        knowledge_base: KnowledgeBase,
        *,
        table_name: str,
        bucket: str,
        max_document_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> None:
        self._dynamodb = dynamodb
        self._s3 = s3
        self._kb = knowledge_base
        self._table = table_name
        self._bucket = bucket
        self.max_document_bytes = max_document_bytes

    def _key(self, assistant_id: str, document_id: str) -> dict[str, Any]:
        return to_item({"PK": f"AST#{assistant_id}", "SK": f"DOC#{document_id}"})

    def _put(self, document: Document, *, new: bool = False) -> None:
        """Write the record: a new one only if absent, an existing one only while it exists (else 404)."""
        item = {"PK": f"AST#{document.assistant_id}", "SK": f"DOC#{document.document_id}"}
        condition = "attribute_not_exists(PK)" if new else "attribute_exists(PK)"
        with translate_aws_errors(
            "assistants: put_item (document)", on_condition_failed=None if new else DocumentNotFoundError
        ):
            self._dynamodb.put_item(
                TableName=self._table,
                Item=to_item({**item, **document.model_dump(by_alias=True)}),
                ConditionExpression=condition,
            )

    def create_upload(self, assistant_id: str, request: DocumentUploadRequest) -> DocumentUploadResponse:
        """Record the document and sign its upload (the caller has checked the assistant is the user's)."""
        content_type = request.content_type
        if content_type not in SUPPORTED_TYPES:
            raise InvalidFileTypeError(detail=f"file type {content_type!r} is not supported for documents")
        if request.size_bytes > self.max_document_bytes:
            raise FileTooLargeError(detail=f"file too large: at most {self.max_document_bytes} bytes")
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
        self._put(document, new=True)
        with translate_aws_errors("s3: generate_presigned_url (document)"):
            url = self._s3.generate_presigned_url(
                "put_object",
                Params={
                    "Bucket": self._bucket,
                    "Key": document.s3_key,
                    "ContentType": content_type,
                    "ContentLength": request.size_bytes,
                },
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
        start = decode_cursor(
            next_token,
            required_keys=frozenset({"PK", "SK"}),
            field="next_token",
            bound={"PK": f"AST#{assistant_id}"},
            prefixes={"SK": "DOC#"},
        )
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
        """Write the new status; ``DocumentNotFoundError`` if the document was deleted meanwhile."""
        updated = document.model_copy(update={"status": status, "updated_at": utc_timestamp(), **fields})
        self._put(updated)
        return updated

    def process(self, assistant_id: str, document_id: str, *, max_chars: int = 1000) -> Document:
        """Ingest an uploaded document (what the worker runs when its object lands in S3).

        Any failure marks the document failed with the reason and then
        propagates as an ``ApisError``, so the worker's queue can retry a
        dependency failure and drop the rest. A document deleted meanwhile
        raises ``DocumentNotFoundError`` and is not written back (its chunks,
        if they were indexed already, are removed again).
        """
        document = self.get(assistant_id, document_id)
        try:
            document = self._set_status(document, DocumentStatus.CHUNKING)
            data = read_object_within(
                self._s3, bucket=self._bucket, key=document.s3_key, max_bytes=self.max_document_bytes
            )
            text = extract_text(document.filename, document.content_type, data)
            del data  # up to the limit's worth of bytes, not needed while the text is chunked and indexed
            pieces = chunk_text(text, max_chars=max_chars)
            document = self._set_status(document, DocumentStatus.EMBEDDING, chunk_count=len(pieces))
            self._kb.index(
                assistant_id,
                [Chunk(document_id, index, piece, document.filename) for index, piece in enumerate(pieces)],
            )
            try:
                return self._set_status(document, DocumentStatus.COMPLETE)
            except DocumentNotFoundError:
                self._kb.delete_document(assistant_id, document_id, len(pieces))
                raise
        except DocumentNotFoundError:
            raise
        except StoredFileTooLargeError as exc:
            with translate_aws_errors("s3: delete_object (oversize document)"):
                self._s3.delete_object(Bucket=self._bucket, Key=document.s3_key)
            self._fail(document, exc)
            raise
        except ApisError as exc:
            self._fail(document, exc)
            raise
        except Exception as exc:
            # JUSTIFICATION: not a suppression: whatever else fails on one document is
            # recorded on it as the reason and re-raised as a platform error, so the
            # worker moves on to the next document instead of dying.
            failure = InternalError("The document could not be processed", detail=f"{type(exc).__name__}: {exc}")
            self._fail(document, failure)
            raise failure from exc

    def _fail(self, document: Document, exc: ApisError) -> None:
        self._set_status(
            document, DocumentStatus.FAILED, error_message=exc.message, error_details=str(exc.detail or "")[:1000]
        )
