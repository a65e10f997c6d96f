"""Reading S3 event notifications: which documents an event names."""

from __future__ import annotations

import json

import pytest

from apis.app_api.ingestion import DocumentRef, document_refs


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
