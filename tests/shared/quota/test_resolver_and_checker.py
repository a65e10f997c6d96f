"""Which tier applies, the pre-request check, its events, and the stream events it produces."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apis.shared.auth import User
from apis.shared.quota import (
    ActionOnLimit,
    CostRecord,
    CostRepository,
    PeriodType,
    PricingSnapshot,
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaChecker,
    QuotaEventRepository,
    QuotaEventType,
    QuotaOverrideCreate,
    QuotaOverrideType,
    QuotaRepository,
    QuotaResolver,
    QuotaTierUpdate,
    TokenUsage,
    domain_matches,
)
from apis.shared.streaming import build_quota_exceeded_event, build_quota_warning_event, conversational_error_frames
from tests.shared.quota.conftest import tier_data
from tests.support.aws import dynamodb_client
from tests.support.faults import FAULTS, inject_fault
from tests.support.sse import parse_sse

ADA = User("123456789", "ada@cs.example.edu", "Ada", roles=("Faculty", "Staff"))
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def assign(quotas: QuotaRepository, kind: QuotaAssignmentType, tier_id: str, priority: int = 100, **fields):
    data = QuotaAssignmentCreate(tier_id=tier_id, assignment_type=kind, priority=priority, **fields)
    return quotas.create_assignment(data, created_by="admin")


@pytest.fixture
def tiers(quotas: QuotaRepository) -> QuotaRepository:
    for name in ("direct", "app", "jwt", "jwt_low", "domain", "default", "off"):
        quotas.create_tier(tier_data(f"tier_{name}"), created_by="admin")
    quotas.update_tier("tier_off", QuotaTierUpdate(enabled=False))
    return quotas


@pytest.mark.parametrize(
    ("pattern", "domain", "matches"),
    [
        ("cs.example.edu", "CS.example.edu", True),
        ("*.example.edu", "cs.example.edu", True),
        ("*.example.edu", "example.edu", True),
        ("*.example.edu", "badexample.edu", False),
        ("other.org, cs.example.edu", "cs.example.edu", True),
        (r"regex:^(cs|math)\.example\.edu$", "math.example.edu", True),
        (r"regex:^(cs|math)\.example\.edu$", "bio.example.edu", False),
    ],
)
def test_domain_patterns(pattern: str, domain: str, matches: bool) -> None:
    assert domain_matches(pattern, domain) is matches


def test_resolution_order(tiers: QuotaRepository) -> None:
    resolver = QuotaResolver(tiers, cache_ttl_seconds=0)
    assert resolver.resolve(ADA).matched_by == "none"
    assign(tiers, QuotaAssignmentType.DEFAULT_TIER, "tier_default")
    assert resolver.resolve(ADA).tier.tier_id == "tier_default"
    assign(tiers, QuotaAssignmentType.EMAIL_DOMAIN, "tier_domain", email_domain="*.example.edu")
    assert resolver.resolve(ADA).matched_by == "email_domain"
    assign(tiers, QuotaAssignmentType.JWT_ROLE, "tier_jwt_low", priority=1, jwt_role="Staff")
    assign(tiers, QuotaAssignmentType.JWT_ROLE, "tier_jwt", priority=20, jwt_role="Faculty")
    assign(tiers, QuotaAssignmentType.JWT_ROLE, "tier_off", priority=99, jwt_role="Faculty")
    resolved = resolver.resolve(ADA)
    assert (resolved.matched_by, resolved.tier.tier_id) == ("jwt_role", "tier_jwt"), "disabled tiers are skipped"
    assign(tiers, QuotaAssignmentType.APP_ROLE, "tier_app", app_role_id="researchers")
    assert resolver.resolve(ADA).matched_by == "jwt_role", "AppRole assignments need the user's AppRoles"
    assert resolver.resolve(ADA, ["researchers"]).tier.tier_id == "tier_app"
    direct = assign(tiers, QuotaAssignmentType.DIRECT_USER, "tier_direct", user_id=ADA.user_id)
    assert resolver.resolve(ADA, ["researchers"]).assignment == direct
    override = tiers.create_override(
        QuotaOverrideCreate(
            user_id=ADA.user_id, override_type=QuotaOverrideType.CUSTOM_LIMIT, monthly_cost_limit=Decimal(500),
            valid_from="2020-01-01T00:00:00Z", valid_until="2099-01-01T00:00:00Z", reason="grant",
        ),
        created_by="admin",
    )  # fmt: skip
    resolved = resolver.resolve(ADA)
    assert resolved.matched_by == "override" and resolved.override == override
    assert resolved.tier.monthly_cost_limit == Decimal(500) and not resolved.unlimited


def test_disabled_assignments_are_skipped_and_results_cached(tiers: QuotaRepository) -> None:
    assignment = assign(tiers, QuotaAssignmentType.DEFAULT_TIER, "tier_default")
    from apis.shared.quota import QuotaAssignmentUpdate

    resolver = QuotaResolver(tiers)
    assert resolver.resolve(ADA).tier.tier_id == "tier_default"
    tiers.update_assignment(assignment.assignment_id, QuotaAssignmentUpdate(enabled=False))
    assert resolver.resolve(ADA).tier.tier_id == "tier_default", "cached"
    resolver.invalidate()
    assert resolver.resolve(ADA).matched_by == "none"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def checker(tiers: QuotaRepository, costs: CostRepository, events: QuotaEventRepository) -> QuotaChecker:
    return QuotaChecker(QuotaResolver(tiers, cache_ttl_seconds=0), costs, events, clock=Clock(NOW))


def spend(costs: CostRepository, amount: str, *, timestamp: str = "2026-11-26T08:00:00Z", message_id: int = 0) -> None:
    pricing = PricingSnapshot(model_id="m", input_price_per_million_tokens=Decimal(amount))
    costs.record(
        CostRecord(
            user_id=ADA.user_id, session_id="s", message_id=message_id, timestamp=timestamp,
            usage=TokenUsage(input_tokens=1_000_000), pricing=pricing, cost=Decimal(amount),
        )
    )  # fmt: skip


def test_no_tier_and_unlimited_allow(tiers: QuotaRepository, checker: QuotaChecker) -> None:
    assert checker.check(ADA).allowed
    tiers.create_override(
        QuotaOverrideCreate(
            user_id=ADA.user_id, override_type=QuotaOverrideType.UNLIMITED,
            valid_from="2020-01-01T00:00:00Z", valid_until="2099-01-01T00:00:00Z", reason="vip",
        ),
        created_by="admin",
    )  # fmt: skip
    result = checker.check(ADA)
    assert result.allowed and result.message == "Unlimited quota (override)"


def test_a_huge_limit_means_unlimited(tiers: QuotaRepository, checker: QuotaChecker) -> None:
    tiers.create_tier(tier_data("tier_huge", monthly_cost_limit=Decimal(999999)), created_by="admin")
    assign(tiers, QuotaAssignmentType.DEFAULT_TIER, "tier_huge")
    assert checker.check(ADA).message == "Unlimited tier"


def test_usage_below_at_soft_and_critical_levels(
    tiers: QuotaRepository, costs: CostRepository, events: QuotaEventRepository, checker: QuotaChecker
) -> None:
    assign(tiers, QuotaAssignmentType.DEFAULT_TIER, "tier_default")
    spend(costs, "5.00")
    calm = checker.check(ADA)
    assert (calm.allowed, calm.warning_level, calm.percentage_used, calm.remaining) == (
        True, "none", Decimal("50.00"), Decimal("5.00"),
    )  # fmt: skip
    assert build_quota_warning_event(calm) is None
    spend(costs, "3.50", message_id=1)
    soft = checker.check(ADA)
    assert soft.warning_level == "80%"
    checker.check(ADA)
    warnings = events.list_events(user_id=ADA.user_id, event_type=QuotaEventType.WARNING)
    assert len(warnings) == 1, "the same warning is recorded once an hour"
    spend(costs, "0.60", message_id=2)
    assert checker.check(ADA).warning_level == "90%"
    assert len(events.list_events(user_id=ADA.user_id, event_type=QuotaEventType.WARNING)) == 2
    event = build_quota_warning_event(checker.check(ADA))
    assert event is not None
    frame = parse_sse(event.to_sse_format())[0]
    assert frame.event == "quota_warning"
    assert frame.data["type"] == "quota_warning" and frame.data["percentageUsed"] == 91.0
    assert frame.data["quotaLimit"] == 10.0 and frame.data["remaining"] == pytest.approx(0.9)


def test_reaching_the_limit_blocks_and_records_a_block(
    tiers: QuotaRepository, costs: CostRepository, events: QuotaEventRepository, checker: QuotaChecker
) -> None:
    assign(tiers, QuotaAssignmentType.DEFAULT_TIER, "tier_default")
    spend(costs, "10.00")
    result = checker.check(ADA)
    assert not result.allowed and result.remaining == 0
    assert events.list_events(tier_id="tier_default", event_type=QuotaEventType.BLOCK)[0].user_id == ADA.user_id
    exceeded = build_quota_exceeded_event(result, now=NOW)
    frames = parse_sse("".join(conversational_error_frames(exceeded, stop_reason="quota_exceeded")))
    assert [f.event for f in frames][-3:] == ["message_stop", "quota_exceeded", "done"]
    assert frames[2].data["text"] == exceeded.message and "contact your administrator" in exceeded.message
    assert frames[5].data["resetInfo"] == "Your quota resets in 5 days (on the 1st of next month, UTC)."
    assert frames[5].data["tierName"] == "Tier_Default" and frames[5].data["periodType"] == "monthly"


def test_warn_only_tiers_let_requests_through(
    tiers: QuotaRepository, costs: CostRepository, checker: QuotaChecker
) -> None:
    tiers.update_tier("tier_default", QuotaTierUpdate(action_on_limit=ActionOnLimit.WARN))
    assign(tiers, QuotaAssignmentType.DEFAULT_TIER, "tier_default")
    spend(costs, "12.00")
    result = checker.check(ADA)
    assert result.allowed and result.remaining == 0 and result.warning_level == "90%"


def test_daily_tiers_count_todays_usage_only(
    tiers: QuotaRepository, costs: CostRepository, checker: QuotaChecker
) -> None:
    tiers.update_tier("tier_default", QuotaTierUpdate(period_type=PeriodType.DAILY, daily_cost_limit=Decimal("1.00")))
    assign(tiers, QuotaAssignmentType.DEFAULT_TIER, "tier_default")
    spend(costs, "5.00", timestamp="2026-11-25T08:00:00Z")
    spend(costs, "0.50", timestamp="2026-11-26T08:00:00Z", message_id=1)
    result = checker.check(ADA)
    assert result.period == "2026-11-26" and result.current_usage == Decimal("0.50")
    assert result.quota_limit == Decimal("1.00") and result.allowed
    spend(costs, "0.60", timestamp="2026-11-26T09:00:00Z", message_id=2)
    blocked = checker.check(ADA)
    assert not blocked.allowed
    assert build_quota_exceeded_event(blocked, now=NOW).reset_info == "Your quota resets at midnight UTC."


def test_a_usage_read_failure_does_not_fail_open(
    tiers: QuotaRepository, costs: CostRepository, checker: QuotaChecker
) -> None:
    assign(tiers, QuotaAssignmentType.DEFAULT_TIER, "tier_default")
    for fault in FAULTS:
        with inject_fault(costs._client, "GetItem", fault), pytest.raises(fault.error):
            checker.check(ADA)


def test_a_tier_read_failure_does_not_fail_open(tiers: QuotaRepository, checker: QuotaChecker) -> None:
    with inject_fault(tiers._client, "Query", FAULTS[0]), pytest.raises(FAULTS[0].error):
        checker.check(ADA)


def test_event_failures_are_logged_not_raised(
    tiers: QuotaRepository, costs: CostRepository, caplog: pytest.LogCaptureFixture
) -> None:
    # The events table gets a client of its own, so that only its calls fail.
    events = QuotaEventRepository(dynamodb_client(), "quota-events")
    checker = QuotaChecker(QuotaResolver(tiers, cache_ttl_seconds=0), costs, events, clock=Clock(NOW))
    assign(tiers, QuotaAssignmentType.DEFAULT_TIER, "tier_default")
    spend(costs, "10.00")
    with caplog.at_level(logging.ERROR), inject_fault(events._client, "PutItem", FAULTS[1]):
        assert not checker.check(ADA).allowed
    spend(costs, "-0.50", message_id=1)
    with caplog.at_level(logging.ERROR), inject_fault(events._client, "Query", FAULTS[1]):
        assert checker.check(ADA).warning_level == "90%"
    messages = [record.getMessage() for record in caplog.records]
    assert any("could not record a block quota event" in m for m in messages)
    assert any("could not read recent quota warnings" in m for m in messages)


def test_event_listing(events: QuotaEventRepository) -> None:
    for n, (user, tier, kind) in enumerate(
        [("u1", "t1", QuotaEventType.WARNING), ("u1", "t2", QuotaEventType.BLOCK), ("u2", "t1", QuotaEventType.BLOCK)]
    ):
        events.record(
            user_id=user, tier_id=tier, event_type=kind, current_usage=Decimal(1), quota_limit=Decimal(2),
            percentage_used=Decimal(50), timestamp=f"2026-11-2{n}T00:00:00Z",
        )  # fmt: skip
    assert [e.tier_id for e in events.list_events(user_id="u1")] == ["t2", "t1"]
    assert [e.user_id for e in events.list_events(tier_id="t1")] == ["u2", "u1"]
    assert [e.user_id for e in events.list_events(event_type=QuotaEventType.BLOCK)] == ["u2", "u1"]
    assert len(events.list_events(limit=2)) == 2
    assert [e.tier_id for e in events.list_events(user_id="u1", tier_id="t1")] == ["t1"]
    assert events.list_events(user_id="u1", since="2026-11-21T00:00:00Z")[0].tier_id == "t2"
    for fault in FAULTS:
        with inject_fault(events._client, "PutItem", fault), pytest.raises(fault.error):
            events.record(
                user_id="u", tier_id="t", event_type=QuotaEventType.RESET, current_usage=Decimal(0),
                quota_limit=Decimal(1), percentage_used=Decimal(0), timestamp="2026-11-26T00:00:00Z",
            )  # fmt: skip
        with inject_fault(events._client, "Query", fault), pytest.raises(fault.error):
            events.list_events(user_id="u")
        with inject_fault(events._client, "Query", fault), pytest.raises(fault.error):
            events.list_events()
