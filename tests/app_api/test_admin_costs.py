"""``/admin/costs``: the month's costs by user, model, tier and day, exact; admin-only; bare arrays; CSV export."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.auth import User
from apis.shared.aws import to_item
from apis.shared.quota import (
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaOverrideCreate,
    QuotaOverrideType,
    QuotaTierCreate,
)
from apis.shared.users import UserSyncService
from tests.app_api.conftest import person
from tests.support.calls import STAMP_READ, counted_calls
from tests.support.cost_records import ADA, BOB, CY, DAN, HAIKU, SONNET, cost_record, record_october
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault_response, inject_fault

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ADMIN = person("900000001", "admin@example.edu", "Admin")
USER = person(ADA, "ada@example.edu", "Faculty")
ROUTES = ["dashboard", "top-users", "system-summary", "by-model", "by-tier",
          "trends?startDate=2025-10-01&endDate=2025-10-31", "export?format=csv"]  # fmt: skip


@pytest.fixture
def october(app: Any) -> None:
    """October 2025 (see tests.support.cost_records), with who the users are and their tiers.

    ada: Basic ($0.10, warned from 20%); bob: Pro ($0.05, direct); cy: no profile,
    so the default tier (Basic); dan: an unlimited override.
    """
    container = app.state.container
    sync = UserSyncService(container.users)
    sync.sync_from_user(User(ADA, "ada@example.edu", "Ada", ("Faculty",)))
    sync.sync_from_user(User(BOB, "bob@other.org", "Bob", ("Student",)))
    sync.sync_from_user(User(DAN, "dan@example.edu", "Dan", ("Staff",)))
    quotas = container.quotas
    quotas.create_tier(QuotaTierCreate(tier_id="tier_basic", tier_name="Basic", monthly_cost_limit=Decimal("0.10"),
                                       soft_limit_percentage=Decimal(20)), created_by="test")  # fmt: skip
    quotas.create_tier(QuotaTierCreate(tier_id="tier_pro", tier_name="Pro", monthly_cost_limit=Decimal("0.05")),
                       created_by="test")  # fmt: skip
    quotas.create_assignment(QuotaAssignmentCreate(tier_id="tier_basic",
                                                   assignment_type=QuotaAssignmentType.DEFAULT_TIER),
                             created_by="test")  # fmt: skip
    quotas.create_assignment(QuotaAssignmentCreate(tier_id="tier_pro", assignment_type=QuotaAssignmentType.DIRECT_USER,
                                                   user_id=BOB), created_by="test")  # fmt: skip
    now = datetime.now(tz=UTC)
    quotas.create_override(QuotaOverrideCreate(user_id=DAN, override_type=QuotaOverrideType.UNLIMITED,
                                               valid_from=(now - timedelta(days=1)).isoformat(),
                                               valid_until=(now + timedelta(days=30)).isoformat(), reason="research"),
                           created_by="test")  # fmt: skip
    record_october(container.costs)


TOP_USERS = [
    {"userId": DAN, "email": "dan@example.edu", "totalCost": 0.1, "totalRequests": 1,
     "lastUpdated": "2025-10-20T10:00:00Z"},
    {"userId": BOB, "email": "bob@other.org", "tierName": "Pro", "quotaLimit": 0.05, "quotaPercentage": 120.0,
     "totalCost": 0.06, "totalRequests": 1, "lastUpdated": "2025-10-15T13:00:00Z"},
    {"userId": ADA, "email": "ada@example.edu", "tierName": "Basic", "quotaLimit": 0.1, "quotaPercentage": 25.1,
     "totalCost": 0.0251, "totalRequests": 3, "lastUpdated": "2025-10-31T23:59:59Z"},
    {"userId": CY, "tierName": "Basic", "quotaLimit": 0.1, "quotaPercentage": 2.0, "totalCost": 0.002,
     "totalRequests": 1, "lastUpdated": "2025-10-20T09:00:00Z"},
]  # fmt: skip
MODEL_USAGE = [
    {"modelId": HAIKU.model_id, "modelName": "Claude Haiku 4.5", "provider": "bedrock", "totalCost": 0.1061,
     "totalRequests": 4, "uniqueUsers": 3, "avgCostPerRequest": 0.026525, "totalInputTokens": 103000,
     "totalOutputTokens": 600},
    {"modelId": SONNET.model_id, "modelName": "Claude Sonnet 4.5", "provider": "bedrock", "totalCost": 0.081,
     "totalRequests": 2, "uniqueUsers": 2, "avgCostPerRequest": 0.0405, "totalInputTokens": 12000,
     "totalOutputTokens": 3000},
]  # fmt: skip
DAILY_TRENDS = [
    {"date": "2025-10-01", "totalCost": 0.002, "totalRequests": 1, "activeUsers": 1},
    {"date": "2025-10-15", "totalCost": 0.081, "totalRequests": 2, "activeUsers": 2},
    {"date": "2025-10-20", "totalCost": 0.102, "totalRequests": 2, "activeUsers": 2},
    {"date": "2025-10-31", "totalCost": 0.0021, "totalRequests": 1, "activeUsers": 1},
]
OCTOBER_SUMMARY = {
    "period": "2025-10", "periodType": "monthly", "totalCost": 0.1871, "totalRequests": 6, "activeUsers": 4,
    "totalInputTokens": 115000, "totalOutputTokens": 3600, "totalCacheSavings": 0.0009,
    "modelBreakdown": {HAIKU.model_id: {"cost": 0.1061, "requests": 4},
                       SONNET.model_id: {"cost": 0.081, "requests": 2}},
    "lastUpdated": "2025-10-31T23:59:59Z",
}  # fmt: skip


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(f"/admin/costs/{path}", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.usefixtures("october")
def test_the_dashboard_of_a_month(client: TestClient) -> None:
    body = get(client, "dashboard", period="2025-10", topUsersLimit=2, includeTrends="true")
    assert body == {
        "currentPeriod": OCTOBER_SUMMARY,
        "topUsers": TOP_USERS[:2],
        "modelUsage": MODEL_USAGE,
        "dailyTrends": DAILY_TRENDS,
    }
    without_trends = get(client, "dashboard", period="2025-10", includeTrends="false")
    assert "dailyTrends" not in without_trends and without_trends["topUsers"] == TOP_USERS


def test_the_dashboard_defaults_to_this_utc_month(client: TestClient, app: Any) -> None:
    now = datetime.now(tz=UTC)
    app.state.container.costs.record(cost_record(ADA, 9, now.isoformat(), HAIKU, input_tokens=1000, output_tokens=200))
    body = get(client, "dashboard")
    assert body["currentPeriod"]["period"] == f"{now:%Y-%m}"
    assert (body["currentPeriod"]["totalCost"], body["currentPeriod"]["activeUsers"]) == (0.002, 1)
    assert [row["userId"] for row in body["topUsers"]] == [ADA]
    assert body["dailyTrends"] == [{"date": f"{now:%Y-%m-%d}", "totalCost": 0.002, "totalRequests": 1,
                                    "activeUsers": 1}]  # fmt: skip


@pytest.mark.usefixtures("october")
def test_top_users_are_enriched_and_filtered(client: TestClient) -> None:
    assert get(client, "top-users", period="2025-10") == TOP_USERS
    assert get(client, "top-users", period="2025-10", limit=1) == TOP_USERS[:1]
    assert get(client, "top-users", period="2025-10", minCost="0.0251") == TOP_USERS[:3]
    assert get(client, "top-users", period="2025-10", tierId="tier_basic") == [TOP_USERS[2], TOP_USERS[3]]
    assert get(client, "top-users", period="2025-10", tierId="tier_basic", limit=1) == [TOP_USERS[2]]
    assert get(client, "top-users", period="2025-10", tierId="tier_pro", minCost="0.07") == []
    assert get(client, "top-users", period="2025-09") == []


@pytest.mark.usefixtures("october")
def test_system_summary_of_a_month_or_a_day(client: TestClient) -> None:
    assert get(client, "system-summary", period="2025-10") == OCTOBER_SUMMARY
    assert get(client, "system-summary", period="2025-10-15", periodType="daily") == {
        "period": "2025-10-15", "periodType": "daily", "totalCost": 0.081, "totalRequests": 2, "activeUsers": 2,
        "totalInputTokens": 12000, "totalOutputTokens": 3000, "totalCacheSavings": 0.0,
        "lastUpdated": "2025-10-15T13:00:00Z",
    }  # fmt: skip
    for params in ({"period": "2025-10", "periodType": "daily"}, {"period": "2025-10-15"}):
        response = client.get("/admin/costs/system-summary", params=params, headers=ADMIN)
        assert response.status_code == 422 and response.json()["error"]["field"] == "period"


@pytest.mark.usefixtures("october")
def test_usage_by_model_and_by_tier(client: TestClient) -> None:
    assert get(client, "by-model", period="2025-10") == MODEL_USAGE
    assert get(client, "by-tier", period="2025-10") == [
        {"tierId": "(unlimited)", "tierName": "Unlimited (override)", "totalCost": 0.1, "totalUsers": 1,
         "usersAtLimit": 0, "usersWarned": 0},
        {"tierId": "tier_pro", "tierName": "Pro", "totalCost": 0.06, "totalUsers": 1, "usersAtLimit": 1,
         "usersWarned": 0, "avgUtilization": 120.0},
        {"tierId": "tier_basic", "tierName": "Basic", "totalCost": 0.0271, "totalUsers": 2, "usersAtLimit": 0,
         "usersWarned": 1, "avgUtilization": 13.55},
    ]  # fmt: skip


@pytest.mark.usefixtures("october")
def test_trends_between_two_days(client: TestClient) -> None:
    assert get(client, "trends", startDate="2025-10-10", endDate="2025-11-01") == [
        *DAILY_TRENDS[1:],
        {"date": "2025-11-01", "totalCost": 0.002, "totalRequests": 1, "activeUsers": 1},
    ]
    assert get(client, "trends", startDate="2025-10-02", endDate="2025-10-14") == []


@pytest.mark.usefixtures("october")
def test_the_csv_export(client: TestClient) -> None:
    response = client.get("/admin/costs/export", params={"format": "csv", "period": "2025-10"}, headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == "attachment; filename=cost_report_2025-10.csv"
    assert response.text == (
        "User ID,Email,Total Cost ($),Total Requests,Tier,Quota %,Last Updated\r\n"
        "444444444,dan@example.edu,0.1,1,,,2025-10-20T10:00:00Z\r\n"
        "222222222,bob@other.org,0.06,1,Pro,120.00,2025-10-15T13:00:00Z\r\n"
        "111111111,ada@example.edu,0.0251,3,Basic,25.10,2025-10-31T23:59:59Z\r\n"
        "333333333,,0.002,1,Basic,2.00,2025-10-20T09:00:00Z\r\n"
    )
    as_json = client.get("/admin/costs/export", params={"format": "json", "period": "2025-10"}, headers=ADMIN)
    assert as_json.headers["content-disposition"] == "attachment; filename=cost_report_2025-10.json"
    assert as_json.json() == TOP_USERS
    empty = client.get("/admin/costs/export", params={"period": "2025-09"}, headers=ADMIN)
    assert empty.text == "User ID,Email,Total Cost ($),Total Requests,Tier,Quota %,Last Updated\r\n"


def test_plain_users_are_403_and_strangers_401(client: TestClient) -> None:
    for route in ROUTES:
        response = client.get(f"/admin/costs/{route}", headers=USER)
        assert response.status_code == 403, route
        assert response.json()["error"]["code"] == "forbidden"
        assert client.get(f"/admin/costs/{route}").status_code == 401


@pytest.mark.parametrize("route", ["dashboard", "top-users", "system-summary", "by-model", "by-tier", "export"])
def test_the_demo_period_is_a_422(client: TestClient, route: str) -> None:
    response = client.get(f"/admin/costs/{route}", params={"period": "demo"}, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"startDate": "2025-01-01", "endDate": "2025-04-02"}, 400, "Date range cannot exceed 90 days"),
        ({"startDate": "2025-10-31", "endDate": "2025-10-01"}, 400, "Start date must be before end date"),
        ({"startDate": "2025-02-30", "endDate": "2025-03-01"}, 422, "Invalid date format. Use YYYY-MM-DD"),
    ],
)
def test_bad_trend_ranges(client: TestClient, params: dict[str, str], status: int, message: str) -> None:
    response = client.get("/admin/costs/trends", params=params, headers=ADMIN)
    assert response.status_code == status
    assert response.json()["error"]["message"] == message


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 1001}, {"minCost": "-1"}, {"period": "2025-13"}],
)
def test_bad_top_user_queries_are_422(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/admin/costs/top-users", params=params, headers=ADMIN)
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"
    assert client.get("/admin/costs/export", params={"format": "xml"}, headers=ADMIN).status_code == 422


@pytest.mark.usefixtures("october")
@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_storage_failures_are_5xx_never_zeros(client: TestClient, dynamodb: Any, fault: Fault) -> None:
    cases = [
        ("Query", "user-cost-summary", "dashboard"),
        ("Query", "user-cost-summary", "trends?startDate=2025-10-01&endDate=2025-10-31"),
        ("Query", "user-cost-summary", "by-model"),
        ("BatchGetItem", None, "top-users"),  # the users' profiles (the cost items are all in the index)
        ("BatchGetItem", None, "dashboard"),
        ("Query", "user-quotas", "by-tier"),  # the quota assignments and each user's overrides
        ("GetItem", "user-quotas", "export"),  # the tiers
        ("Query", "user-cost-summary", "export"),
    ]
    for operation, table, route in cases:
        separator = "&" if "?" in route else "?"
        with inject_fault(dynamodb, operation, fault, table=table) as failed:
            response = client.get(f"/admin/costs/{route}{separator}period=2025-10", headers=ADMIN)
        assert failed, route
        assert_fault_response(response, fault)


# ---------------------------------------------------------------------------- data the original system left


ORIGINAL_SONNET_KEY = "us_anthropic_claude_sonnet_4_5_v1_0"
ORIGINAL_HAIKU_KEY = "us_anthropic_claude_haiku_4_5_20251001_v1_0"


def put_original_month_mid_message(client: Any) -> None:
    """A monthly item of the original system caught between its writes: the message's totals are in,
    its model's ``modelBreakdown`` entry is created with 0 requests, and its counters are not added yet."""
    client.put_item(TableName="user-cost-summary", Item=to_item({
        "PK": f"USER#{ADA}", "SK": "PERIOD#2025-12", "userId": ADA,
        "totalCost": Decimal("0.502"), "totalRequests": 2, "totalInputTokens": 2000, "totalOutputTokens": 1200,
        "totalCacheReadTokens": 0, "totalCacheWriteTokens": 0, "cacheSavings": Decimal(0),
        "lastUpdated": "2025-12-03T10:00:00.000000+00:00", "GSI2PK": "PERIOD#2025-12", "GSI2SK": "COST#000000000000050",
        "modelBreakdown": {
            ORIGINAL_SONNET_KEY: {"modelName": "Claude Sonnet 4.5", "provider": "bedrock", "cost": Decimal("0.5"),
                                  "requests": 1, "inputTokens": 1000, "outputTokens": 1000, "cacheReadTokens": 0,
                                  "cacheWriteTokens": 0},
            ORIGINAL_HAIKU_KEY: {"modelName": "Claude Haiku 4.5", "provider": "bedrock", "cost": Decimal(0),
                                 "requests": 0, "inputTokens": 0, "outputTokens": 0, "cacheReadTokens": 0,
                                 "cacheWriteTokens": 0},
        },
    }))  # fmt: skip


