"""Fuzzing the ingestion worker: seeded mutations of valid PDF, Word, HTML and CSV files go through the
queue and the worker, which must keep going and leave every document complete or failed with a reason."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from apis.app_api.ingestion import IngestionWorker
from apis.shared.assistants import DocumentStatus
from tests.support.ingestion import ASSISTANT, ingestion_rig
from tests.support.mutations import Sample, mutate, valid_samples

SEED = 20261127
MUTANTS_PER_KIND = 40


def test_the_worker_survives_mutated_documents(dynamodb: Any, s3: Any) -> None:
    rig = ingestion_rig(dynamodb, s3)
    rng = random.Random(SEED)
    uploaded: dict[str, str] = {}
    for kind, sample in valid_samples().items():
        uploaded[rig.upload(sample)] = kind
        for _ in range(MUTANTS_PER_KIND):
            mutant = Sample(sample.filename, sample.content_type, mutate(sample.data, rng))
            uploaded[rig.upload(mutant)] = kind

    worker = IngestionWorker(rig.sqs, rig.queue_url, rig.documents, wait_seconds=0)
    finished = 0
    for _ in range(len(uploaded)):  # ten messages a poll: far more polls than needed
        handled = worker.poll_once()
        finished += handled
        if handled == 0:
            break
    assert finished == len(uploaded), "every message is finished, none left to crash-loop the worker"
    assert rig.messages_left() == 0

    outcomes: Counter[tuple[str, DocumentStatus]] = Counter()
    for document_id, kind in uploaded.items():
        document = rig.documents.get(ASSISTANT, document_id)
        assert document.status in (DocumentStatus.COMPLETE, DocumentStatus.FAILED), (kind, document)
        if document.status is DocumentStatus.FAILED:
            assert document.error_message, (kind, document)
        else:
            assert document.chunk_count, (kind, document)
        outcomes[kind, document.status] += 1
    # The mutations reach both outcomes for the binary formats (and the originals are read).
    for kind in ("pdf", "docx"):
        assert outcomes[kind, DocumentStatus.COMPLETE] >= 1 and outcomes[kind, DocumentStatus.FAILED] >= 1, outcomes
    assert sum(outcomes.values()) == 4 * (MUTANTS_PER_KIND + 1)
