"""Reading S3 event notifications, and the worker: every document ends complete or failed, never the worker."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apis.app_api.ingestion import DocumentRef, IngestionWorker, document_refs
from apis.shared.assistants import DocumentStatus, UnsupportedDocumentError
from apis.shared.errors import DependencyTimeoutError, DependencyUnavailableError, InternalError
from tests.support.ingestion import ASSISTANT, IngestionRig, ingestion_rig
from tests.support.mutations import Sample, parser_crashers, valid_samples


def event(*keys: str, name: str = "ObjectCreated:Put") -> str:
    return json.dumps({"Records": [{"eventName": name, "s3": {"object": {"key": key}}} for key in keys]})


def test_keys_are_url_decoded_and_matched_to_documents() -> None:
    refs = document_refs(event("assistants/AST-1/documents/DOC-9/lake+notes%281%29.txt", "other/key.txt"))
    assert refs == [DocumentRef("AST-1", "DOC-9")]


def test_test_events_and_deletions_name_nothing() -> None:
    assert document_refs(json.dumps({"Event": "s3:TestEvent", "Bucket": "rag-documents"})) == []
    assert document_refs(event("assistants/A/documents/D/x.txt", name="ObjectRemoved:Delete")) == []


@pytest.mark.parametrize("body", ["not json", "[]", json.dumps({"Hello": 1})])
def test_a_body_that_is_not_an_s3_event_is_an_error(body: str) -> None:
    with pytest.raises(ValueError):
        document_refs(body)


# ---------------------------------------------------------------------------- the worker against hostile documents


@pytest.fixture
def rig(dynamodb: Any, s3: Any) -> IngestionRig:
    return ingestion_rig(dynamodb, s3)


def worker_for(rig: IngestionRig, documents: Any = None) -> IngestionWorker:
    return IngestionWorker(rig.sqs, rig.queue_url, documents or rig.documents, wait_seconds=0)


def test_documents_that_crash_their_parser_fail_and_the_worker_goes_on(rig: IngestionRig) -> None:
    crashers = {name: rig.upload(sample) for name, sample in sorted(parser_crashers().items())}
    readable = rig.upload(valid_samples()["pdf"])
    worker = worker_for(rig)
    assert worker.poll_once() == 4, "every message is finished: none comes back to crash the worker again"
    assert rig.messages_left() == 0
    for name, document_id in crashers.items():
        document = rig.documents.get(ASSISTANT, document_id)
        assert document.status is DocumentStatus.FAILED, name
        assert document.error_message in ("The PDF could not be read", "The Word document could not be read")
    assert rig.documents.get(ASSISTANT, readable).status is DocumentStatus.COMPLETE
    assert worker.healthy(max_age_seconds=60)


def test_an_oversize_object_fails_its_document_for_good(dynamodb: Any, s3: Any) -> None:
    rig = ingestion_rig(dynamodb, s3)
    rig.documents.max_document_bytes = 50
    document_id = rig.upload(Sample("big.txt", "text/plain", b"x" * 500), declared=10)
    assert worker_for(rig).poll_once() == 1 and rig.messages_left() == 0
    document = rig.documents.get(ASSISTANT, document_id)
    assert (document.status, document.error_message) == (DocumentStatus.FAILED, "The file is too large")
    assert s3.list_objects_v2(Bucket="rag-documents").get("KeyCount") == 0


class _Documents:
    """A documents service whose every call fails with ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get(self, assistant_id: str, document_id: str) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "comes_back"),
    [
        (DependencyUnavailableError("assistants table unavailable"), True),
        (DependencyTimeoutError("S3 too slow"), True),
        (InternalError("a request built wrong"), False),
        (UnsupportedDocumentError("The PDF could not be read"), False),
        (RuntimeError("a bug"), True),
    ],
)
def test_only_dependency_failures_and_the_unexpected_come_back(
    rig: IngestionRig, error: Exception, comes_back: bool
) -> None:
    rig.send(
        {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": "assistants/A/documents/D/a.txt"}}}]}
    )
    worker = worker_for(rig, _Documents(error))
    assert worker.poll_once() == (0 if comes_back else 1)
    assert rig.messages_left() == (1 if comes_back else 0)


def test_records_that_are_not_objects_are_left_for_the_dead_letter_queue(rig: IngestionRig) -> None:
    rig.send({"Records": [["not", "a", "record"]]})
    assert worker_for(rig).poll_once() == 0
    assert rig.messages_left() == 1
