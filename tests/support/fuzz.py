"""schemathesis against a service's own OpenAPI schema, in-process (ASGI), with every failure collected.

Each operation gets ``APIS_FUZZ_EXAMPLES`` generated requests (default
``DEFAULT_EXAMPLES``), half schema-conforming and half not. The run is
deterministic unless ``APIS_FUZZ_SEED`` names a seed (an integer, or
``random``), so CI sees the same requests every time; a longer run is

    APIS_FUZZ_EXAMPLES=200 APIS_FUZZ_SEED=random scripts/test app-api inference-api

A failure is a response that

- is a server error (5xx; the app's dependencies are moto and the local model,
  which work, so a 5xx is always a bug),
- has a status the operation does not document, or a content type or body that
  does not match the documented one (schemathesis' conformance checks),
- accepts a request that does not match the schema, or
- is an error whose body is not the envelope ``{"error": {"code", "message", "requestId"}}``
  (the storage-quota refusal's flat body is the one allowed exception).

Failures are deduplicated by operation, check and status and returned, not
raised, so one run lists all of them.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apis.shared.errors import ErrorCode

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fastapi import FastAPI

__all__ = ["DEFAULT_EXAMPLES", "FuzzFailure", "FuzzRun", "envelope_problem", "fuzz_app"]

DEFAULT_EXAMPLES = 12
DEFAULT_SEED = 11
EXAMPLES_ENV = "APIS_FUZZ_EXAMPLES"
SEED_ENV = "APIS_FUZZ_SEED"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
_CODES = {code.value for code in ErrorCode}


@dataclass(frozen=True)
class FuzzFailure:
    operation: str
    check: str
    status: int
    request: str
    response: str
    detail: str = ""

    def __str__(self) -> str:
        why = f"\n    {_shorten(self.detail)}" if self.detail else ""
        return f"{self.operation}: {self.check} (status {self.status}){why}\n    {self.request}\n    -> {self.response}"


@dataclass
class FuzzRun:
    seed: int
    operations: int
    requests: int
    seconds: float
    failures: list[FuzzFailure]

    def report(self) -> str:
        lines = [
            f"{len(self.failures)} failure(s) in {self.requests} requests to {self.operations} operations"
            f" in {self.seconds:.0f} s ({SEED_ENV}={self.seed})"
        ]
        return "\n".join([*lines, *(str(failure) for failure in self.failures)])


def envelope_problem(status: int, body: bytes) -> str | None:
    """Why an error response's body is not the platform's envelope (None when it is)."""
    if status < 400:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return "the body is not JSON"
    error = document.get("error") if isinstance(document, dict) else None
    if status == 403 and error == "QUOTA_EXCEEDED" and document.get("code") == ErrorCode.QUOTA_EXCEEDED:
        return None  # the storage-quota refusal the web client reads flat (README, Errors)
    if not isinstance(error, dict):
        return "no `error` object"
    if error.get("code") not in _CODES or not isinstance(error.get("message"), str) or not error.get("requestId"):
        return "the `error` object lacks a known code, a message or the request id"
    return None


def _settings() -> tuple[int, int]:
    examples = int(os.environ.get(EXAMPLES_ENV) or DEFAULT_EXAMPLES)
    seed = os.environ.get(SEED_ENV, "").strip()
    if seed == "random":
        return examples, random.SystemRandom().randrange(2**32)
    return examples, int(seed) if seed else DEFAULT_SEED


def _shorten(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _unavailable_by_design(response: Any, path: str, prefixes: tuple[str, ...]) -> bool:
    if response.status_code != 503 or not path.startswith(prefixes):
        return False
    return bool(response.json().get("error", {}).get("code") == ErrorCode.SERVICE_UNAVAILABLE)


def fuzz_app(
    app: FastAPI,
    headers: Mapping[str, str],
    *,
    known: Mapping[str, str] | None = None,
    unavailable: tuple[str, ...] = (),
) -> FuzzRun:
    """Fuzz every operation of ``app`` with ``headers`` (the caller's token) on every request.

    ``known`` maps path parameters to ids of resources that exist (an
    assistant, a session, a tier, ...): an operation with such parameters gets
    a third pass of schema-conforming requests with those ids, so it reaches
    past its "not found" into the code that changes the resource. DELETE is
    left out of that pass, so the resources stay for the operations after it.

    Operations under the path prefixes in ``unavailable`` answer 503 by design
    (a feature the platform does not offer): there a 503 envelope is no failure.
    """
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # The reports show the exact requests (session ids included); the caller's token is left out of them.
    schema.config.output.sanitization.update(enabled=False)
    examples, seed = _settings()
    found: dict[tuple[str, str, int], FuzzFailure] = {}
    started = time.monotonic()
    requests = operations = 0

    def record(label: str, check: str, response: Any, curl: str, detail: str = "") -> None:
        key = (label, check, response.status_code)
        if key not in found:
            found[key] = FuzzFailure(label, check, response.status_code, curl, _shorten(response.text), detail)

    def exerciser(label: str, path: str) -> Any:
        def exercise(case: schemathesis.Case) -> None:
            nonlocal requests
            requests += 1
            response = case.call(headers=dict(headers))
            curl = case.as_curl_command()
            checks = CHECKS
            if _unavailable_by_design(response, path, unavailable):
                checks = [check for check in CHECKS if check is not not_a_server_error]
            try:
                case.validate_response(response, checks=checks, headers=dict(headers))
            except FailureGroup as group:
                for failure in group.exceptions:
                    record(label, failure.title, response, curl, failure.message)
            problem = envelope_problem(response.status_code, response.content)
            if problem:
                record(label, f"error envelope: {problem}", response, curl)

        return exercise

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        definition = operation.definition.raw
        has_inputs = bool(definition.get("parameters")) or "requestBody" in definition
        # A request without inputs cannot break the schema: there is no negative case to make.
        strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
        if has_inputs:
            strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        names = {parameter.get("name") for parameter in definition.get("parameters", [])}
        fixed = {name: value for name, value in (known or {}).items() if name in names}
        if fixed and operation.method.upper() != "DELETE":
            strategies.append(operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=fixed))
        for strategy in strategies:
            test = hypothesis.given(case=strategy)(exerciser(operation.label, operation.path))
            test = settings(
                max_examples=max(1, examples // 2),
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                print_blob=False,
            )(test)
            test = hypothesis.seed(seed)(test)
            test()
    return FuzzRun(seed, operations, requests, time.monotonic() - started, sorted(found.values(), key=str))
