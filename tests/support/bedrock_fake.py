"""A loopback HTTP server that answers ``converse_stream`` in the AWS event-stream wire format.

botocore parses its replies exactly as it parses Bedrock's, so the provider is
tested through the real client: request serialization, event-stream decoding,
modeled errors before the stream and exceptions inside it.
"""

from __future__ import annotations

import json
import struct
import threading
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator


def _header(name: str, value: str) -> bytes:
    encoded_name, encoded_value = name.encode(), value.encode()
    return bytes([len(encoded_name)]) + encoded_name + b"\x07" + struct.pack(">H", len(encoded_value)) + encoded_value


def event_message(headers: dict[str, str], payload: dict[str, Any]) -> bytes:
    """One event-stream message: prelude, prelude CRC, headers, payload, message CRC."""
    header_bytes = b"".join(_header(name, value) for name, value in headers.items())
    body = json.dumps(payload).encode()
    total = 12 + len(header_bytes) + len(body) + 4
    prelude = struct.pack(">II", total, len(header_bytes))
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + header_bytes + body
    return message + struct.pack(">I", zlib.crc32(message) & 0xFFFFFFFF)


def event(event_type: str, payload: dict[str, Any]) -> bytes:
    return event_message(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}, payload
    )


def stream_exception(exception_type: str, message: str) -> bytes:
    return event_message(
        {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"},
        {"message": message},
    )


def answer_events(*texts: str, stop: str = "end_turn", usage: dict[str, int] | None = None) -> list[bytes]:
    frames = [event("messageStart", {"role": "assistant"})]
    frames += [event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}}) for text in texts]
    frames += [event("contentBlockStop", {"contentBlockIndex": 0}), event("messageStop", {"stopReason": stop})]
    frames.append(
        event(
            "metadata",
            {"usage": usage or {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15}, "metrics": {"latencyMs": 42}},
        )
    )
    return frames


@dataclass
class FakeBedrock:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    # What the next call gets: ("stream", [frames]) or ("error", status, error type, message).
    reply: tuple[Any, ...] = ("stream", [])


@contextmanager
def fake_bedrock() -> Iterator[FakeBedrock]:
    state = FakeBedrock(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append({"path": self.path, "body": json.loads(self.rfile.read(length) or b"{}")})
            if state.reply[0] == "error":
                _, status, error_type, message = state.reply
                body = json.dumps({"message": message}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("x-amzn-ErrorType", error_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            body = b"".join(state.reply[1])
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.amazon.eventstream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
