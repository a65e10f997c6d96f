"""moto in-process: fake credentials, then clients made inside the mock (never at import time)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
from moto import mock_aws

from apis.shared.aws import TableDefinition, client_config, create_table

if TYPE_CHECKING:
    from collections.abc import Iterator

REGION = "us-east-1"


@contextmanager
def mocked_aws(monkeypatch: Any) -> Iterator[None]:
    for variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def dynamodb_client() -> Any:
    return boto3.client("dynamodb", region_name=REGION, config=client_config())


def table(client: Any, name: str, definition: TableDefinition) -> str:
    create_table(client, name, definition)
    return name


@contextmanager
def serial_moto_server() -> Iterator[str]:
    """moto as an HTTP server on loopback that handles one request at a time; yields its URL."""
    import threading

    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
