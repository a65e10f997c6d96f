"""``/costs``: the signed-in user's month and day-range report, exact, and only ever their own."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from apis.app_api.costs.models import UserCostSummary
from apis.app_api.dependencies import get_container
from tests.app_api.conftest import person
from tests.support.cost_records import ADA, BOB, HAIKU, SONNET, cost_record, record_october
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault_response, inject_fault

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ADA_TOKEN = person(ADA, "ada@example.edu", "Faculty")
BOB_TOKEN = person(BOB, "bob@other.org", "Student")


@pytest.fixture
def october(app: Any) -> None:
    record_october(app.state.container.costs)


def model(pricing: Any, *, cost: float, requests: int, inputs: int, outputs: int, reads: int = 0) -> dict[str, Any]:
    return {
        "modelId": pricing.model_id,
        "modelName": pricing.model_name,
        "provider": "bedrock",
        "totalInputTokens": inputs,
        "totalOutputTokens": outputs,
        "totalCacheReadTokens": reads,
        "totalCacheWriteTokens": 0,
        "costBreakdown": {"totalCost": cost},
        "requestCount": requests,
    }


@pytest.mark.usefixtures("october")
def test_a_months_summary_is_exact(client: TestClient) -> None:
    response = client.get("/costs/summary", params={"period": "2025-10"}, headers=ADA_TOKEN)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "userId": ADA,
        "periodStart": "2025-10-01T00:00:00Z",
        "periodEnd": "2025-10-31T23:59:59Z",
        "totalCost": 0.0251,
        "totalRequests": 3,
        "totalInputTokens": 4000,
        "totalOutputTokens": 1400,
        "totalCacheReadTokens": 1000,
        "totalCacheWriteTokens": 0,
        "totalCacheSavings": 0.0009,
        "models": [
            model(SONNET, cost=0.021, requests=1, inputs=2000, outputs=1000),
            model(HAIKU, cost=0.0041, requests=2, inputs=2000, outputs=400, reads=1000),
        ],
    }


@pytest.mark.usefixtures("october")
def test_each_user_sees_only_their_own_costs(client: TestClient) -> None:
    bob = client.get("/costs/summary", params={"period": "2025-10"}, headers=BOB_TOKEN).json()
    assert (bob["userId"], bob["totalCost"], bob["totalRequests"]) == (BOB, 0.06, 1)
    assert [m["modelId"] for m in bob["models"]] == [SONNET.model_id]
    report = client.get("/costs/detailed-report", params={"start_date": "2025-10-01", "end_date": "2025-10-31"},
                        headers=BOB_TOKEN).json()  # fmt: skip
    assert (report["userId"], report["totalCost"], report["totalRequests"]) == (BOB, 0.06, 1)


def test_the_default_period_is_this_utc_month(client: TestClient, app: Any) -> None:
    now = datetime.now(tz=UTC)
    app.state.container.costs.record(cost_record(ADA, 9, now.isoformat(), HAIKU, input_tokens=1000, output_tokens=200))
    body = client.get("/costs/summary", headers=ADA_TOKEN).json()
    assert body["periodStart"] == f"{now:%Y-%m}-01T00:00:00Z"
    assert (body["totalCost"], body["totalRequests"], [m["modelId"] for m in body["models"]]) == (
        0.002, 1, [HAIKU.model_id])  # fmt: skip


def test_a_month_without_use_is_empty(client: TestClient) -> None:
    body = client.get("/costs/summary", params={"period": "2024-02"}, headers=ADA_TOKEN).json()
    assert body == {
        "userId": ADA, "periodStart": "2024-02-01T00:00:00Z", "periodEnd": "2024-02-29T23:59:59Z", "totalCost": 0.0,
        "totalRequests": 0, "totalInputTokens": 0, "totalOutputTokens": 0, "totalCacheReadTokens": 0,
        "totalCacheWriteTokens": 0, "totalCacheSavings": 0.0, "models": [],
    }  # fmt: skip


@pytest.mark.usefixtures("october")
def test_the_detailed_report_covers_whole_utc_days(client: TestClient) -> None:
    def report(start: str, end: str) -> dict[str, Any]:
        response = client.get("/costs/detailed-report", params={"start_date": start, "end_date": end},
                              headers=ADA_TOKEN)  # fmt: skip
        assert response.status_code == 200, response.text
        return dict(response.json())

    tail = report("2025-10-15", "2025-10-31")  # 12:00 on the 15th and 23:59:59 on the 31st
    assert tail == {
        "userId": ADA,
        "periodStart": "2025-10-15T00:00:00Z",
        "periodEnd": "2025-10-31T23:59:59Z",
        "totalCost": 0.0231,
        "totalRequests": 2,
        "totalInputTokens": 3000,
        "totalOutputTokens": 1200,
        "totalCacheReadTokens": 1000,
        "totalCacheWriteTokens": 0,
        "totalCacheSavings": 0.0009,
        "models": [
            model(SONNET, cost=0.021, requests=1, inputs=2000, outputs=1000),
            model(HAIKU, cost=0.0021, requests=1, inputs=1000, outputs=200, reads=1000),
        ],
    }
    first_day = report("2025-10-01", "2025-10-01")
    assert (first_day["totalCost"], first_day["totalRequests"]) == (0.002, 1)
    across = report("2025-10-01", "2025-11-01")
    assert (across["totalCost"], across["totalRequests"]) == (0.0271, 4)
    assert report("2025-09-01", "2025-09-30")["models"] == []


def test_a_model_is_named_as_the_month_summary_names_it(client: TestClient, app: Any) -> None:
    """Records of one model add up by the library's rules: a record without the model's name takes another's."""
    costs = app.state.container.costs
    costs.record(cost_record(ADA, 0, "2025-10-01T00:00:00Z", HAIKU.model_copy(update={"model_name": ""}),
                             input_tokens=1000, output_tokens=200))  # fmt: skip
    costs.record(cost_record(ADA, 1, "2025-10-02T00:00:00Z", HAIKU, input_tokens=1000, output_tokens=200))
    response = client.get("/costs/detailed-report", params={"start_date": "2025-10-01", "end_date": "2025-10-31"},
                          headers=ADA_TOKEN)  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["models"] == [model(HAIKU, cost=0.004, requests=2, inputs=2000, outputs=400)]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"period": "demo"}, 422, "validation_error"),
        ({"period": "2025-13"}, 422, "validation_error"),
    ],
)
def test_a_bad_period_is_refused(client: TestClient, params: dict[str, str], status: int, code: str) -> None:
    response = client.get("/costs/summary", params=params, headers=ADA_TOKEN)
    assert response.status_code == status and response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-01-01", "2025-04-02", "Date range cannot exceed 90 days"),
        ("2025-10-31", "2025-10-01", "Start date must be before end date"),
        ("2025-10-1", "2025-10-31", "Invalid date format. Use YYYY-MM-DD"),
        ("2025-02-30", "2025-03-01", "Invalid date format. Use YYYY-MM-DD"),
    ],
)
def test_a_bad_range_is_a_400(client: TestClient, start: str, end: str, message: str) -> None:
    response = client.get("/costs/detailed-report", params={"start_date": start, "end_date": end}, headers=ADA_TOKEN)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("bad_request", message)