def test_a_model_entry_without_requests_yet_has_no_average(client: TestClient, dynamodb: Any) -> None:
    put_original_month_mid_message(dynamodb)
    usage = [
        {"modelId": ORIGINAL_SONNET_KEY, "modelName": "Claude Sonnet 4.5", "provider": "bedrock", "totalCost": 0.5,
         "totalRequests": 1, "uniqueUsers": 1, "avgCostPerRequest": 0.5, "totalInputTokens": 1000,
         "totalOutputTokens": 1000},
        {"modelId": ORIGINAL_HAIKU_KEY, "modelName": "Claude Haiku 4.5", "provider": "bedrock", "totalCost": 0.0,
         "totalRequests": 0, "uniqueUsers": 1, "avgCostPerRequest": 0.0, "totalInputTokens": 0,
         "totalOutputTokens": 0},
    ]  # fmt: skip
    assert get(client, "by-model", period="2025-12") == usage
    assert get(client, "dashboard", period="2025-12", includeTrends="false") == {
        "currentPeriod": {
            "period": "2025-12", "periodType": "monthly", "totalCost": 0.502, "totalRequests": 2, "activeUsers": 1,
            "totalInputTokens": 2000, "totalOutputTokens": 1200, "totalCacheSavings": 0.0,
            "modelBreakdown": {ORIGINAL_SONNET_KEY: {"cost": 0.5, "requests": 1},
                               ORIGINAL_HAIKU_KEY: {"cost": 0.0, "requests": 0}},
            "lastUpdated": "2025-12-03T10:00:00.000000+00:00",
        },
        "topUsers": [{"userId": ADA, "totalCost": 0.502, "totalRequests": 2,
                      "lastUpdated": "2025-12-03T10:00:00.000000+00:00"}],
        "modelUsage": usage,
    }  # fmt: skip


