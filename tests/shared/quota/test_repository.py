"""Tiers, assignments and overrides in DynamoDB, and every call's failures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from apis.shared.errors import ConflictError, InputValidationError
from apis.shared.quota import (
    AssignmentNotFoundError,
    OverrideNotFoundError,
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaAssignmentUpdate,
    QuotaOverrideCreate,
    QuotaOverrideType,
    QuotaOverrideUpdate,
    QuotaRepository,
    QuotaTierUpdate,
    TierInUseError,
    TierNotFoundError,
)
from tests.shared.quota.conftest import tier_data
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault


def assign(quotas: QuotaRepository, kind: QuotaAssignmentType, tier_id: str = "tier_basic", **fields):
    return quotas.create_assignment(
        QuotaAssignmentCreate(tier_id=tier_id, assignment_type=kind, **fields), created_by="admin"
    )


def override(quotas: QuotaRepository, user_id: str = "u1", **fields):
    values = {
        "user_id": user_id,
        "override_type": QuotaOverrideType.UNLIMITED,
        "valid_from": "2020-01-01T00:00:00Z",
        "valid_until": "2099-01-01T00:00:00Z",
        "reason": "research grant",
    } | fields
    return quotas.create_override(QuotaOverrideCreate(**values), created_by="admin")


def test_tiers_crud(quotas: QuotaRepository) -> None:
    created = quotas.create_tier(tier_data(daily_cost_limit=Decimal("1.50")), created_by="admin")
    assert quotas.get_tier("tier_basic") == created
    assert created.model_dump(mode="json")["monthlyCostLimit"] == 10.0
    with pytest.raises(ConflictError):
        quotas.create_tier(tier_data(), created_by="admin")
    updated = quotas.update_tier("tier_basic", QuotaTierUpdate(tier_name="Basic", enabled=False))
    assert (updated.tier_name, updated.enabled, updated.monthly_cost_limit) == ("Basic", False, Decimal("10.00"))
    assert quotas.list_tiers() == [updated]
    assert quotas.list_tiers(enabled_only=True) == []
    with pytest.raises(ValidationError):
        QuotaTierUpdate(monthly_cost_limit=Decimal(0))
    quotas.delete_tier("tier_basic")
    with pytest.raises(TierNotFoundError):
        quotas.delete_tier("tier_basic")
    with pytest.raises(TierNotFoundError):
        quotas.update_tier("tier_basic", QuotaTierUpdate(tier_name="x"))


def test_a_tier_in_use_cannot_be_deleted(quotas: QuotaRepository) -> None:
    quotas.create_tier(tier_data(), created_by="admin")
    assignment = assign(quotas, QuotaAssignmentType.DEFAULT_TIER)
    with pytest.raises(TierInUseError):
        quotas.delete_tier("tier_basic")
    quotas.delete_assignment(assignment.assignment_id)
    quotas.delete_tier("tier_basic")


def test_assignments_are_found_by_user_role_app_role_and_type(quotas: QuotaRepository) -> None:
    quotas.create_tier(tier_data(), created_by="admin")
    direct = assign(quotas, QuotaAssignmentType.DIRECT_USER, user_id="u1")
    jwt = assign(quotas, QuotaAssignmentType.JWT_ROLE, jwt_role="Faculty", priority=9)
    jwt_higher = assign(quotas, QuotaAssignmentType.JWT_ROLE, jwt_role="Faculty", priority=10)
    app = assign(quotas, QuotaAssignmentType.APP_ROLE, app_role_id="researchers")
    domain = assign(quotas, QuotaAssignmentType.EMAIL_DOMAIN, email_domain="example.edu")
    assert quotas.assignments_for_user("u1") == [direct]
    assert quotas.assignments_for_jwt_role("Faculty") == [jwt_higher, jwt], "priority 10 sorts above 9"
    assert quotas.assignments_for_app_role("researchers") == [app]
    assert quotas.assignments_of_type(QuotaAssignmentType.EMAIL_DOMAIN) == [domain]
    assert len(quotas.list_assignments()) == 5
    assert quotas.list_assignments(tier_id="other") == []
    with pytest.raises(TierNotFoundError):
        assign(quotas, QuotaAssignmentType.DEFAULT_TIER, tier_id="missing")


def test_assignment_updates_move_their_index_keys(quotas: QuotaRepository) -> None:
    quotas.create_tier(tier_data(), created_by="admin")
    quotas.create_tier(tier_data("tier_pro"), created_by="admin")
    low = assign(quotas, QuotaAssignmentType.JWT_ROLE, jwt_role="Staff", priority=1)
    high = assign(quotas, QuotaAssignmentType.JWT_ROLE, jwt_role="Staff", priority=5)
    raised = quotas.update_assignment(low.assignment_id, QuotaAssignmentUpdate(priority=100, tier_id="tier_pro"))
    assert quotas.assignments_for_jwt_role("Staff") == [raised, high]
    with pytest.raises(TierNotFoundError):
        quotas.update_assignment(low.assignment_id, QuotaAssignmentUpdate(tier_id="nope"))
    with pytest.raises(AssignmentNotFoundError):
        quotas.update_assignment("missing", QuotaAssignmentUpdate(priority=1))
    with pytest.raises(AssignmentNotFoundError):
        quotas.delete_assignment("missing")
    assert quotas.get_assignment_or_raise(high.assignment_id) == high


def test_a_concurrent_change_is_refused(quotas: QuotaRepository) -> None:
    quotas.create_tier(tier_data(), created_by="admin")
    assignment = assign(quotas, QuotaAssignmentType.DEFAULT_TIER)
    stale = assignment.model_copy(update={"updated_at": "1999-01-01T00:00:00Z"})
    quotas.get_assignment_or_raise = lambda assignment_id: stale  # type: ignore[method-assign]
    with pytest.raises(ConflictError):
        quotas.update_assignment(assignment.assignment_id, QuotaAssignmentUpdate(priority=3))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"assignment_type": QuotaAssignmentType.DIRECT_USER}, "userId is required"),
        ({"assignment_type": QuotaAssignmentType.EMAIL_DOMAIN, "email_domain": "regex:(["}, "not a valid regex"),
    ],
)
def test_assignment_criteria_are_validated(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        QuotaAssignmentCreate(tier_id="t", **fields)


def test_overrides_and_the_active_one(quotas: QuotaRepository) -> None:
    expired = override(quotas, valid_from="2020-01-01T00:00:00Z", valid_until="2021-01-01T00:00:00Z")
    future = override(quotas, valid_from="2098-01-01T00:00:00Z", valid_until="2099-06-01T00:00:00Z")
    active = override(
        quotas, override_type=QuotaOverrideType.CUSTOM_LIMIT, monthly_cost_limit=Decimal(50),
        valid_until="2090-01-01T00:00:00Z",
    )  # fmt: skip
    assert quotas.active_override("u1", now="2026-06-01T00:00:00Z") == active
    assert quotas.active_override("u2") is None
    disabled = quotas.update_override(active.override_id, QuotaOverrideUpdate(enabled=False))
    assert not disabled.enabled
    assert quotas.active_override("u1", now="2026-06-01T00:00:00Z") is None
    assert {o.override_id for o in quotas.list_overrides(user_id="u1")} == {
        expired.override_id, future.override_id, active.override_id,
    }  # fmt: skip
    assert quotas.list_overrides(active_only=True) == []
    assert len(quotas.list_overrides()) == 3
    quotas.delete_override(expired.override_id)
    with pytest.raises(OverrideNotFoundError):
        quotas.delete_override(expired.override_id)
    with pytest.raises(OverrideNotFoundError):
        quotas.update_override("missing", QuotaOverrideUpdate(enabled=True))


EARLY, LATE = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"


def test_override_validation() -> None:
    with pytest.raises(ValidationError, match="monthlyCostLimit is required"):
        QuotaOverrideCreate(
            user_id="u", override_type=QuotaOverrideType.CUSTOM_LIMIT, valid_from=EARLY, valid_until=LATE, reason="r"
        )
    with pytest.raises(ValidationError, match="validUntil must be after validFrom"):
        QuotaOverrideCreate(
            user_id="u", override_type=QuotaOverrideType.UNLIMITED, valid_from=LATE, valid_until=EARLY, reason="r"
        )


@pytest.mark.parametrize(
    ("given", "problem"),
    [("", "ISO 8601"), ("zzz", "ISO 8601"), ("2099", "ISO 8601"), ("2026-01-01T00:00:00", "offset from UTC")],
)
def test_override_moments_are_dates_and_times_with_an_offset(given: str, problem: str) -> None:
    # Validity is compared as text (the user-override index's key condition): "zzz" would be valid forever.
    with pytest.raises(ValidationError, match=problem):
        QuotaOverrideCreate(
            user_id="u", override_type=QuotaOverrideType.UNLIMITED, valid_from=EARLY, valid_until=given, reason="r"
        )
    with pytest.raises(ValidationError, match=problem):
        QuotaOverrideUpdate(valid_until=given)


def test_override_moments_are_stored_in_one_utc_spelling(quotas: QuotaRepository) -> None:
    created = quotas.create_override(QuotaOverrideCreate(
        user_id="u", override_type=QuotaOverrideType.UNLIMITED, valid_from="2026-01-01T02:00:00+02:00",
        valid_until="2026-03-01T00:00:00.250000+00:00", reason="r",
    ), created_by="a")  # fmt: skip
    assert (created.valid_from, created.valid_until) == ("2026-01-01T00:00:00Z", "2026-03-01T00:00:00.250000Z")
    assert quotas.get_override(created.override_id) == created


def test_an_update_ending_an_override_before_it_starts_is_a_422(quotas: QuotaRepository) -> None:
    created = quotas.create_override(QuotaOverrideCreate(
        user_id="u", override_type=QuotaOverrideType.UNLIMITED, valid_from=LATE, valid_until="2026-03-01T00:00:00Z",
        reason="r",
    ), created_by="a")  # fmt: skip
    with pytest.raises(InputValidationError) as refused:
        quotas.update_override(created.override_id, QuotaOverrideUpdate(valid_until=EARLY))
    assert (refused.value.status_code, refused.value.field) == (422, "validUntil")
    assert quotas.get_override(created.override_id) == created


CALLS = {
    "get_tier": ("GetItem", lambda q: q.get_tier("t")),
    "list_tiers": ("Scan", lambda q: q.list_tiers()),
    "create_tier": ("TransactWriteItems", lambda q: q.create_tier(tier_data(), created_by="a")),
    "delete_tier": ("TransactWriteItems", lambda q: q.delete_tier("tier_basic")),
    "get_assignment": ("GetItem", lambda q: q.get_assignment("a")),
    "list_assignments": ("Scan", lambda q: q.list_assignments()),
    "delete_assignment": ("TransactWriteItems", lambda q: q.delete_assignment("a")),
    "assignments_for_user": ("Query", lambda q: q.assignments_for_user("u")),
    "assignments_for_app_role": ("Query", lambda q: q.assignments_for_app_role("r")),
    "assignments_for_jwt_role": ("Query", lambda q: q.assignments_for_jwt_role("r")),
    "assignments_of_type": ("Query", lambda q: q.assignments_of_type(QuotaAssignmentType.DEFAULT_TIER)),
    "get_override": ("GetItem", lambda q: q.get_override("o")),
    "list_overrides": ("Scan", lambda q: q.list_overrides()),
    "active_override": ("Query", lambda q: q.active_override("u")),
    "create_override": ("TransactWriteItems", override),
    "delete_override": ("TransactWriteItems", lambda q: q.delete_override("o")),
}


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_call_propagates_dynamodb_failures(quotas: QuotaRepository, call: str, fault: Fault) -> None:
    operation, invoke = CALLS[call]
    with inject_fault(quotas._client, operation, fault) as failed, pytest.raises(fault.error) as raised:
        invoke(quotas)
    assert failed == [operation]
    assert_fault(raised.value, fault)


def test_updates_propagate_write_failures(quotas: QuotaRepository) -> None:
    quotas.create_tier(tier_data(), created_by="admin")
    assignment = assign(quotas, QuotaAssignmentType.DEFAULT_TIER)
    active = override(quotas)
    for fault in FAULTS:
        with inject_fault(quotas._client, "TransactWriteItems", fault), pytest.raises(fault.error):
            quotas.update_tier("tier_basic", QuotaTierUpdate(tier_name="x"))
        with inject_fault(quotas._client, "TransactWriteItems", fault), pytest.raises(fault.error):
            quotas.update_assignment(assignment.assignment_id, QuotaAssignmentUpdate(priority=2))
        with inject_fault(quotas._client, "TransactWriteItems", fault), pytest.raises(fault.error):
            quotas.update_override(active.override_id, QuotaOverrideUpdate(reason="y"))


def test_conditional_writes_are_exactly_these(dynamodb) -> None:
    from botocore.stub import ANY, Stubber

    from apis.shared.aws import to_item

    quotas = QuotaRepository(dynamodb, "user-quotas")
    stored_tier = quotas_tier_item()
    # Each write increments the table's version stamp in the same transaction.
    bump = {
        "Update": {
            "TableName": "user-quotas",
            "Key": to_item({"PK": "CACHE_VERSION", "SK": "CACHE_VERSION"}),
            "UpdateExpression": "ADD #version :one SET #changedAt = :now",
            "ExpressionAttributeNames": {"#version": "version", "#changedAt": "changedAt"},
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":now": ANY},
        }
    }
    with Stubber(dynamodb) as stubber:
        stubber.add_response("transact_write_items", {}, {"TransactItems": [
            {"Put": {"TableName": "user-quotas", "Item": ANY, "ConditionExpression": "attribute_not_exists(PK)"}},
            bump,
        ]})  # fmt: skip
        stubber.add_response("get_item", {"Item": stored_tier}, {"TableName": "user-quotas", "Key": ANY,
                                                                 "ConsistentRead": True})  # fmt: skip
        stubber.add_response("transact_write_items", {}, {"TransactItems": [
            {"Put": {
                "TableName": "user-quotas",
                "Item": ANY,
                "ConditionExpression": "attribute_exists(PK) AND updatedAt = :expected",
                "ExpressionAttributeValues": to_item({":expected": "2026-01-01T00:00:00Z"}),
            }},
            bump,
        ]})  # fmt: skip
        stubber.add_response(
            "scan",
            {"Items": []},
            {"TableName": "user-quotas", "FilterExpression": ANY, "ExpressionAttributeValues": ANY},
        )
        stubber.add_response("transact_write_items", {}, {"TransactItems": [
            {"Delete": {
                "TableName": "user-quotas",
                "Key": to_item({"PK": "QUOTA_TIER#tier_basic", "SK": "METADATA"}),
                "ConditionExpression": "attribute_exists(PK)",
            }},
            bump,
        ]})  # fmt: skip
        quotas.create_tier(tier_data(), created_by="admin")
        quotas.update_tier("tier_basic", QuotaTierUpdate(tier_name="Renamed"))
        quotas.delete_tier("tier_basic")
        stubber.assert_no_pending_responses()


def quotas_tier_item() -> dict:
    from apis.shared.aws import to_item

    return to_item(
        {
            "PK": "QUOTA_TIER#tier_basic", "SK": "METADATA", "tierId": "tier_basic", "tierName": "Basic",
            "monthlyCostLimit": Decimal(10), "periodType": "monthly", "softLimitPercentage": Decimal(80),
            "actionOnLimit": "block", "enabled": True, "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z", "createdBy": "admin",
        }
    )  # fmt: skip
