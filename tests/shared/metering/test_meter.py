"""One metering path: resolve through the catalogue, admit (reserve), call, charge what was generated."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.auth import User
from apis.shared.catalog import MANAGED_MODELS_TABLE, ManagedModelRepository, ManagedModelService
from apis.shared.errors import QuotaExceededError
from apis.shared.metering import (
    IMAGE_TOKEN_BOUND,
    IMAGE_TOKENS,
    ModelMeter,
    cost_bound,
    estimated_input_tokens,
    estimated_tokens,
    input_token_bound,
)
from apis.shared.providers import (
    ChatTurn,
    ImageBlock,
    ModelRequest,
    ModelThrottledError,
    StreamStop,
    TextBlock,
    TextDelta,
    UsageReport,
)
from apis.shared.quota import (
    COST_RECORDS_TABLE,
    COST_SUMMARY_TABLE,
    QUOTA_EVENTS_TABLE,
    QUOTAS_TABLE,
    CostRecord,
    CostRepository,
    PricingSnapshot,
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaChecker,
    QuotaEventRepository,
    QuotaRepository,
    QuotaReservationRepository,
    QuotaResolver,
    QuotaTierCreate,
    TokenUsage,
)
from apis.shared.rbac import APP_ROLES_TABLE, AppRoleCache, AppRoleRepository, AppRoleService, seed_system_roles
from tests.shared.catalog.test_managed_models import create_data
from tests.support.aws import table
from tests.support.faults import FAULTS, inject_fault

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apis.shared.providers import ModelEvent

ADA = User("111111111", "ada@example.edu", "Ada", roles=("Faculty",))
MODEL = "us.anthropic.claude-haiku"
MONTH = datetime.now(tz=UTC).strftime("%Y-%m")


class Scripted:
    """Yields its events in order; raises ``error`` after them when given."""

    name = "scripted"

    def __init__(self, *events: ModelEvent, error: Exception | None = None) -> None:
        self.events = events
        self.error = error
        self.requests: list[ModelRequest] = []

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        self.requests.append(request)
        yield from self.events
        if self.error is not None:
            raise self.error


@pytest.fixture
def costs(dynamodb: Any) -> CostRepository:
    return CostRepository(dynamodb, summary_table=table(dynamodb, "user-cost-summary", COST_SUMMARY_TABLE),
                          records_table=table(dynamodb, "sessions-metadata", COST_RECORDS_TABLE),
                          sleep=lambda seconds: None)  # fmt: skip


@pytest.fixture
def reservations(dynamodb: Any, costs: CostRepository) -> QuotaReservationRepository:
    return QuotaReservationRepository(dynamodb, "user-cost-summary")


@pytest.fixture
def meter(dynamodb: Any, costs: CostRepository, reservations: QuotaReservationRepository) -> ModelMeter:
    roles = AppRoleRepository(dynamodb, table(dynamodb, "app-roles", APP_ROLES_TABLE))
    seed_system_roles(roles)
    app_roles = AppRoleService(roles, AppRoleCache())
    models = ManagedModelService(ManagedModelRepository(dynamodb, table(dynamodb, "managed-models",
                                                                        MANAGED_MODELS_TABLE)), app_roles)  # fmt: skip
    models.create(
        create_data(
            MODEL,
            available_to_roles=["Faculty"],
            max_output_tokens=1000,
            input_price_per_million_tokens=Decimal(1),
            output_price_per_million_tokens=Decimal(5),
        )
    )
    quotas = QuotaRepository(dynamodb, table(dynamodb, "user-quotas", QUOTAS_TABLE))
    quotas.create_tier(QuotaTierCreate(tier_id="tier_basic", tier_name="Basic", monthly_cost_limit=Decimal(10)),
                       created_by="test")  # fmt: skip
    quotas.create_assignment(QuotaAssignmentCreate(tier_id="tier_basic",
                                                   assignment_type=QuotaAssignmentType.DEFAULT_TIER),
                             created_by="test")  # fmt: skip
    events = QuotaEventRepository(dynamodb, table(dynamodb, "quota-events", QUOTA_EVENTS_TABLE))
    checker = QuotaChecker(QuotaResolver(quotas, cache_ttl_seconds=0), costs, events, reservations=reservations)
    return ModelMeter(managed_models=models, app_roles=app_roles, quota=checker, costs=costs)


def ask(text: str = "Hello") -> Any:
    return lambda model: ModelRequest(model_id=model.model_id, messages=(ChatTurn("user", (TextBlock(text),)),))


def records(costs: CostRepository) -> list[CostRecord]:
    today = datetime.now(tz=UTC).date()
    return costs.user_records(ADA.user_id, today, today)


def test_estimates_are_four_characters_a_token_and_bounds_are_bytes() -> None:
    assert [estimated_tokens(text) for text in ("", "abcd", "abcde")] == [0, 1, 2]
    request = ModelRequest(model_id="m", system_prompt="12345678",
                           messages=(ChatTurn("user", (TextBlock("é" * 8), ImageBlock("png", b"x" * 10))),),
                           max_tokens=100)  # fmt: skip
    assert estimated_input_tokens(request) == 2 + 2 + IMAGE_TOKENS
    assert input_token_bound(request) == 8 + 16 + IMAGE_TOKEN_BOUND
    pricing = PricingSnapshot(model_id="m", input_price_per_million_tokens=Decimal(1),
                              output_price_per_million_tokens=Decimal(5),
                              cache_write_price_per_million_tokens=Decimal(2))  # fmt: skip
    # Every input token at the dearest input price (the cache write), max_tokens at the output price.
    assert cost_bound(request, pricing) == (Decimal(8 + 16 + IMAGE_TOKEN_BOUND) * 2 + 100 * 5) / 1_000_000


def test_a_call_is_bounded_reserved_charged_and_released(
    meter: ModelMeter, costs: CostRepository, reservations: QuotaReservationRepository
) -> None:
    model = Scripted(TextDelta("Hi"), StreamStop("end_turn"), UsageReport(input_tokens=1000, output_tokens=200))
    call = meter.begin(ADA, model_id=None, default_model_id=MODEL, request=ask())
    assert call.allowed and call.request.max_tokens == 1000  # bounded by the model's own limit
    bound = cost_bound(call.request, call.model.pricing)
    assert reservations.reserved(ADA.user_id, MONTH) == bound > 0
    assert [type(event).__name__ for event in call.stream(model)] == ["TextDelta", "StreamStop", "UsageReport"]
    charge = call.record(session_id="s1", message_id=3, purpose="title")
    assert charge is not None and charge.cost == Decimal("0.002") and charge.estimated is False
    assert reservations.reserved(ADA.user_id, MONTH) == 0
    (record,) = records(costs)
    assert (record.session_id, record.message_id, record.purpose, record.estimated) == ("s1", 3, "title", False)
    assert record.usage == TokenUsage(input_tokens=1000, output_tokens=200) and record.cost == Decimal("0.002")
    # Recording again charges nothing twice.
    assert call.record(session_id="s1", message_id=3, purpose="title") == charge
    assert len(records(costs)) == 1


def test_a_call_cut_short_without_usage_is_charged_an_estimate(meter: ModelMeter, costs: CostRepository) -> None:
    model = Scripted(TextDelta("x" * 40), TextDelta("y" * 40), UsageReport(input_tokens=1, output_tokens=1))
    call = meter.begin(ADA, model_id=MODEL, default_model_id="unused", request=ask("q" * 400))
    events = call.stream(model)
    next(events)
    events.close()  # the client left before the usage report
    charge = call.record(session_id="s1", message_id=1, purpose="chat")
    assert charge is not None and charge.estimated is True
    assert charge.usage == TokenUsage(input_tokens=100, output_tokens=10)
    (record,) = records(costs)
    assert record.estimated is True and record.cost == Decimal("0.000150")  # 100 x $1/M + 10 x $5/M


def test_a_call_that_produced_nothing_is_not_charged_and_releases(
    meter: ModelMeter, costs: CostRepository, reservations: QuotaReservationRepository
) -> None:
    call = meter.begin(ADA, model_id=None, default_model_id=MODEL, request=ask())
    with pytest.raises(ModelThrottledError):
        list(call.stream(Scripted(error=ModelThrottledError())))
    assert call.record(session_id="s1", purpose="chat") is None
    assert records(costs) == [] and reservations.reserved(ADA.user_id, MONTH) == 0


def test_a_failed_cost_write_is_raised_and_still_releases(
    meter: ModelMeter, dynamodb: Any, reservations: QuotaReservationRepository
) -> None:
    call = meter.begin(ADA, model_id=None, default_model_id=MODEL, request=ask())
    list(call.stream(Scripted(TextDelta("Hi"), UsageReport(input_tokens=1, output_tokens=1))))
    fault = FAULTS[1]
    with inject_fault(dynamodb, "TransactWriteItems", fault), pytest.raises(fault.error):
        call.record(session_id="s1", purpose="chat")
    assert reservations.reserved(ADA.user_id, MONTH) == 0


def test_an_exhausted_quota_refuses_before_the_call(meter: ModelMeter, costs: CostRepository) -> None:
    costs.record(CostRecord(user_id=ADA.user_id, session_id="earlier", message_id=0, timestamp=datetime.now(tz=UTC)
                            .isoformat(), usage=TokenUsage(), pricing=PricingSnapshot(model_id="m"),
                            cost=Decimal(10)))  # fmt: skip
    model = Scripted(TextDelta("never"))
    call = meter.begin(ADA, model_id=None, default_model_id=MODEL, request=ask())
    assert call.allowed is False
    with pytest.raises(QuotaExceededError) as refused:
        call.refuse_if_over_quota()
    assert refused.value.status_code == 429 and refused.value.code.value == "quota_exceeded"
    assert refused.value.message.startswith("You have reached your usage quota.")
    assert refused.value.metadata == {"currentUsage": 10.0, "quotaLimit": 10.0, "percentageUsed": 100.0,
                                      "periodType": "monthly"}  # fmt: skip
    with pytest.raises(QuotaExceededError):
        next(call.stream(model))
    assert model.requests == []