def test_ninety_days_is_allowed(client: TestClient) -> None:
    response = client.get("/costs/detailed-report", params={"start_date": "2025-01-01", "end_date": "2025-04-01"},
                          headers=ADA_TOKEN)  # fmt: skip
    assert response.status_code == 200 and response.json()["totalRequests"] == 0


def test_costs_need_a_signed_in_user(client: TestClient) -> None:
    for path in ("/costs/summary", "/costs/detailed-report?start_date=2025-10-01&end_date=2025-10-02"):
        response = client.get(path)
        assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_storage_failures_are_5xx_never_zeros(client: TestClient, dynamodb: Any, fault: Fault) -> None:
    for path, params in (
        ("/costs/summary", {"period": "2025-10"}),
        ("/costs/detailed-report", {"start_date": "2025-10-01", "end_date": "2025-10-31"}),
    ):
        with inject_fault(dynamodb, "Query", fault) as failed:
            response = client.get(path, params=params, headers=ADA_TOKEN)
        assert failed, path
        assert_fault_response(response, fault)


def test_the_routes_take_the_apps_container(client: TestClient, app: Any) -> None:
    """``/costs`` gets its service through ``ContainerDep``, like every other router (one place, overridable)."""

    class Reports:
        def summary(self, user_id: str, period: str | None) -> UserCostSummary:
            return UserCostSummary(user_id=user_id, period_start="a", period_end="b", total_cost=7, models=[],
                                   total_requests=1, total_input_tokens=0, total_output_tokens=0,
                                   total_cache_read_tokens=0, total_cache_write_tokens=0,
                                   total_cache_savings=0)  # fmt: skip

    container = dataclasses.replace(app.state.container, cost_reports=Reports())
    app.dependency_overrides[get_container] = lambda: container
    body = client.get("/costs/summary", headers=ADA_TOKEN).json()
    assert (body["userId"], body["totalCost"], body["periodStart"]) == (ADA, 7, "a")


@pytest.mark.parametrize(
    "first", ["apis.app_api.costs", "apis.app_api.costs.routes", "apis.app_api.container", "apis.app_api.dependencies"]
)
def test_the_costs_package_imports_in_any_order(first: str) -> None:
    """The container imports the cost services and the routes import the container: no cycle either way."""
    result = subprocess.run(
        [sys.executable, "-c", f"import {first}; import apis.app_api.main"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
