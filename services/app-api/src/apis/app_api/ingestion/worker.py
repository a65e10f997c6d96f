"""Consume the document bucket's S3 events from SQS and ingest each uploaded document.

In production the bucket notifies the queue and this worker runs as its own
ECS task (``python -m apis.app_api.ingestion``); locally ``scripts/dev`` wires
the same notification on the embedded endpoint and runs the same worker.

A message is deleted once its documents are handled: ingested, or refused for
good (a file that cannot be read, whatever its parser raised, or that is over
the size limit, is marked ``failed`` with the reason; a document deleted
meanwhile is skipped). Only a dependency failure (AWS unavailable or too slow),
or a body that is not an S3 event, leaves the message on the queue, so SQS
redelivers it after the visibility timeout and dead-letters it after the
queue's maximum receives. No document stops the worker.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from apis.shared.assistants import DocumentNotFoundError, DocumentStatus
from apis.shared.aws import translate_aws_errors
from apis.shared.errors import ApisError, DependencyTimeoutError, DependencyUnavailableError

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable

    from apis.shared.assistants import DocumentService

__all__ = ["DocumentRef", "IngestionWorker", "document_refs"]

logger = logging.getLogger(__name__)

_KEY_PARTS = 5  # assistants/{assistantId}/documents/{documentId}/{filename}


@dataclass(frozen=True)
class DocumentRef:
    assistant_id: str
    document_id: str


def document_refs(body: str) -> list[DocumentRef]:
    """The documents an S3 event notification names (none for S3's test event or other keys).

    Raises ``ValueError`` for a body that is not an S3 event at all.
    """
    event = json.loads(body)
    if not isinstance(event, dict):
        raise ValueError("not an S3 event notification")
    if event.get("Event") == "s3:TestEvent":
        return []
    records = event.get("Records")
    if not isinstance(records, list):
        raise ValueError("an S3 event notification has Records")
    refs: list[DocumentRef] = []
    for record in records:
        if not isinstance(record, dict):
            raise ValueError("an S3 event record is an object")
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        # S3 URL-encodes keys in events, spaces as '+'.
        key = unquote_plus(record["s3"]["object"]["key"])
        parts = key.split("/", _KEY_PARTS - 1)
        if len(parts) == _KEY_PARTS and parts[0] == "assistants" and parts[2] == "documents":
            refs.append(DocumentRef(parts[1], parts[3]))
        else:
            logger.info("ignoring an object outside the documents layout: %s", key)
    return refs


class IngestionWorker:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        documents: DocumentService,
        *,
        wait_seconds: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._documents = documents
        self._wait_seconds = wait_seconds
        self._clock = clock
        self.last_poll: float | None = None

    def poll_once(self) -> int:
        """Receive one batch and handle it; return how many messages were finished (deleted)."""
        with translate_aws_errors("sqs: receive_message"):
            response = self._sqs.receive_message(
                QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=self._wait_seconds
            )
        self.last_poll = self._clock()
        finished = 0
        for message in response.get("Messages", []):
            if self._handle(message["Body"]):
                with translate_aws_errors("sqs: delete_message"):
                    self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
                finished += 1
        return finished

    def _handle(self, body: str) -> bool:
        """Whether the message is done with (True) or should come back (False)."""
        try:
            refs = document_refs(body)
        except (ValueError, KeyError, TypeError, AttributeError):
            # JUSTIFICATION: not ours to drop: it stays on the queue until SQS moves it to the dead-letter queue.
            logger.exception("a message that is not an S3 event stays for dead-lettering: %.200s", body)
            return False
        # Every document of the message is ingested, even after one that must come back.
        outcomes = [self._ingest(ref) for ref in refs]
        return all(outcomes)

    def _ingest(self, ref: DocumentRef) -> bool:
        """Ingest one document; whether it is done with (True) or its message should come back (False)."""
        try:
            if self._documents.get(ref.assistant_id, ref.document_id).status is DocumentStatus.COMPLETE:
                logger.info("document %s is already ingested (a redelivery); skipped", ref.document_id)
                return True
            document = self._documents.process(ref.assistant_id, ref.document_id)
        except DocumentNotFoundError:
            # JUSTIFICATION: the owner deleted the document; there is nothing left to ingest or to mark.
            logger.info("document %s was deleted before or during ingestion; skipped", ref.document_id)
        except (DependencyUnavailableError, DependencyTimeoutError) as exc:
            # JUSTIFICATION: AWS may recover: the message comes back after its visibility timeout.
            logger.warning("ingestion of %s failed on a dependency, it will be retried: %r", ref.document_id, exc)
            return False
        except ApisError as exc:
            # JUSTIFICATION: process() recorded the reason on the document (failed); retrying cannot help.
            logger.info("document %s failed for good: %r", ref.document_id, exc)
        except Exception:
            # JUSTIFICATION: one document must never stop the worker. process() records
            # every failure on the document itself; what still escapes (a record that
            # cannot be read, say) is logged with its traceback and the message left
            # for redelivery, then the dead-letter queue.
            logger.exception("ingestion of %s failed unexpectedly; its message stays on the queue", ref.document_id)
            return False
        else:
            logger.info("ingested document %s: %s chunk(s)", ref.document_id, document.chunk_count)
        return True

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; a failed poll is logged and retried after a pause."""
        while not stop.is_set():
            try:
                self.poll_once()
            except ApisError as exc:
                # JUSTIFICATION: the worker must outlive a queue outage; the failure
                # is logged and the health endpoint turns 503 once polls stop succeeding.
                logger.exception("polling the ingestion queue failed: %r", exc)
                stop.wait(5.0)

    def healthy(self, *, max_age_seconds: float) -> bool:
        return self.last_poll is not None and self._clock() - self.last_poll <= max_age_seconds
