"""Resolving many users at once: what ``resolve`` gives each, with no scan, and with one override query per user
as the only read that grows with the users."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from apis.shared.auth import User
from apis.shared.quota import (
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaAssignmentUpdate,
    QuotaOverrideCreate,
    QuotaOverrideType,
    QuotaRepository,
    QuotaResolver,
)
from tests.shared.quota.conftest import tier_data
from tests.support.calls import counted_calls
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault

BOB = User("200000000", "bob@example.edu", "Bob", roles=("Student",))  # a direct assignment
CY = User("300000000", "cy@example.edu", "Cy", roles=("Student",))  # an unlimited override
DEE = User("400000000", "dee@example.edu", "Dee", roles=("Student",))  # a custom-limit override
EVE = User("500000000", "eve@example.edu", "Eve", roles=("Student",))  # a disabled direct assignment
FAY = User("600000000", "fay@other.org", "Fay", roles=("Faculty",))  # JWT role
GUS = User("700000000", "gus@other.org", "Gus", roles=())  # the default tier
SPECIAL: list[tuple[User, list[str]]] = [(BOB, []), (CY, []), (DEE, []), (EVE, []), (FAY, []), (GUS, []),
                                         (GUS, ["researchers"])]  # fmt: skip


def students(count: int, first: int = 1) -> list[tuple[User, list[str]]]:
    """Users alike in all but their id: the email domain's tier."""
    numbers = range(first, first + count)
    return [(User(f"{n:09d}", f"s{n}@example.edu", f"S{n}", roles=("Student",)), []) for n in numbers]


def add(quotas: QuotaRepository, kind: QuotaAssignmentType, tier_id: str, **fields: Any) -> Any:
    return quotas.create_assignment(QuotaAssignmentCreate(tier_id=tier_id, assignment_type=kind, **fields),
                                    created_by="admin")  # fmt: skip


@pytest.fixture
def quotas(quotas: QuotaRepository) -> QuotaRepository:
    for name in ("direct", "app", "jwt", "domain", "default"):
        quotas.create_tier(tier_data(f"tier_{name}"), created_by="admin")
    add(quotas, QuotaAssignmentType.DEFAULT_TIER, "tier_default")
    add(quotas, QuotaAssignmentType.EMAIL_DOMAIN, "tier_domain", email_domain="example.edu")
    add(quotas, QuotaAssignmentType.JWT_ROLE, "tier_jwt", jwt_role="Faculty")
    add(quotas, QuotaAssignmentType.APP_ROLE, "tier_app", app_role_id="researchers")
    add(quotas, QuotaAssignmentType.DIRECT_USER, "tier_direct", user_id=BOB.user_id)
    off = add(quotas, QuotaAssignmentType.DIRECT_USER, "tier_direct", user_id=EVE.user_id)
    quotas.update_assignment(off.assignment_id, QuotaAssignmentUpdate(enabled=False))
    window = {"valid_from": "2020-01-01T00:00:00Z", "valid_until": "2099-01-01T00:00:00Z", "reason": "grant"}
    quotas.create_override(QuotaOverrideCreate(user_id=CY.user_id, override_type=QuotaOverrideType.UNLIMITED,
                                               **window), created_by="admin")  # fmt: skip
    custom = QuotaOverrideCreate(user_id=DEE.user_id, override_type=QuotaOverrideType.CUSTOM_LIMIT,
                                 monthly_cost_limit=Decimal(50), **window)  # fmt: skip
    quotas.create_override(custom, created_by="admin")
    return quotas


def test_each_user_gets_what_resolve_gives_them(quotas: QuotaRepository) -> None:
    users = [*students(3), *SPECIAL[:-1]]
    resolved = QuotaResolver(quotas).resolve_many(users)
    one_by_one = QuotaResolver(quotas, cache_ttl_seconds=0)
    assert resolved == {user.user_id: one_by_one.resolve(user, app_roles) for user, app_roles in users}
    assert {user_id: (r.matched_by, r.tier.tier_name if r.tier else None) for user_id, r in resolved.items()} == {
        "000000001": ("email_domain", "Tier_Domain"),
        "000000002": ("email_domain", "Tier_Domain"),
        "000000003": ("email_domain", "Tier_Domain"),
        BOB.user_id: ("direct_user", "Tier_Direct"),
        CY.user_id: ("override", None),
        DEE.user_id: ("override", "Custom limit"),
        EVE.user_id: ("email_domain", "Tier_Domain"),
        FAY.user_id: ("jwt_role", "Tier_Jwt"),
        GUS.user_id: ("default_tier", "Tier_Default"),
    }
    assert resolved[CY.user_id].unlimited and resolved[DEE.user_id].tier.monthly_cost_limit == Decimal(50)
    assert QuotaResolver(quotas).resolve_many([(GUS, ["researchers"])])[GUS.user_id].tier.tier_id == "tier_app"


