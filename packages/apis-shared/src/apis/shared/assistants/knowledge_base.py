"""Where an assistant's document chunks are indexed and searched.

Two backends behind one interface:

- ``S3VectorsKnowledgeBase`` (production): chunks embedded with Amazon Titan Text
  Embeddings v2 and stored in an S3 Vectors index (cosine), filtered by
  assistant. Chosen over Bedrock Knowledge Bases because ingestion stays in our
  own worker (status per document, exact deletes by chunk key) and the index is
  the one the existing stack already runs.
- ``LocalKnowledgeBase`` (development, tests): SQLite FTS5 ranked by BM25, in a
  file or in memory. It really ranks; it does not embed.

A search failure propagates as a typed error; it is never an empty result.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from apis.shared.aws import translate_aws_errors
from apis.shared.errors import DependencyUnavailableError

__all__ = ["Chunk", "KnowledgeBase", "LocalKnowledgeBase", "S3VectorsKnowledgeBase", "SearchHit"]

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Chunk:
    document_id: str
    chunk_index: int
    text: str
    source: str

    @property
    def key(self) -> str:
        return f"{self.document_id}#{self.chunk_index}"


@dataclass(frozen=True)
class SearchHit:
    key: str
    text: str
    distance: float
    metadata: dict[str, Any] = field(default_factory=dict)


class KnowledgeBase(Protocol):
    def index(self, assistant_id: str, chunks: list[Chunk]) -> None: ...

    def search(self, assistant_id: str, query: str, top_k: int = 5) -> list[SearchHit]: ...

    def delete_document(self, assistant_id: str, document_id: str, chunk_count: int) -> None: ...


class LocalKnowledgeBase:
    """SQLite FTS5 with BM25 ranking; ``distance`` is ``1 / (1 + relevance)`` (smaller is closer)."""

    def __init__(self, path: str = ":memory:") -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._connection:
            self._connection.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5("
                "text, assistant_id UNINDEXED, document_id UNINDEXED, chunk_index UNINDEXED, source UNINDEXED, "
                "tokenize = 'porter unicode61')"
            )

    def _run(
        self, statement: str, parameters: tuple[Any, ...] | list[tuple[Any, ...]], many: bool = False
    ) -> list[Any]:
        try:
            with self._lock, self._connection:
                if many:
                    self._connection.executemany(statement, parameters)
                    return []
                return self._connection.execute(statement, parameters).fetchall()
        except sqlite3.Error as exc:
            raise DependencyUnavailableError("The knowledge base is unavailable", detail=f"sqlite: {exc}") from exc

    def index(self, assistant_id: str, chunks: list[Chunk]) -> None:
        rows = [(c.text, assistant_id, c.document_id, c.chunk_index, c.source) for c in chunks]
        self._run("INSERT INTO chunks VALUES (?, ?, ?, ?, ?)", rows, many=True)

    def search(self, assistant_id: str, query: str, top_k: int = 5) -> list[SearchHit]:
        words = list(dict.fromkeys(word.lower() for word in _WORD.findall(query)))
        if not words:
            return []
        # Each word quoted: the user's text is data, never FTS query syntax.
        expression = " OR ".join('"' + word.replace('"', '""') + '"' for word in words)
        rows = self._run(
            "SELECT text, document_id, chunk_index, source, bm25(chunks) AS score FROM chunks "
            "WHERE chunks MATCH ? AND assistant_id = ? ORDER BY score LIMIT ?",
            (expression, assistant_id, max(1, top_k)),
        )
        return [
            SearchHit(
                key=f"{document_id}#{chunk_index}",
                text=text,
                distance=1.0 / (1.0 - score),
                metadata={"document_id": document_id, "assistant_id": assistant_id, "source": source},
            )
            for text, document_id, chunk_index, source, score in rows
        ]

    def delete_document(self, assistant_id: str, document_id: str, chunk_count: int) -> None:
        self._run("DELETE FROM chunks WHERE assistant_id = ? AND document_id = ?", (assistant_id, document_id))


class S3VectorsKnowledgeBase:
    """Titan v2 embeddings in an S3 Vectors index; vector key ``<documentId>#<chunkIndex>``."""

    EMBEDDING_MODEL = "amazon.titan-embed-text-v2:0"
    _BATCH = 500

    def __init__(
        self, bedrock_runtime: Any, s3vectors: Any, *, bucket: str, index_name: str, dimensions: int = 1024
    ) -> None:
        self._bedrock = bedrock_runtime
        self._vectors = s3vectors
        self._bucket = bucket
        self._index = index_name
        self._dimensions = dimensions

    def embed(self, text: str) -> list[float]:
        body = json.dumps({"inputText": text, "dimensions": self._dimensions, "normalize": True})
        with translate_aws_errors("bedrock: invoke_model (embedding)"):
            response = self._bedrock.invoke_model(
                modelId=self.EMBEDDING_MODEL, body=body, contentType="application/json", accept="application/json"
            )
        embedding: list[float] = json.loads(response["body"].read())["embedding"]
        return embedding

    def index(self, assistant_id: str, chunks: list[Chunk]) -> None:
        vectors = [
            {
                "key": chunk.key,
                "data": {"float32": self.embed(chunk.text)},
                "metadata": {
                    "text": chunk.text,
                    "document_id": chunk.document_id,
                    "assistant_id": assistant_id,
                    "source": chunk.source,
                },
            }
            for chunk in chunks
        ]
        for start in range(0, len(vectors), self._BATCH):
            with translate_aws_errors("s3vectors: put_vectors"):
                self._vectors.put_vectors(
                    vectorBucketName=self._bucket, indexName=self._index, vectors=vectors[start : start + self._BATCH]
                )

    def search(self, assistant_id: str, query: str, top_k: int = 5) -> list[SearchHit]:
        vector = self.embed(query)
        with translate_aws_errors("s3vectors: query_vectors"):
            response = self._vectors.query_vectors(
                vectorBucketName=self._bucket,
                indexName=self._index,
                queryVector={"float32": vector},
                topK=max(1, top_k),
                filter={"assistant_id": assistant_id},
                returnMetadata=True,
                returnDistance=True,
            )
        return [
            SearchHit(
                key=match["key"],
                text=str(match.get("metadata", {}).get("text", "")),
                distance=float(match.get("distance", 0.0)),
                metadata={k: v for k, v in match.get("metadata", {}).items() if k != "text"},
            )
            for match in response.get("vectors", [])
        ]

    def delete_document(self, assistant_id: str, document_id: str, chunk_count: int) -> None:
        keys = [f"{document_id}#{index}" for index in range(chunk_count)]
        for start in range(0, len(keys), self._BATCH):
            with translate_aws_errors("s3vectors: delete_vectors"):
                self._vectors.delete_vectors(
                    vectorBucketName=self._bucket, indexName=self._index, keys=keys[start : start + self._BATCH]
                )
