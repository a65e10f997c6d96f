"""The embedded AWS endpoint stops under the running dev stack: every endpoint answers a 5xx envelope within 5 s.

Then the endpoint comes back (started and seeded again, as after a restart of
the real services' dependencies) and the services answer again without being
restarted: nothing about the failure is cached. The requests are made from
both services' own OpenAPI schemas, schema-conforming (schemathesis' positive
data) with plausible ids in the paths, as the caller the schemas describe (an
admin's token of the local issuer).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode

from devtools.proc import http_ok

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.sandbox import Sandbox

ANSWER_WITHIN_SECONDS = 5.0
DEV_MODELS = ["us.anthropic.claude-haiku-4-5-20251001-v1:0", "us.amazon.nova-micro-v1:0"]
RECOVER_WITHIN_SECONDS = 10.0
CASES_PER_OPERATION = 3
SESSION_ID = str(uuid.uuid4())
PATH_IDS = {
    "session_id": SESSION_ID,
    "assistant_id": "ast-0123456789ab",
    "document_id": "DOC-0123456789ab",
    "upload_id": "19a3f0c2b7e_0123456789abcdef",
    "model_uuid": uuid.uuid4().hex,
    "role_id": "default",
    "user_id": "100000001",
    "tier_id": "tier_basic",
    "assignment_id": uuid.uuid4().hex,
    "override_id": uuid.uuid4().hex,
    "record_id": "memory-1",
}
# Operations that need no AWS call, each with why: they answer as usual during the outage.
AWS_FREE = {
    ("app-api", "GET /health"): "the load balancer's liveness check reads nothing",
    ("inference-api", "GET /ping"): "AgentCore's liveness check reads nothing",
    ("app-api", "GET /tools/"): "no tools run on this platform: a constant empty list",
    ("app-api", "GET /tools/catalog"): "the same constant empty catalogue",
    ("app-api", "GET /memory/status"): "memory is not offered: a constant `available: false`",
    ("app-api", "GET /memory"): "memory is not offered: a constant empty list",
    ("app-api", "PUT /tools/preferences"): "no tools run on this platform: checked against the empty catalogue",
    ("app-api", "GET /admin/roles/cache/stats"): "in-process counters; the caller's roles come from the warm cache",
    ("app-api", "GET /auth/logout"): "the provider's end-session URL, built from its cached discovery document",
    ("app-api", "POST /auth/refresh"): "the identity provider refuses the refresh token; DynamoDB is not asked",
}
# Inputs the schema cannot express (an email, a date, a known tier, an allowed file type): without
# them the request is refused before anything asks AWS.
VALID_INPUTS: dict[tuple[str, str], dict[str, Any]] = {
    ("app-api", "POST /assistants/{assistant_id}/shares"): {"body": {"emails": ["bob@example.edu"]}},
    ("app-api", "DELETE /assistants/{assistant_id}/shares"): {"body": {"emails": ["bob@example.edu"]}},
    ("app-api", "GET /admin/costs/trends"): {"query": {"startDate": "2026-11-01", "endDate": "2026-11-27"}},
    ("app-api", "GET /costs/detailed-report"): {"query": {"start_date": "2026-11-01", "end_date": "2026-11-27"}},
    ("app-api", "POST /admin/quota/assignments"): {"body": {"tierId": "tier_basic", "assignmentType": "default_tier"}},
    ("app-api", "POST /admin/quota/tiers"): {"body": {"tierId": "tier_x", "tierName": "X", "monthlyCostLimit": 5}},
    ("app-api", "POST /admin/quota/overrides"): {
        "body": {
            "userId": "100000001",
            "overrideType": "unlimited",
            "validFrom": "2026-01-01T00:00:00Z",
            "validUntil": "2099-01-01T00:00:00Z",
            "reason": "outage",
        }
    },
    ("app-api", "POST /files/presign"): {
        "body": {"sessionId": SESSION_ID, "filename": "notes.txt", "mimeType": "text/plain", "sizeBytes": 10}
    },
}


@dataclass(frozen=True)
class Answer:
    service: str
    operation: str
    request: str
    status: int
    seconds: float
    body: str

    def envelope_code(self) -> str | None:
        try:
            error = json.loads(self.body).get("error")
        except ValueError:
            return None
        code = error.get("code") if isinstance(error, dict) else None
        return code if isinstance(code, str) and error.get("requestId") else None

    def __str__(self) -> str:
        return f"{self.service} {self.request} -> {self.status} in {self.seconds:.1f} s: {self.body[:300]}"


def collecting_into(drawn: list[schemathesis.Case]) -> Callable[[schemathesis.Case], None]:
    def collect(case: schemathesis.Case) -> None:
        drawn.append(case)

    return collect


def cases_of(service: str, base_url: str) -> list[tuple[str, str, schemathesis.Case]]:
    """A few schema-conforming requests per operation of the service's own schema, ids in the paths plausible."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    collected: list[tuple[str, str, schemathesis.Case]] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {parameter.get("name") for parameter in operation.definition.raw.get("parameters", [])}
        fixed = {name: value for name, value in PATH_IDS.items() if name in names}
        inputs = VALID_INPUTS.get((service, operation.label), {})
        strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=fixed, **inputs)
        drawn: list[schemathesis.Case] = []
        draw = hypothesis.given(case=strategy)(collecting_into(drawn))
        draw = settings(max_examples=CASES_PER_OPERATION, database=None, deadline=None, phases=[Phase.generate],
                        suppress_health_check=list(HealthCheck))(draw)  # fmt: skip
        hypothesis.seed(11)(draw)()
        collected += [(service, operation.label, case) for case in drawn]
    return collected