# ---------------------------------------------------------------------------- reads per view


def month_of_students(app: Any, month: str, first: int, count: int) -> None:
    """``count`` users with profiles (alike: same email domain and JWT role) who each spent 0.002 in ``month``."""
    container = app.state.container
    sync = UserSyncService(container.users)
    for number in range(first, first + count):
        user_id = f"{number:09d}"
        sync.sync_from_user(User(user_id, f"s{number}@example.edu", f"Student {number}", ("Student",)))
        container.costs.record(cost_record(user_id, 0, f"{month}-10T10:00:00Z", HAIKU, input_tokens=1000,
                                           output_tokens=200))  # fmt: skip


def test_the_dashboards_reads_grow_by_one_override_query_per_user(client: TestClient, app: Any, dynamodb: Any) -> None:
    quotas = app.state.container.quotas
    quotas.create_tier(QuotaTierCreate(tier_id="tier_basic", tier_name="Basic", monthly_cost_limit=Decimal("0.10")),
                       created_by="test")  # fmt: skip
    quotas.create_assignment(QuotaAssignmentCreate(tier_id="tier_basic",
                                                   assignment_type=QuotaAssignmentType.DEFAULT_TIER),
                             created_by="test")  # fmt: skip
    month_of_students(app, "2025-06", 1, 1)
    month_of_students(app, "2025-07", 100, 4)
    month_of_students(app, "2025-08", 200, 40)
    get(client, "dashboard", period="2025-06")  # the AppRole caches are warm from here on

    def reads(month: str, users: int) -> Counter[str]:
        with counted_calls(dynamodb) as calls:
            body = get(client, "dashboard", period=month, includeTrends="false")
        assert [(row["tierName"], row["quotaPercentage"]) for row in body["topUsers"]] == [("Basic", 2.0)] * users
        # The caches' version stamps are read once a second whatever the request: not the dashboard's reads.
        del calls[STAMP_READ]
        return calls

    few, many = reads("2025-07", 4), reads("2025-08", 40)
    # The month's items, models and ranking; one batch of profiles; each user's active override
    # (the user-override index; no scan); the assignments shared by all; the tier.
    assert few == Counter({"Query": 3 + 4 + 5, "BatchGetItem": 1, "GetItem": 1})
    assert many == Counter({"Query": 3 + 40 + 5, "BatchGetItem": 1, "GetItem": 1})


