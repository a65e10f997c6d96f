from __future__ import annotations

import io
import json
import logging

import pytest

from apis.shared.observability import (
    JsonLogFormatter,
    RequestIdLogFilter,
    bind_request_id,
    configure_logging,
    get_request_id,
    reset_request_id,
)


@pytest.fixture
def restore_root_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_request_id_binding_nests_and_resets() -> None:
    assert get_request_id() is None
    outer = bind_request_id("outer")
    inner = bind_request_id("inner")
    assert get_request_id() == "inner"
    reset_request_id(inner)
    assert get_request_id() == "outer"
    reset_request_id(outer)
    assert get_request_id() is None


def test_json_lines_carry_request_id_service_extras_and_exceptions(restore_root_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(service="app-api", level="info", json_format=True, stream=stream)
    log = logging.getLogger("apis.test")
    token = bind_request_id("req-7")
    try:
        log.info("stored %s", "session", extra={"session_id": "s-1"})
        try:
            raise ValueError("bad")
        except ValueError:
            log.exception("failed")
    finally:
        reset_request_id(token)
    log.warning("outside")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["message"] == "stored session"
    assert lines[0]["request_id"] == "req-7"
    assert lines[0]["service"] == "app-api"
    assert lines[0]["session_id"] == "s-1"
    assert lines[0]["level"] == "INFO"
    assert "ValueError: bad" in lines[1]["exception"]
    assert lines[2]["request_id"] == "-"


def test_text_format_and_uvicorn_loggers_propagate(restore_root_logging: None) -> None:
    stream = io.StringIO()
    uvicorn_logger = logging.getLogger("uvicorn.error")
    uvicorn_logger.addHandler(logging.NullHandler())
    configure_logging(service="inference-api", level="DEBUG", json_format=False, stream=stream)
    uvicorn_logger.info("server started")
    assert uvicorn_logger.handlers == []
    assert "INFO uvicorn.error [-] server started" in stream.getvalue()


def test_formatter_without_filter_still_names_the_request() -> None:
    record = logging.makeLogRecord({"msg": "m", "levelname": "INFO", "name": "x"})
    token = bind_request_id("r-9")
    try:
        entry = json.loads(JsonLogFormatter().format(record))
    finally:
        reset_request_id(token)
    assert entry["request_id"] == "r-9"
    assert "service" not in entry
    assert RequestIdLogFilter().filter(record) is True


def test_wire_loggers_never_log_below_info(restore_root_logging: None) -> None:
    # At DEBUG botocore prints whole DynamoDB items (login states with their PKCE
    # verifiers) and httpx2 whole token responses: a DEBUG service must not.
    wire = [logging.getLogger(name) for name in ("botocore.endpoint", "botocore.parsers", "httpcore2", "httpx2")]
    levels = {name: logging.getLogger(name).level for name in ("botocore", "httpcore2", "httpx2")}
    stream = io.StringIO()
    try:
        configure_logging(service="app-api", level="DEBUG", json_format=False, stream=stream)
        for wire_logger in wire:
            wire_logger.debug("body with codeVerifier=the-verifier")
            wire_logger.info("%s: request sent", wire_logger.name)
        logging.getLogger("apis.app_api.auth").debug("sign-in started")
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    text = stream.getvalue()
    assert "the-verifier" not in text
    assert [line.split(" ", 2)[2] for line in text.splitlines()] == [
        "INFO botocore.endpoint [-] botocore.endpoint: request sent",
        "INFO botocore.parsers [-] botocore.parsers: request sent",
        "INFO httpcore2 [-] httpcore2: request sent",
        "INFO httpx2 [-] httpx2: request sent",
        "DEBUG apis.app_api.auth [-] sign-in started",
    ]