def test_only_the_override_queries_grow_with_the_users(quotas: QuotaRepository, dynamodb: Any) -> None:
    def reads(users: list[tuple[User, list[str]]]) -> tuple[Counter[str], Counter[str]]:
        indexes: Counter[str] = Counter()

        def count(params: dict[str, Any], **_: Any) -> None:
            indexes[json.loads(params["body"]).get("IndexName", "(table)")] += 1

        dynamodb.meta.events.register("before-call.dynamodb.Query", count)
        try:
            with counted_calls(dynamodb) as calls:
                QuotaResolver(quotas).resolve_many(users)
        finally:
            dynamodb.meta.events.unregister("before-call.dynamodb.Query", count)
        return calls, indexes

    # SPECIAL has 6 distinct users (GUS twice, with two sets of AppRoles): one override query each.
    (few, few_indexes), (many, many_indexes) = reads([*students(2), *SPECIAL]), reads([*students(200, first=1000),
                                                                                      *SPECIAL])  # fmt: skip
    # Besides: direct assignments, the AppRole, the two JWT roles, the email-domain and default
    # assignments; one GetItem per tier used. No scan.
    assert few == Counter({"Query": 2 + 6 + 6, "GetItem": 5})
    assert many == Counter({"Query": 200 + 6 + 6, "GetItem": 5})
    assert few_indexes == Counter({"UserOverrideIndex": 2 + 6, "AssignmentTypeIndex": 3, "RoleAssignmentIndex": 2,
                                   "AppRoleAssignmentIndex": 1})  # fmt: skip
    assert many_indexes == few_indexes + Counter({"UserOverrideIndex": 198})


def test_each_user_is_asked_for_the_override_resolve_asks_for(quotas: QuotaRepository, dynamodb: Any) -> None:
    requests: list[dict[str, Any]] = []
    dynamodb.meta.events.register(
        "provide-client-params.dynamodb.Query",
        lambda params, **_: requests.append(params) if params.get("IndexName") == "UserOverrideIndex" else None,
    )
    QuotaResolver(quotas).resolve_many([(CY, []), (GUS, []), (GUS, ["researchers"])])
    assert [(r["KeyConditionExpression"], r["ExpressionAttributeValues"][":user"]) for r in requests] == [
        ("GSI4PK = :user AND GSI4SK > :now", {"S": f"USER#{CY.user_id}"}),
        ("GSI4PK = :user AND GSI4SK > :now", {"S": f"USER#{GUS.user_id}"}),
    ]
    single: list[dict[str, Any]] = []
    dynamodb.meta.events.register("provide-client-params.dynamodb.Query", lambda params, **_: single.append(params))
    QuotaResolver(quotas).resolve(CY)
    assert {key: value for key, value in single[0].items() if key != "ExpressionAttributeValues"} == {
        key: value for key, value in requests[0].items() if key != "ExpressionAttributeValues"
    }


def test_the_cache_is_resolves_own(quotas: QuotaRepository, dynamodb: Any) -> None:
    resolver = QuotaResolver(quotas)
    users = [*students(5), (BOB, [])]
    first = resolver.resolve_many(users)
    with counted_calls(dynamodb) as calls:
        assert resolver.resolve_many(users) == first
        assert resolver.resolve(BOB) == first[BOB.user_id]
    assert calls == Counter()
    resolved = resolver.resolve(FAY)
    with counted_calls(dynamodb) as calls:
        assert resolver.resolve_many([(FAY, [])]) == {FAY.user_id: resolved}
    assert calls == Counter()
    assert resolver.resolve_many([]) == {}


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("operation", ["Query", "GetItem"])
def test_failures_propagate_and_nothing_is_cached(
    quotas: QuotaRepository, dynamodb: Any, operation: str, fault: Fault
) -> None:
    resolver = QuotaResolver(quotas)
    with inject_fault(dynamodb, operation, fault) as failed, pytest.raises(fault.error) as raised:
        resolver.resolve_many(students(3))
    assert failed == [operation]
    assert_fault(raised.value, fault)
    with counted_calls(dynamodb) as calls:
        resolver.resolve_many(students(3))
    # Nothing was cached: three override queries, the direct, JWT-role and email-domain assignments, the tier.
    assert calls == Counter({"Query": 3 + 3, "GetItem": 1})
