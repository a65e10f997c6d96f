from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from apis.shared.http import REQUEST_ID_HEADER, RequestIdMiddleware, install_error_handlers
from apis.shared.observability import RequestIdLogFilter, get_request_id

if TYPE_CHECKING:
    import pytest

logger = logging.getLogger("tests.request_id")


def test_request_id_is_bound_during_the_request_and_in_log_records(caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()
    install_error_handlers(app)
    seen: dict[str, str | None] = {}

    @app.get("/work")
    def work(request: Request) -> dict[str, str | None]:
        seen["context"] = get_request_id()
        logger.info("doing work")
        return {"state": request.state.request_id}

    caplog.handler.addFilter(RequestIdLogFilter("svc"))
    with caplog.at_level(logging.INFO, logger="tests.request_id"):
        response = TestClient(app).get("/work")
    request_id = response.headers[REQUEST_ID_HEADER]
    assert seen["context"] == request_id
    assert response.json() == {"state": request_id}
    record = next(r for r in caplog.records if r.getMessage() == "doing work")
    assert record.request_id == request_id
    assert record.service == "svc"
    assert get_request_id() is None, "the id must not leak out of the request"


def test_custom_header_name() -> None:
    app = FastAPI()
    install_error_handlers(app, request_id_header="X-Correlation-ID")

    @app.get("/ok")
    def ok() -> None:
        return None

    response = TestClient(app).get("/ok", headers={"X-Correlation-ID": "corr-1"})
    assert response.headers["X-Correlation-ID"] == "corr-1"


def test_non_http_scopes_pass_through() -> None:
    calls: list[str] = []

    async def inner(scope, receive, send) -> None:
        calls.append(scope["type"])

    middleware = RequestIdMiddleware(inner)

    async def noop_receive():
        return {}

    async def noop_send(message) -> None:
        return None

    asyncio.run(middleware({"type": "lifespan"}, noop_receive, noop_send))
    assert calls == ["lifespan"]
    assert REQUEST_ID_HEADER == "X-Request-ID"
