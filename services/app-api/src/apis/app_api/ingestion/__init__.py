"""Document ingestion: S3 "object created" events of the documents bucket, through a queue, to the indexer."""

from apis.app_api.ingestion.worker import DocumentRef, IngestionWorker, document_refs

__all__ = ["DocumentRef", "IngestionWorker", "document_refs"]
