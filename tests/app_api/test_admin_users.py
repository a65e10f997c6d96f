"""``/admin/users``: list, search, domains, detail with this month's costs and quota standing; admin-only."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.auth import User
from apis.shared.quota import (
    CostRecord,
    PricingSnapshot,
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaTierCreate,
    TokenUsage,
)
from apis.shared.users import UserSyncService
from tests.app_api.conftest import person
from tests.support.faults import FAULT_IDS, FAULTS, inject_fault

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ADMIN = person("900000001", "admin@example.edu", "Admin")
USER = person("111111111", "ada@example.edu", "Faculty")


@pytest.fixture
def people(app: Any) -> None:
    sync = UserSyncService(app.state.container.users)
    sync.sync_from_user(User("111111111", "ada@example.edu", "Ada", ("Faculty",)))
    sync.sync_from_user(User("222222222", "bob@other.org", "Bob", ("Student",)))
    app.state.container.costs.record(
        CostRecord(
            user_id="111111111",
            session_id="s1",
            message_id=1,
            timestamp=datetime.now(tz=UTC).isoformat(),
            usage=TokenUsage(input_tokens=1000, output_tokens=500),
            pricing=PricingSnapshot(model_id="m1", input_price_per_million_tokens=Decimal(1)),
            cost=Decimal("2.50"),
        )
    )


@pytest.fixture
def default_tier(app: Any) -> None:
    quotas = app.state.container.quotas
    quotas.create_tier(QuotaTierCreate(tier_id="tier_basic", tier_name="Basic", monthly_cost_limit=Decimal(10)),
                       created_by="test")  # fmt: skip
    quotas.create_assignment(QuotaAssignmentCreate(tier_id="tier_basic",
                                                   assignment_type=QuotaAssignmentType.DEFAULT_TIER),
                             created_by="test")  # fmt: skip


@pytest.mark.usefixtures("people", "default_tier")
def test_list_pages_and_carries_costs(client: TestClient) -> None:
    first = client.get("/admin/users", params={"status": "active", "limit": 1}, headers=ADMIN)
    assert first.status_code == 200, first.text
    body = first.json()
    assert len(body["users"]) == 1 and body["nextCursor"]
    rest = client.get("/admin/users", params={"limit": 1, "cursor": body["nextCursor"]}, headers=ADMIN).json()
    users = {u["userId"]: u for u in [*body["users"], *rest["users"]]}
    assert set(users) == {"111111111", "222222222"}
    ada = users["111111111"]
    assert set(ada) >= {"userId", "email", "name", "status", "lastLoginAt", "emailDomain", "currentMonthCost"}
    assert ada["currentMonthCost"] == 2.5 and ada["quotaUsagePercentage"] == 25.0  # of the seeded $10 tier
    by_domain = client.get("/admin/users", params={"domain": "other.org"}, headers=ADMIN).json()["users"]
    assert [u["userId"] for u in by_domain] == ["222222222"]


@pytest.mark.usefixtures("people", "default_tier")
def test_detail_has_profile_costs_quota_and_events(client: TestClient) -> None:
    response = client.get("/admin/users/111111111", headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"profile", "costSummary", "quotaStatus", "recentEvents"}
    assert body["profile"]["email"] == "ada@example.edu"
    assert body["costSummary"]["totalCost"] == 2.5 and body["costSummary"]["totalRequests"] == 1
    assert body["costSummary"]["primaryModel"] == "m1"
    status = body["quotaStatus"]
    assert status["tierId"] == "tier_basic" and status["usagePercentage"] == 25.0 and status["remaining"] == 7.5
    assert status["hasActiveOverride"] is False
    missing = client.get("/admin/users/nobody", headers=ADMIN)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


@pytest.mark.usefixtures("people")
def test_search_by_exact_email_and_domains(client: TestClient) -> None:
    found = client.get("/admin/users/search", params={"email": "BOB@other.org"}, headers=ADMIN).json()
    assert [u["userId"] for u in found["users"]] == ["222222222"]
    none = client.get("/admin/users/search", params={"email": "nobody@example.edu"}, headers=ADMIN).json()
    assert none["users"] == []
    domains = client.get("/admin/users/domains/list", params={"limit": 50}, headers=ADMIN).json()
    assert sorted(domains) == ["example.edu", "other.org"]


def test_users_are_403(client: TestClient) -> None:
    for path in ("/admin/users", "/admin/users/search?email=a@b.c", "/admin/users/111111111"):
        response = client.get(path, headers=USER)
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_storage_failures_are_5xx(client: TestClient, dynamodb: Any, fault) -> None:
    with inject_fault(dynamodb, "Query", fault):
        response = client.get("/admin/users", headers=ADMIN)
    assert response.status_code == fault.status and response.json()["error"]["code"] == fault.code
    with inject_fault(dynamodb, "GetItem", fault):
        detail = client.get("/admin/users/111111111", headers=ADMIN)
    assert detail.status_code == fault.status
