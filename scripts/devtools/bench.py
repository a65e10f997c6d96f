"""Print figures of the running dev stack (`scripts/dev up --detach` first).

    scripts/bench [--turns N] [--documents N]

- chat: time to the first text frame and to ``done`` of ``POST /invocations``,
  turn after turn in one session, so the cost of a growing history shows;
- ingestion: from the browser's S3 PUT of a document to its ``complete`` status
  (S3 event, SQS, the worker, the knowledge base).

The figures are of the local stack (moto, the local model), for comparing
changes, not for production capacity.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.request
import uuid
from typing import Any

from devtools.config import SERVICES, load_config
from devtools.dev import service_port
from devtools.errors import CommandError
from devtools.issuer import issue_token
from devtools.proc import http_ok

__all__ = ["main"]

MODEL_ID = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


class Stack:
    def __init__(self, token: str) -> None:
        self.app = f"http://127.0.0.1:{service_port(SERVICES['app-api'])}"
        self.inference = f"http://127.0.0.1:{service_port(SERVICES['inference-api'])}"
        self.token = token

    def open(self, method: str, url: str, body: Any = None, *, raw: bytes | None = None,
             content_type: str = "application/json", auth: bool = True) -> Any:  # fmt: skip
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {"Content-Type": content_type}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        return urllib.request.urlopen(request, timeout=60)

    def json(self, method: str, url: str, body: Any = None) -> Any:
        with self.open(method, url, body) as response:
            return json.load(response)


def chat_turn(stack: Stack, session: str, message: str) -> tuple[float, float]:
    """Milliseconds to the first text frame and to the end of the stream."""
    started = time.perf_counter()
    first: float | None = None
    body = {"message": message, "session_id": session, "model_id": MODEL_ID, "provider": "bedrock"}
    with stack.open("POST", f"{stack.inference}/invocations?qualifier=DEFAULT", body) as response:
        for line in response:
            if first is None and line.startswith(b"event: content_block_delta"):
                first = time.perf_counter()
    ended = time.perf_counter()
    return ((first or ended) - started) * 1000, (ended - started) * 1000


def ingestion(stack: Stack, assistant_id: str, data: bytes, index: int) -> float:
    documents = f"{stack.app}/assistants/{assistant_id}/documents"
    request = {"filename": f"bench-{index}.txt", "contentType": "text/plain", "sizeBytes": len(data)}
    upload = stack.json("POST", f"{documents}/upload-url", request)
    started = time.perf_counter()
    stack.open("PUT", upload["uploadUrl"], raw=data, content_type="text/plain", auth=False).close()
    deadline = started + 60
    while (status := stack.json("GET", f"{documents}/{upload['documentId']}")["status"]) != "complete":
        if status == "failed" or time.perf_counter() > deadline:
            raise CommandError(f"document {upload['documentId']} ended {status}")
        time.sleep(0.02)
    return (time.perf_counter() - started) * 1000


def _summary(values: list[float]) -> str:
    return f"p50 {statistics.median(values):.0f} ms, max {max(values):.0f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20, help="chat turns in one session (default 20)")
    parser.add_argument("--documents", type=int, default=5, help="documents to ingest (default 5)")
    args = parser.parse_args(argv)
    config = load_config()
    stack = Stack(issue_token(config))
    if not (http_ok(f"{stack.app}/health") and http_ok(f"{stack.inference}/ping")):
        raise CommandError("the dev stack is not running: start it with `scripts/dev up --detach`")
    session = str(uuid.uuid4())
    turns = [chat_turn(stack, session, f"Question {n}: why are there tides?") for n in range(args.turns)]
    first, whole = [t[0] for t in turns], [t[1] for t in turns]
    print(f"chat, {args.turns} turns of one session (local model, moto)")
    print(f"  first text frame   {_summary(first)}")
    print(f"  whole turn         {_summary(whole)}")
    print(f"  turn 1 / turn {args.turns}      {whole[0]:.0f} ms / {whole[-1]:.0f} ms  (history grows)")
    assistant = stack.json("POST", f"{stack.app}/assistants", {"name": "bench"})
    data = ("Tides are caused by the pull of the moon and the sun. " * 200).encode()
    times = [ingestion(stack, assistant["assistantId"], data, n) for n in range(args.documents)]
    print(f"document ingestion, {len(data) // 1024} KiB text, browser PUT to complete ({args.documents} documents)")
    print(f"  {_summary(times)}")
    stack.open("DELETE", f"{stack.app}/assistants/{assistant['assistantId']}").close()
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
