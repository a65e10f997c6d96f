"""The browser's side of a presigned upload against the embedded AWS endpoint over HTTP: the CORS preflight
that S3 answers from the bucket's rules (seeded by scripts/dev), then the PUT the page may read.

moto's server answers every origin by default (flask-cors, switched off by MOTO_DISABLE_GLOBAL_CORS), which
would hide a bucket without CORS rules; these tests run it without that, the way S3 behaves: only the bucket's
own rules answer a preflight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from apis.shared.assistants import ASSISTANTS_TABLE, LocalKnowledgeBase
from apis.shared.aws import client_config, create_table
from apis.shared.files import USER_FILES_TABLE
from apis.shared.providers import LocalModelProvider
from apis.shared.rbac import APP_ROLES_TABLE
from apis.shared.sessions import SESSIONS_METADATA_TABLE
from apis.shared.users import USERS_TABLE
from devtools.seed import allow_browser_uploads, browser_cors_rules
from tests.app_api.conftest import make_app, person
from tests.support.aws import REGION, serial_moto_server

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apis.app_api.settings import AppApiSettings

ADA = person("111111111", "ada@example.edu")
ORIGIN = "http://localhost:4200"
# The dev origins plus one more, as APIS_WEB_ORIGINS adds them.
EXTRA_ORIGIN = "http://localhost:4300"
ORIGINS = (ORIGIN, "http://127.0.0.1:4200", EXTRA_ORIGIN)


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for variable, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": REGION}.items():  # fmt: skip
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # What MOTO_DISABLE_GLOBAL_CORS does; moto reads that variable once, when it is imported.
    monkeypatch.setattr("moto.moto_server.werkzeug_app.DISABLE_GLOBAL_CORS", True)
    with serial_moto_server() as url:
        yield url
        httpx.post(f"{url}/moto-api/reset")


@pytest.fixture
def s3(endpoint: str) -> Any:
    client = boto3.client("s3", region_name=REGION, endpoint_url=endpoint, config=client_config())
    for bucket in ("user-files", "rag-documents"):
        client.create_bucket(Bucket=bucket)
    return client


@pytest.fixture
def client(endpoint: str, s3: Any, settings: AppApiSettings) -> Iterator[TestClient]:
    local = settings.model_copy(update={"aws_endpoint_url": endpoint})
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint, config=client_config())
    tables = {"users": USERS_TABLE, "app-roles": APP_ROLES_TABLE, "sessions-metadata": SESSIONS_METADATA_TABLE,
              "user-files": USER_FILES_TABLE, "assistants": ASSISTANTS_TABLE}  # fmt: skip
    for name, definition in tables.items():
        create_table(dynamodb, name, definition)
    from apis.shared.composition import build_clients

    clients = build_clients(local)
    app = make_app(local, clients.dynamodb, clients.s3, LocalKnowledgeBase(), LocalModelProvider(environment="test"))
    with TestClient(app) as test_client:
        yield test_client


def file_upload_url(client: TestClient) -> str:
    body = {"sessionId": "s1", "filename": "notes.txt", "mimeType": "text/plain", "sizeBytes": 5}
    response = client.post("/files/presign", json=body, headers=ADA)
    assert response.status_code == 200, response.text
    return str(response.json()["presignedUrl"])


def document_upload_url(client: TestClient) -> str:
    assistant = client.post("/assistants", json={"name": "Geo"}, headers=ADA).json()
    request = {"filename": "lakes.txt", "contentType": "text/plain", "sizeBytes": 5}
    response = client.post(f"/assistants/{assistant['assistantId']}/documents/upload-url", json=request, headers=ADA)
    assert response.status_code == 200, response.text
    return str(response.json()["uploadUrl"])


def browser_preflight(url: str, origin: str = ORIGIN) -> httpx.Response:
    """What a browser sends before the page's XHR PUT with a Content-Type header."""
    return httpx.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )


@pytest.mark.parametrize("upload_url", [file_upload_url, document_upload_url])
def test_the_browser_may_put_to_a_presigned_url_from_the_client_origin(
    client: TestClient, s3: Any, upload_url: Any
) -> None:
    assert allow_browser_uploads(s3, ORIGINS) == ["browser CORS user-files", "browser CORS rag-documents"]
    url = upload_url(client)

    preflight = browser_preflight(url)
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert preflight.headers["access-control-allow-methods"] == "PUT, GET, HEAD"
    assert preflight.headers["access-control-allow-headers"].lower() == "content-type"
    assert preflight.headers["access-control-max-age"] == "3000"

    put = httpx.put(url, content=b"hello", headers={"Content-Type": "text/plain", "Origin": ORIGIN})
    assert put.status_code == 200, put.text
    assert put.headers["access-control-allow-origin"] == ORIGIN
    assert put.headers["access-control-expose-headers"] == "ETag"
    assert put.headers["etag"]


def test_an_extra_web_origin_may_put_too(client: TestClient, s3: Any) -> None:
    allow_browser_uploads(s3, ORIGINS)
    preflight = browser_preflight(file_upload_url(client), origin=EXTRA_ORIGIN)
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == EXTRA_ORIGIN


def test_another_origin_is_refused(client: TestClient, s3: Any) -> None:
    allow_browser_uploads(s3, ORIGINS)
    preflight = browser_preflight(file_upload_url(client), origin="https://evil.example")
    assert preflight.status_code == 403
    assert "<Code>AccessForbidden</Code>" in preflight.text
    assert "access-control-allow-origin" not in preflight.headers


def test_without_the_seeded_rules_the_browser_gets_no_allow_header(client: TestClient) -> None:
    preflight = browser_preflight(file_upload_url(client))
    assert "access-control-allow-origin" not in preflight.headers


def test_seeding_the_rules_again_changes_nothing(s3: Any) -> None:
    assert allow_browser_uploads(s3, ORIGINS) == ["browser CORS user-files", "browser CORS rag-documents"]
    assert allow_browser_uploads(s3, ORIGINS) == []
    assert s3.get_bucket_cors(Bucket="user-files")["CORSRules"] == browser_cors_rules(ORIGINS)
