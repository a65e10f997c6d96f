"""Make one AWS call fail the way AWS fails, to check each failure's typed error.

``inject_fault(client, "PutItem", "throttling")`` hooks botocore's
``before-call`` event, so the failure comes out of the real client call, after
parameter validation, exactly where a repository catches it.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, ReadTimeoutError

from apis.shared.aws import DependencyAccessDeniedError, DependencyThrottledError
from apis.shared.errors import ApisError, DependencyTimeoutError, DependencyUnavailableError

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclass(frozen=True)
class Fault:
    name: str
    error: type[ApisError]
    status: int
    code: str

    def exception(self, operation: str) -> Exception:
        if self.name == "timeout":
            return ReadTimeoutError(endpoint_url="https://aws.example.invalid/")
        aws_code, http_status = {
            "throttling": ("ProvisionedThroughputExceededException", 400),
            "internal": ("InternalServerError", 500),
            "access_denied": ("AccessDeniedException", 400),
        }[self.name]
        response: Any = {
            "Error": {"Code": aws_code, "Message": f"injected {self.name}"},
            "ResponseMetadata": {"HTTPStatusCode": http_status},
        }
        return ClientError(response, operation)


FAULTS = [
    Fault("throttling", DependencyThrottledError, 503, "service_unavailable"),
    Fault("internal", DependencyUnavailableError, 503, "service_unavailable"),
    Fault("access_denied", DependencyAccessDeniedError, 503, "service_unavailable"),
    Fault("timeout", DependencyTimeoutError, 504, "timeout"),
]
FAULT_IDS = [fault.name for fault in FAULTS]


@contextmanager
def inject_fault(client: Any, operation: str, fault: Fault, *, table: str | None = None) -> Iterator[list[str]]:
    """Fail every ``operation`` call of ``client`` with ``fault`` (only on ``table``, when given).

    Yields the list of calls it failed.
    """
    service = client.meta.service_model.service_name
    failed: list[str] = []

    def fail(params: dict[str, Any] | None = None, **_: Any) -> None:
        if table is not None and _table_of(params) != table:
            return
        failed.append(operation)
        raise fault.exception(operation)

    event = f"before-call.{service}.{operation}"
    client.meta.events.register(event, fail)
    try:
        yield failed
    finally:
        client.meta.events.unregister(event, fail)


def _table_of(request: dict[str, Any] | None) -> str | None:
    """The table a serialized DynamoDB request (JSON protocol) addresses."""
    body = (request or {}).get("body") or b"{}"
    value = json.loads(body).get("TableName")
    return str(value) if value is not None else None


def assert_fault(raised: BaseException, fault: Fault) -> None:
    assert isinstance(raised, fault.error), f"{type(raised).__name__} is not {fault.error.__name__}"
    assert raised.status_code == fault.status
    assert raised.code.value == fault.code
    assert raised.__cause__ is not None, "the botocore error must stay attached as the cause"


FAULT_MESSAGES = {
    "throttling": "A required service is busy; try again shortly",
    "internal": "A required service is unavailable",
    "access_denied": "A required service is unavailable",
    "timeout": "A required service timed out",
}


def assert_fault_response(response: Any, fault: Fault) -> None:
    """A service's whole answer to ``fault`` outside development: status, envelope (no detail), Retry-After."""
    assert response.status_code == fault.status, response.text
    assert response.json() == {
        "error": {"code": fault.code, "message": FAULT_MESSAGES[fault.name],
                  "requestId": response.headers["X-Request-ID"]},
    }  # fmt: skip
    assert response.headers.get("Retry-After") == ("1" if fault.name == "throttling" else None)
