"""The request-body limit: counted as bytes arrive, a 413 envelope with the request id and CORS headers."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.middleware.cors import CORSMiddleware

from apis.shared.http import (
    REQUEST_ID_HEADER,
    CorsPolicy,
    RequestBodyLimitMiddleware,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
    install_body_limit,
    install_cors,
    install_error_handlers,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

ORIGIN = "http://localhost:4200"
LIMIT = 100


class Payload(BaseModel):
    text: str


def build_app(*, limit: int = LIMIT, cors_first: bool = True) -> tuple[FastAPI, list[str]]:
    """An app with the platform's middleware; the list records each request a route saw."""
    app = FastAPI()
    install_error_handlers(app)
    if cors_first:
        install_cors(app, CorsPolicy(allow_origins=(ORIGIN,)))
        install_body_limit(app, max_bytes=limit)
    else:
        install_body_limit(app, max_bytes=limit)
        install_cors(app, CorsPolicy(allow_origins=(ORIGIN,)))
    seen: list[str] = []

    @app.post("/echo")
    def echo(payload: Payload) -> Payload:
        seen.append(payload.text)
        return payload

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        body = await request.body()
        seen.append(f"{len(body)} bytes")
        return {"length": len(body)}

    @app.post("/streamed")
    async def streamed(request: Request) -> dict[str, int]:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
        seen.append(f"{total} streamed")
        return {"length": total}

    return app, seen


def assert_413(response: Any, limit: int = LIMIT) -> None:
    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "bad_request",
            "message": "The request body is too large",
            "detail": f"at most {limit} bytes",
            "requestId": response.headers[REQUEST_ID_HEADER],
        }
    }
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["connection"] == "close"


@pytest.fixture
def client() -> Iterator[tuple[TestClient, list[str]]]:
    app, seen = build_app()
    with TestClient(app) as test_client:
        yield test_client, seen


def test_a_body_within_the_limit_passes(client: tuple[TestClient, list[str]]) -> None:
    test_client, seen = client
    body = json.dumps({"text": "x" * (LIMIT - len('{"text": ""}'))})
    assert len(body) == LIMIT
    response = test_client.post("/echo", content=body, headers={"Content-Type": "application/json", "Origin": ORIGIN})
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == ORIGIN
    assert seen == ["x" * (LIMIT - 12)]


def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs(
    client: tuple[TestClient, list[str]],
) -> None:
    test_client, seen = client
    body = json.dumps({"text": "x" * LIMIT})
    for path in ("/echo", "/raw", "/streamed", "/no-such-route"):
        response = test_client.post(path, content=body, headers={"Content-Type": "application/json", "Origin": ORIGIN})
        assert_413(response)
    assert seen == []


def test_the_order_of_installation_does_not_matter() -> None:
    app, seen = build_app(cors_first=False)
    with TestClient(app) as test_client:
        response = test_client.post("/raw", content=b"x" * (LIMIT + 1), headers={"Origin": ORIGIN})
    assert_413(response)
    factories: list[Any] = [entry.cls for entry in app.user_middleware]
    assert factories[0] is RequestIdMiddleware and issubclass(factories[1], CORSMiddleware)
    assert factories[2:] == [UnhandledErrorMiddleware, RequestBodyLimitMiddleware]
    assert seen == []


def test_the_limit_needs_the_error_handlers_and_a_fresh_app() -> None:
    with pytest.raises(RuntimeError, match="install_error_handlers"):
        install_body_limit(FastAPI(), max_bytes=1)
    app, _ = build_app()
    with TestClient(app), pytest.raises(RuntimeError, match="before the app starts serving"):
        install_body_limit(app, max_bytes=1)
    with pytest.raises(ValueError, match="negative"):
        RequestBodyLimitMiddleware(app, max_bytes=-1)


async def _call(app: FastAPI, path: str, chunks: list[bytes]) -> tuple[int, dict[str, str], bytes, int]:
    """Send ``chunks`` as a body without a Content-Length (chunked); return status, headers, body, chunks read."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"origin", ORIGIN.encode()), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    pending = list(chunks)
    delivered = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not pending:
            await asyncio.sleep(3600)
        delivered += 1
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async with asyncio.timeout(5):
        await app(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    headers = {key.decode(): value.decode() for key, value in start["headers"]}
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return start["status"], headers, body, delivered


@pytest.mark.parametrize("path", ["/echo", "/raw", "/streamed"])
def test_a_chunked_body_is_cut_off_as_soon_as_it_passes_the_limit(path: str) -> None:
    app, seen = build_app()
    chunks = [b"x" * 40] * 10  # 400 bytes in all, no Content-Length
    status, headers, body, delivered = asyncio.run(_call(app, path, chunks))
    assert status == 413
    assert json.loads(body)["error"]["message"] == "The request body is too large"
    assert json.loads(body)["error"]["requestId"] == headers["x-request-id"]
    assert headers["access-control-allow-origin"] == ORIGIN
    assert delivered == 3, "reading stops at the chunk that passes 100 bytes"
    assert seen == []


def test_a_chunked_body_within_the_limit_is_read_whole() -> None:
    app, seen = build_app()
    status, _, body, delivered = asyncio.run(_call(app, "/streamed", [b"x" * 40, b"y" * 40, b"z" * 20]))
    assert (status, json.loads(body), delivered) == (200, {"length": 100}, 3)
    assert seen == ["100 streamed"]
