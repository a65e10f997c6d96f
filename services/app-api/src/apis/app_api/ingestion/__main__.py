"""``python -m apis.app_api.ingestion``: run the document ingestion worker until SIGTERM.

It reads the same ``APP_API_*`` settings as the API (tables, buckets, knowledge
base, ``APP_API_INGESTION_QUEUE_URL``) and answers ``GET /health`` on
``APP_API_HOST:APP_API_WORKER_PORT`` for the container health check.
"""

from __future__ import annotations

import logging
import signal
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from apis.app_api import SERVICE_NAME
from apis.app_api.container import build_container
from apis.app_api.ingestion.worker import IngestionWorker
from apis.app_api.settings import get_settings
from apis.shared.observability import configure_logging

if TYPE_CHECKING:
    from types import FrameType

logger = logging.getLogger(__name__)

HEALTHY_POLL_AGE_SECONDS = 120.0


def health_server(worker: IngestionWorker, host: str, port: int) -> ThreadingHTTPServer:
    class HealthHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/health":
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            healthy = worker.healthy(max_age_seconds=HEALTHY_POLL_AGE_SECONDS)
            body = b'{"status":"healthy"}' if healthy else b'{"status":"unhealthy"}'
            self.send_response(HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            logger.debug(format, *args)

    return ThreadingHTTPServer((host, port), HealthHandler)


def main() -> None:
    settings = get_settings()
    configure_logging(service=f"{SERVICE_NAME}-ingestion", level=settings.log_level, json_format=settings.log_json)
    if not settings.ingestion_queue_url:
        raise SystemExit("APP_API_INGESTION_QUEUE_URL is not set: the worker has no queue to read")
    container = build_container(settings)
    worker = IngestionWorker(container.clients.sqs, settings.ingestion_queue_url, container.documents)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    worker.poll_once()  # fail fast on a wrong queue or missing permissions, before claiming to be healthy
    server = health_server(worker, settings.host, settings.worker_port)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    logger.info("ingesting documents from %s", settings.ingestion_queue_url)
    try:
        worker.run(stop)
    finally:
        server.shutdown()
        container.authenticator.close()


if __name__ == "__main__":
    main()
