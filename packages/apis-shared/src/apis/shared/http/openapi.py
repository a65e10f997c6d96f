"""The error responses of every operation in an app's OpenAPI schema, with the envelope as their body.

FastAPI documents a route's success response and, for a route with inputs, a
422 whose body is its own ``HTTPValidationError``, a body this platform never
sends (``install_error_handlers`` answers validation failures with the
envelope). ``document_error_responses(app)`` makes the app's ``openapi()``
add, to the schema FastAPI builds, every error status an operation can answer
with, each with the ``ErrorBody`` schema (``{"error": ErrorDetail}``):

======================================================  ==========================
operation                                               statuses
======================================================  ==========================
every operation                                         500
any but a public one without inputs (``/health``)       503, 504 (a dependency)
authenticated (it declares a security requirement)      401, 403
with parameters or a body                               400, 404, 409, 422
public, with a body (a credential in it may be refused) 401
with a body                                             413, 429, 502 (a model)
======================================================  ==========================

A response the route declares itself (FastAPI's ``responses=``) is kept as it
is when it has a body schema; one declared without content gets the envelope.
The 422 always gets the envelope, and FastAPI's ``HTTPValidationError`` and
``ValidationError`` schemas are dropped when nothing else refers to them.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from apis.shared.errors.responses import ErrorDetail

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["ERROR_BODY_SCHEMA", "ErrorBody", "add_error_responses", "document_error_responses", "error_statuses"]

ERROR_BODY_SCHEMA = "ErrorBody"
_REF_PREFIX = "#/components/schemas/"
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

_DESCRIPTIONS: dict[int, str] = {
    400: "Bad request: the input breaks a rule the schema does not express",
    401: "Not authenticated: no token, or one that fails validation",
    403: "Forbidden: the caller may not do this",
    404: "Not found, or not visible to the caller",
    409: "Conflict with the current state of the resource",
    413: "The request body is too large",
    422: "Validation error: the request does not match this schema",
    429: "Too many requests, or the caller's quota is used up",
    500: "Unexpected error (its text is shown in development only)",
    502: "The model provider failed to answer",
    503: "A dependency (AWS, the identity provider) is unavailable",
    504: "A dependency did not answer in time",
}


class ErrorBody(BaseModel):
    """The body of every error response: ``{"error": {"code", "message", ...}}``."""

    error: ErrorDetail


def error_statuses(operation: dict[str, Any]) -> list[int]:
    """The error statuses an OpenAPI operation object can answer with, under the rules of this module."""
    secured = bool(operation.get("security"))
    has_body = "requestBody" in operation
    has_inputs = has_body or bool(operation.get("parameters"))
    statuses = {500}
    if secured or has_inputs:
        statuses |= {503, 504}
    if secured:
        statuses |= {401, 403}
    if has_inputs:
        statuses |= {400, 404, 409, 422}
    if has_body:
        statuses |= {413, 429, 502}
        if not secured:
            statuses.add(401)
    return sorted(statuses)


def _envelope_response(status: int) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS.get(status) or HTTPStatus(status).phrase,
        "content": {"application/json": {"schema": {"$ref": f"{_REF_PREFIX}{ERROR_BODY_SCHEMA}"}}},
    }


def _refers_to(node: Any, reference: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == reference or any(_refers_to(value, reference) for value in node.values())
    if isinstance(node, list):
        return any(_refers_to(value, reference) for value in node)
    return False


def _error_body_schemas() -> dict[str, Any]:
    """``ErrorBody`` and ``ErrorDetail`` (and the ``ErrorCode`` enum) as components, as they are serialised."""
    generated = ErrorBody.model_json_schema(by_alias=True, mode="serialization", ref_template=_REF_PREFIX + "{model}")
    definitions: dict[str, Any] = generated.pop("$defs", {})
    return {**definitions, ERROR_BODY_SCHEMA: generated}


def add_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error responses to an OpenAPI document in place (idempotent) and return it."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in _error_body_schemas().items():
        components.setdefault(name, definition)
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(operation):
                declared = responses.get(str(status))
                if status == HTTPStatus.UNPROCESSABLE_ENTITY or declared is None or "content" not in declared:
                    responses[str(status)] = _envelope_response(status)
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        if name in components and not _refers_to(schema, _REF_PREFIX + name):
            del components[name]
    return schema


def document_error_responses(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and ``/openapi.json``) document every operation's error responses.

    Call once while building the app; routes may be included before or after.
    """
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        # FastAPI builds the document once and caches it on the app; adding is idempotent.
        return add_error_responses(build_schema())

    app.openapi = openapi  # type: ignore[method-assign]