def send(service: str, label: str, case: schemathesis.Case, base_url: str, token: str) -> Answer:
    headers = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    response = case.call(base_url=base_url, headers=headers, timeout=3 * ANSWER_WITHIN_SECONDS)
    took = time.monotonic() - started
    request = f"{case.method} {case.formatted_path}"
    return Answer(service, label, request, response.status_code, took, response.text)


def send_all(cases: list[tuple[str, str, schemathesis.Case]], bases: dict[str, str], token: str) -> list[Answer]:
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(send, service, label, case, bases[service], token) for service, label, case in cases]
        return [future.result() for future in futures]


def problems_during_the_outage(answers: list[Answer]) -> list[str]:
    found = []
    by_operation: dict[tuple[str, str], list[Answer]] = {}
    for answer in answers:
        by_operation.setdefault((answer.service, answer.operation), []).append(answer)
        if answer.seconds > ANSWER_WITHIN_SECONDS:
            found.append(f"too slow: {answer}")
        if answer.status >= 500 and answer.envelope_code() is None:
            found.append(f"a 5xx without the envelope: {answer}")
    for (service, operation), group in sorted(by_operation.items()):
        if (service, operation) in AWS_FREE:
            found += [f"AWS-free, yet {answer}" for answer in group if answer.status >= 500]
            continue
        if any(200 <= answer.status < 300 for answer in group):
            found.append(f"{service} {operation} answered 2xx while AWS was down: {group[0]}")
        if not any(answer.status >= 500 and answer.envelope_code() for answer in group):
            found.append(f"{service} {operation} never answered a 5xx envelope: " + "; ".join(map(str, group)))
    return found


def call_json(url: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=2 * ANSWER_WITHIN_SECONDS) as response:
            text = response.read().decode()
            is_json = response.headers.get_content_type() == "application/json"
            return response.status, json.loads(text) if is_json else text
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def wait_for_recovery(app: str, token: str) -> float:
    started = time.monotonic()
    while True:
        status, body = call_json(f"{app}/models", token)
        if status == 200:
            assert [model["modelId"] for model in body["models"]] == DEV_MODELS
            return time.monotonic() - started
        assert time.monotonic() - started < RECOVER_WITHIN_SECONDS, f"GET /models still {status}: {body}"
        time.sleep(0.2)


def test_every_endpoint_answers_a_5xx_envelope_while_aws_is_down_and_all_recover(sandbox: Sandbox) -> None:
    started = sandbox.script("dev", "up", "--detach")
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        app = f"http://127.0.0.1:{sandbox.app_api_port}"
        inference = f"http://127.0.0.1:{sandbox.inference_api_port}"
        bases = {"app-api": app, "inference-api": inference}
        admin = sandbox.script("dev", "token", "--admin", check=True).stdout.strip()
        user = sandbox.script("dev", "token", check=True).stdout.strip()
        cases = cases_of("app-api", app) + cases_of("inference-api", inference)
        assert len({(service, label) for service, label, _ in cases}) >= 85
        # Warm caches (roles, permissions, the model catalogue) the way traffic does before an outage.
        assert call_json(f"{app}/models", admin)[0] == 200

        stopped = sandbox.script("aws", "stop")
        assert (stopped.returncode, stopped.stdout) == (0, "aws: stopped\n"), stopped.stderr
        answers = send_all(cases, bases, admin)
        problems = problems_during_the_outage(answers)
        assert problems == [], "\n".join(problems)
        assert http_ok(f"http://127.0.0.1:{sandbox.worker_port}/health"), "the ingestion worker died in the outage"

        assert sandbox.script("aws", "start").returncode == 0
        assert sandbox.script("aws", "seed").returncode == 0
        recovered_in = wait_for_recovery(app, admin)
        assert recovered_in < RECOVER_WITHIN_SECONDS
        status, sessions = call_json(f"{app}/sessions", user)
        assert (status, sessions["sessions"]) == (200, [])
        body = {"message": "Hello again", "session_id": SESSION_ID, "model_id": None, "enabled_tools": []}
        status, stream = call_json(f"{inference}/invocations?qualifier=DEFAULT", user, body)
        assert status == 200, stream
        events = [line.removeprefix("event: ") for line in stream.splitlines() if line.startswith("event: ")]
        assert events[-1] == "done" and "stream_error" not in events, events
        assert http_ok(f"http://127.0.0.1:{sandbox.worker_port}/health")
    finally:
        stopped = sandbox.script("dev", "down")
    assert stopped.returncode == 0
