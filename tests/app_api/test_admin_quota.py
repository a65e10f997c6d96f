"""``/admin/quota``: tiers, assignments, overrides (bare arrays, PATCH), events, user quota info.

Administrators read; only system administrators change quotas.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.quota import QuotaEventType
from tests.app_api.conftest import person
from tests.support.faults import FAULT_IDS, FAULTS, inject_fault

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ADMIN = person("900000001", "admin@example.edu", "Admin")
SYSTEM_ADMIN = person("900000002", "root@example.edu", "DotNetDevelopers")
USER = person("111111111", "ada@example.edu", "Faculty")

TIER = {"tierId": "tier_pro", "tierName": "Pro", "description": "More", "monthlyCostLimit": 50,
        "periodType": "monthly", "softLimitPercentage": 80, "actionOnLimit": "block", "enabled": True}  # fmt: skip


def test_tiers_crud_with_bare_arrays_and_patch(client: TestClient) -> None:
    created = client.post("/admin/quota/tiers", json=TIER, headers=SYSTEM_ADMIN)
    assert created.status_code == 201, created.text
    assert set(created.json()) >= {"tierId", "tierName", "monthlyCostLimit", "periodType", "softLimitPercentage",
                                   "actionOnLimit", "enabled", "createdAt", "updatedAt", "createdBy"}  # fmt: skip
    listed = client.get("/admin/quota/tiers", params={"enabled_only": "false"}, headers=ADMIN).json()
    assert isinstance(listed, list) and [t["tierId"] for t in listed] == ["tier_pro"]
    patched = client.patch("/admin/quota/tiers/tier_pro", json={"monthlyCostLimit": 75}, headers=SYSTEM_ADMIN)
    assert patched.status_code == 200 and patched.json()["monthlyCostLimit"] == 75
    assert client.get("/admin/quota/tiers/tier_pro", headers=ADMIN).json()["tierName"] == "Pro"
    assert client.delete("/admin/quota/tiers/tier_pro", headers=SYSTEM_ADMIN).status_code == 204
    assert client.get("/admin/quota/tiers/tier_pro", headers=ADMIN).status_code == 404


def test_assignments_and_a_tier_in_use_cannot_be_deleted(client: TestClient) -> None:
    client.post("/admin/quota/tiers", json=TIER, headers=SYSTEM_ADMIN)
    created = client.post("/admin/quota/assignments", headers=SYSTEM_ADMIN,
                          json={"tierId": "tier_pro", "assignmentType": "direct_user", "userId": "111111111",
                                "priority": 500, "enabled": True})  # fmt: skip
    assert created.status_code == 201, created.text
    assignment = created.json()
    path = f"/admin/quota/assignments/{assignment['assignmentId']}"
    listed = client.get("/admin/quota/assignments", params={"enabled_only": "false", "tier_id": "tier_pro"},
                        headers=ADMIN).json()  # fmt: skip
    assert [a["assignmentId"] for a in listed] == [assignment["assignmentId"]]
    in_use = client.delete("/admin/quota/tiers/tier_pro", headers=SYSTEM_ADMIN)
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "conflict"
    assert client.patch(path, json={"priority": 600}, headers=SYSTEM_ADMIN).json()["priority"] == 600
    info = client.get("/admin/quota/users/111111111", params={"email": "ada@example.edu", "roles": "Faculty,Staff"},
                      headers=ADMIN).json()  # fmt: skip
    assert info["tier"]["tierId"] == "tier_pro" and info["roles"] == ["Faculty", "Staff"]
    assert info["matchedBy"] and info["quotaLimit"] == 50 and info["recentBlocks"] == 0
    assert client.delete(path, headers=SYSTEM_ADMIN).status_code == 204
    unknown_tier = client.post("/admin/quota/assignments", headers=SYSTEM_ADMIN,
                               json={"tierId": "nope", "assignmentType": "default_tier"})  # fmt: skip
    assert unknown_tier.status_code == 404


def test_overrides_and_events(client: TestClient, app: Any) -> None:
    now = datetime.now(tz=UTC)
    window = {"validFrom": (now - timedelta(hours=1)).isoformat(), "validUntil": (now + timedelta(days=7)).isoformat()}
    body = {"userId": "111111111", "overrideType": "unlimited", "reason": "conference week", **window}
    created = client.post("/admin/quota/overrides", headers=SYSTEM_ADMIN, json=body)
    assert created.status_code == 201, created.text
    override = created.json()
    listed = client.get("/admin/quota/overrides", params={"active_only": "false", "user_id": "111111111"},
                        headers=ADMIN).json()  # fmt: skip
    assert [o["overrideId"] for o in listed] == [override["overrideId"]]
    path = f"/admin/quota/overrides/{override['overrideId']}"
    assert client.patch(path, json={"reason": "extended"}, headers=SYSTEM_ADMIN).json()["reason"] == "extended"
    assert client.get(path, headers=ADMIN).json()["overrideType"] == "unlimited"
    app.state.container.quota_events.record(user_id="111111111", tier_id="tier_basic",
                                            event_type=QuotaEventType.BLOCK, current_usage=Decimal(10),
                                            quota_limit=Decimal(10), percentage_used=Decimal(100),
                                            timestamp=now.isoformat())  # fmt: skip
    events = client.get("/admin/quota/events", params={"limit": 50, "user_id": "111111111"}, headers=ADMIN).json()
    assert [e["eventType"] for e in events] == ["block"]
    assert set(events[0]) >= {"eventId", "userId", "tierId", "eventType", "currentUsage", "quotaLimit",
                              "percentageUsed", "timestamp"}  # fmt: skip
    assert client.delete(path, headers=SYSTEM_ADMIN).status_code == 204
    bad = client.get("/admin/quota/events", params={"event_type": "explosion"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"


def test_users_are_403(client: TestClient) -> None:
    for response in (
        client.get("/admin/quota/tiers", headers=USER),
        client.post("/admin/quota/tiers", json=TIER, headers=USER),
        client.get("/admin/quota/events", headers=USER),
        client.get("/admin/quota/users/111111111", headers=USER),
    ):
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_an_admin_reads_quotas_but_only_a_system_administrator_changes_them(client: TestClient) -> None:
    tier = client.post("/admin/quota/tiers", json=TIER, headers=SYSTEM_ADMIN).json()["tierId"]
    default_tier = {"tierId": tier, "assignmentType": "default_tier"}
    assignment = client.post("/admin/quota/assignments", headers=SYSTEM_ADMIN, json=default_tier).json()["assignmentId"]
    now = datetime.now(tz=UTC)
    window = {"validFrom": (now - timedelta(hours=1)).isoformat(), "validUntil": (now + timedelta(days=7)).isoformat()}
    # What the issue found: an Admin giving themselves an unlimited budget.
    unlimited = {"userId": "900000001", "overrideType": "unlimited", "reason": "mine", **window}
    override = client.post("/admin/quota/overrides", json={**unlimited, "userId": "111111111"},
                           headers=SYSTEM_ADMIN).json()["overrideId"]  # fmt: skip
    for response in (
        client.post("/admin/quota/overrides", json=unlimited, headers=ADMIN),
        client.patch(f"/admin/quota/overrides/{override}", json={"reason": "x"}, headers=ADMIN),
        client.delete(f"/admin/quota/overrides/{override}", headers=ADMIN),
        client.post("/admin/quota/tiers", json={**TIER, "tierId": "tier_mine"}, headers=ADMIN),
        client.patch(f"/admin/quota/tiers/{tier}", json={"monthlyCostLimit": 10_000}, headers=ADMIN),
        client.delete(f"/admin/quota/tiers/{tier}", headers=ADMIN),
        client.post(
            "/admin/quota/assignments",
            json={**default_tier, "assignmentType": "direct_user", "userId": "900000001"},
            headers=ADMIN,
        ),
        client.patch(f"/admin/quota/assignments/{assignment}", json={"priority": 1}, headers=ADMIN),
        client.delete(f"/admin/quota/assignments/{assignment}", headers=ADMIN),
    ):
        assert response.status_code == 403, response.text
        error = response.json()["error"]
        assert (error["code"], error["message"]) == ("forbidden", "System administrator access required")
    assert [o["userId"] for o in client.get("/admin/quota/overrides", headers=ADMIN).json()] == ["111111111"]
    assert client.get(f"/admin/quota/tiers/{tier}", headers=ADMIN).json()["monthlyCostLimit"] == 50
    assert [a["assignmentId"] for a in client.get("/admin/quota/assignments", headers=ADMIN).json()] == [assignment]
    assert client.get("/admin/quota/events", headers=ADMIN).status_code == 200


def test_events_since_a_time(client: TestClient, app: Any) -> None:
    for day, user in ((3, "111111111"), (5, "222222222"), (7, "333333333")):
        app.state.container.quota_events.record(
            user_id=user, tier_id="tier_basic", event_type=QuotaEventType.WARNING, current_usage=Decimal(8),
            quota_limit=Decimal(10), percentage_used=Decimal(80), timestamp=f"2026-11-0{day}T09:30:00.250000Z",
        )  # fmt: skip
    since = {"since": "2026-11-05T09:30:00Z"}
    assert [e["userId"] for e in client.get("/admin/quota/events", params=since, headers=ADMIN).json()] == [
        "333333333", "222222222",
    ]  # fmt: skip
    offset = {"since": "2026-11-05T10:30:00+01:00"}
    assert len(client.get("/admin/quota/events", params=offset, headers=ADMIN).json()) == 2
    assert len(client.get("/admin/quota/events", params={**since, "user_id": "111111111"}, headers=ADMIN).json()) == 0
    assert len(client.get("/admin/quota/events", params={**since, "tier_id": "tier_basic"}, headers=ADMIN).json()) == 2
    bad = client.get("/admin/quota/events", params={"since": "last tuesday"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "query.since"


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_storage_failures_are_5xx_never_an_empty_array(client: TestClient, dynamodb: Any, fault) -> None:
    with inject_fault(dynamodb, "Query", fault), inject_fault(dynamodb, "Scan", fault):
        for path in ("/admin/quota/tiers", "/admin/quota/assignments", "/admin/quota/overrides", "/admin/quota/events"):
            response = client.get(path, headers=ADMIN)
            assert response.status_code == fault.status, path
            assert response.json()["error"]["code"] == fault.code
