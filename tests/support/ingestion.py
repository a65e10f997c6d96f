"""The ingestion loop on moto in-process: a documents service, a queue, and the S3 event of each upload."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import boto3

from apis.shared.assistants import ASSISTANTS_TABLE, DocumentService, DocumentUploadRequest, LocalKnowledgeBase
from apis.shared.aws import client_config, create_table
from tests.support.aws import REGION

if TYPE_CHECKING:
    from tests.support.mutations import Sample

BUCKET = "rag-documents"
ASSISTANT = "AST-1"


@dataclass
class IngestionRig:
    sqs: Any
    queue_url: str
    documents: DocumentService

    def upload(self, sample: Sample, *, declared: int | None = None) -> str:
        """Record a document, store its object, and queue the bucket's event for it; return its id."""
        request = DocumentUploadRequest(
            filename=sample.filename, content_type=sample.content_type, size_bytes=declared or max(1, len(sample.data))
        )
        document_id = self.documents.create_upload(ASSISTANT, request).document_id
        key = self.documents.get(ASSISTANT, document_id).s3_key
        self.documents._s3.put_object(Bucket=BUCKET, Key=key, Body=sample.data)
        self.send({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": quote_plus(key)}}}]})
        return document_id

    def send(self, body: Any) -> None:
        text = body if isinstance(body, str) else json.dumps(body)
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=text)

    def messages_left(self) -> int:
        """Messages still on the queue, in flight (not deleted, awaiting redelivery) or not."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=names)["Attributes"]
        return sum(int(attributes[name]) for name in names)


def ingestion_rig(
    dynamodb: Any, s3: Any, *, knowledge_base: Any = None, queue: str = "document-ingestion"
) -> IngestionRig:
    """Inside moto: the assistants table and documents bucket (if missing), a fresh queue, the service."""
    if "assistants" not in dynamodb.list_tables()["TableNames"]:
        create_table(dynamodb, "assistants", ASSISTANTS_TABLE)
    s3.create_bucket(Bucket=BUCKET)
    sqs = boto3.client("sqs", region_name=REGION, config=client_config())
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    documents = DocumentService(
        dynamodb, s3, knowledge_base or LocalKnowledgeBase(":memory:"), table_name="assistants", bucket=BUCKET
    )
    return IngestionRig(sqs, queue_url, documents)
