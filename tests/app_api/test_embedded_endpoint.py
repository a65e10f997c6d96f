"""Against the embedded AWS endpoint over HTTP, as in development: the browser's presigned S3 PUTs, and
document ingestion that starts from the bucket's own S3 event, through SQS, with no client call."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from apis.app_api.ingestion import IngestionWorker
from apis.shared.assistants import LocalKnowledgeBase
from apis.shared.aws import client_config, create_table
from apis.shared.providers import LocalModelProvider
from tests.app_api.conftest import APP_API_TABLES, add_test_chat_model, make_app, person
from tests.support.aws import REGION, serial_moto_server
from tests.support.sse import parse_sse

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apis.app_api.settings import AppApiSettings

ADA = person("111111111", "ada@example.edu")


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for variable, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": REGION}.items():  # fmt: skip
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with serial_moto_server() as url:
        yield url
        httpx.post(f"{url}/moto-api/reset")


@pytest.fixture
def stack(endpoint: str, settings: AppApiSettings) -> dict[str, Any]:
    """Tables, buckets and the documents bucket's notification to the ingestion queue, as scripts/dev sets them up."""
    local = settings.model_copy(update={"aws_endpoint_url": endpoint})

    def client(service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint, config=client_config())

    dynamodb, s3, sqs = client("dynamodb"), client("s3"), client("sqs")
    for name, definition in APP_API_TABLES.items():
        create_table(dynamodb, name, definition)
    add_test_chat_model(dynamodb)
    for bucket in ("user-files", "rag-documents"):
        s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName="document-ingestion")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket="rag-documents",
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    from apis.shared.composition import build_clients

    clients = build_clients(local, with_queue=True)
    app = make_app(local, clients.dynamodb, clients.s3, LocalKnowledgeBase(), LocalModelProvider(environment="test"))
    return {"app": app, "sqs": clients.sqs, "queue_url": queue_url}


def test_a_presigned_upload_works_from_a_browser_with_its_signed_content_type(stack: dict[str, Any]) -> None:
    with TestClient(stack["app"]) as client:
        body = {"sessionId": "s1", "filename": "notes.txt", "mimeType": "text/plain", "sizeBytes": 5}
        presigned = client.post("/files/presign", json=body, headers=ADA).json()
        assert presigned["presignedUrl"].startswith("http://127.0.0.1:")  # path-style on the local endpoint
        # S3 refuses another type because it is signed (moto does not check it, so the test reads the URL).
        assert "content-type" in parse_qs(urlsplit(presigned["presignedUrl"]).query)["X-Amz-SignedHeaders"][0]
        put = httpx.put(presigned["presignedUrl"], content=b"hello", headers={"Content-Type": "text/plain"})
        assert put.status_code == 200, put.text
        completed = client.post(f"/files/{presigned['uploadId']}/complete", json={}, headers=ADA)
        assert completed.status_code == 200 and completed.json()["status"] == "ready"
        assert client.get("/files/quota", headers=ADA).json()["usedBytes"] == 5


def test_a_browser_put_larger_than_declared_is_refused_at_completion(stack: dict[str, Any]) -> None:
    with TestClient(stack["app"]) as client:
        body = {"sessionId": "s1", "filename": "notes.txt", "mimeType": "text/plain", "sizeBytes": 5}
        presigned = client.post("/files/presign", json=body, headers=ADA).json()
        # S3 refuses this PUT (the declared Content-Length is signed); moto does not check, so completion must.
        assert "content-length" in parse_qs(urlsplit(presigned["presignedUrl"]).query)["X-Amz-SignedHeaders"][0]
        too_large = b"x" * (4 * 1024 * 1024 + 1)
        put = httpx.put(presigned["presignedUrl"], content=too_large, headers={"Content-Type": "text/plain"})
        assert put.status_code == 200, put.text
        completed = client.post(f"/files/{presigned['uploadId']}/complete", json={}, headers=ADA)
        assert completed.status_code == 413 and completed.json()["error"]["message"] == "The file is too large"
        assert client.get("/files/quota", headers=ADA).json()["usedBytes"] == 0
        listed = stack["app"].state.container.clients.s3.list_objects_v2(Bucket="user-files")
        assert listed.get("KeyCount") == 0


def test_an_uploaded_document_is_ingested_from_its_s3_event(stack: dict[str, Any]) -> None:
    app = stack["app"]
    with TestClient(app) as client:
        assistant = client.post("/assistants", json={"name": "Geo"}, headers=ADA).json()
        path = f"/assistants/{assistant['assistantId']}/documents"
        text = b"Lake Titicaca lies on the border of Peru and Bolivia."
        request = {"filename": "lakes notes.txt", "contentType": "text/plain", "sizeBytes": len(text)}
        upload = client.post(f"{path}/upload-url", json=request, headers=ADA).json()
        assert client.get(f"{path}/{upload['documentId']}", headers=ADA).json()["status"] == "uploading"
        put = httpx.put(upload["uploadUrl"], content=text, headers={"Content-Type": "text/plain"})
        assert put.status_code == 200, put.text

        worker = IngestionWorker(stack["sqs"], stack["queue_url"], app.state.container.documents, wait_seconds=0)
        assert worker.poll_once() == 2  # S3's test event from the notification setup, then the upload
        document = client.get(f"{path}/{upload['documentId']}", headers=ADA).json()
        assert document["status"] == "complete" and document["chunkCount"] == 1

        chat = client.post(f"/assistants/{assistant['assistantId']}/test-chat", json={"message": "Titicaca"},
                           headers=ADA)  # fmt: skip
        debug = parse_sse(chat.text)[0]
        assert debug.event == "debug" and "Bolivia" in debug.data["chunks"][0]["text"]


def test_the_worker_leaves_a_message_for_retry_when_a_dependency_fails(stack: dict[str, Any]) -> None:
    sqs = stack["sqs"]
    queue_url = sqs.create_queue(QueueName="retry-check")["QueueUrl"]
    key = "assistants/AST-1/documents/DOC-1/a.txt"
    event = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": key}}}]}
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))

    class Unavailable:
        def get(self, assistant_id: str, document_id: str) -> Any:
            from apis.shared.errors import DependencyUnavailableError

            raise DependencyUnavailableError("assistants table unavailable")

    worker = IngestionWorker(sqs, queue_url, Unavailable(), wait_seconds=0)  # type: ignore[arg-type]
    assert worker.poll_once() == 0
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_a_message_that_is_not_an_s3_event_is_left_for_the_dead_letter_queue(stack: dict[str, Any]) -> None:
    sqs = stack["sqs"]
    queue_url = sqs.create_queue(QueueName="poison-check")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="not json at all")
    worker = IngestionWorker(sqs, queue_url, stack["app"].state.container.documents, wait_seconds=0)
    assert worker.poll_once() == 0
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