# ---------------------------------------------------------------------------- CSV injection


def test_the_csv_export_defuses_formulas(client: TestClient, app: Any) -> None:
    """A cell starting with = + - @, a tab or a carriage return is prefixed with ' (a spreadsheet shows it as text)."""
    container = app.state.container
    sync = UserSyncService(container.users)
    cases = [("=HYPERLINK(\"http://x.example\")@evil.example", "Basic"), ("+1@example.edu", "=1+2"),
             ("plain@example.edu", "-2"), ("a=b@example.edu", "@SUM(A1)"), ("tab@example.edu", "\tTab"),
             ("cr@example.edu", "\rReturn")]  # fmt: skip
    for number, (email, tier_name) in enumerate(cases, start=1):
        user_id = f"{number:09d}"
        sync.sync_from_user(User(user_id, email, f"User {number}", ("Student",)))
        container.quotas.create_tier(QuotaTierCreate(tier_id=f"tier_{number}", tier_name=tier_name,
                                                     monthly_cost_limit=Decimal(1)), created_by="test")  # fmt: skip
        container.quotas.create_assignment(QuotaAssignmentCreate(tier_id=f"tier_{number}", user_id=user_id,
                                                                 assignment_type=QuotaAssignmentType.DIRECT_USER),
                                           created_by="test")  # fmt: skip
        container.costs.record(cost_record(user_id, 0, f"2026-01-{number:02d}T00:00:00Z", HAIKU,
                                           input_tokens=1000 * (10 - number)))  # fmt: skip
    response = client.get("/admin/costs/export", params={"format": "csv", "period": "2026-01"}, headers=ADMIN)
    assert response.status_code == 200
    assert response.text == (
        "User ID,Email,Total Cost ($),Total Requests,Tier,Quota %,Last Updated\r\n"
        '000000001,"\'=hyperlink(""http://x.example"")@evil.example",0.009,1,Basic,0.90,2026-01-01T00:00:00Z\r\n'
        "000000002,'+1@example.edu,0.008,1,'=1+2,0.80,2026-01-02T00:00:00Z\r\n"
        "000000003,plain@example.edu,0.007,1,'-2,0.70,2026-01-03T00:00:00Z\r\n"
        "000000004,a=b@example.edu,0.006,1,'@SUM(A1),0.60,2026-01-04T00:00:00Z\r\n"
        "000000005,tab@example.edu,0.005,1,'\tTab,0.50,2026-01-05T00:00:00Z\r\n"
        '000000006,cr@example.edu,0.004,1,"\'\rReturn",0.40,2026-01-06T00:00:00Z\r\n'
    )
    as_json = client.get("/admin/costs/export", params={"format": "json", "period": "2026-01"}, headers=ADMIN).json()
    assert [(row["email"], row["tierName"]) for row in as_json] == [(email.lower(), tier) for email, tier in cases]
