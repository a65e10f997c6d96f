"""Admission alone: the provider rule, the model through the meter, and the quota's decision as stream events."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

import pytest

from apis.inference_api.chat.admission import ModelChoice, TurnAdmission
from apis.inference_api.chat.models import InvocationRequest
from apis.shared.catalog import ResolvedModel
from apis.shared.errors import BadRequestError
from apis.shared.quota import QuotaCheckResult
from tests.inference_api.chat.conftest import ADA, FakeQuota, meter, question
from tests.inference_api.conftest import MODEL_ID

DEFAULT = "the-default-model"


class Catalogue:
    """Resolves every model as itself, free, and keeps what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str | None, str, list[str]]] = []

    def resolve_for_call(self, user: Any, permissions: Any, model_id: str | None, *, default_model_id: str,
                         free_model_ids: Any) -> ResolvedModel:  # fmt: skip
        self.asked.append((model_id, default_model_id, permissions.app_roles))
        return ResolvedModel(model_id=model_id or default_model_id, managed=None, free=True)


class Roles:
    def resolve_user_permissions(self, user: Any) -> Any:
        return SimpleNamespace(app_roles=["researchers", "faculty"])


def body(**fields: Any) -> InvocationRequest:
    return InvocationRequest.model_validate({"session_id": "s1", "message": "Hello there", **fields})


def admission(dynamodb: Any, quota: FakeQuota | None = None) -> tuple[TurnAdmission, Catalogue]:
    catalogue = Catalogue()
    step = TurnAdmission(app_roles=cast("Any", Roles()), meter=meter(dynamodb, quota, managed_models=catalogue),
                         default_model_id=DEFAULT)  # fmt: skip
    return step, catalogue


@pytest.mark.parametrize("provider", ["openai", "gemini"])
def test_a_provider_the_platform_does_not_run_is_a_400_before_the_catalogue(dynamodb: Any, provider: str) -> None:
    step, catalogue = admission(dynamodb)
    with pytest.raises(BadRequestError) as refused:
        step.choose_model(ADA, body(provider=provider, model_id=MODEL_ID))
    assert (refused.value.status_code, refused.value.message, refused.value.field) == (
        400, f"The {provider} provider is not available on this platform", "provider")  # fmt: skip
    assert catalogue.asked == []


@pytest.mark.parametrize(("model_id", "provider", "resolved"), [(MODEL_ID, "bedrock", MODEL_ID), (None, None, DEFAULT)])
def test_the_named_model_or_the_default_is_resolved_with_the_callers_roles(
    dynamodb: Any, model_id: str | None, provider: str | None, resolved: str
) -> None:
    step, catalogue = admission(dynamodb)
    choice = step.choose_model(ADA, body(model_id=model_id, provider=provider))
    assert catalogue.asked == [(model_id, DEFAULT, ["researchers", "faculty"])]
    assert choice == ModelChoice(ResolvedModel(model_id=resolved, managed=None, free=True), ("researchers", "faculty"))


def test_without_quota_enforcement_a_call_is_admitted_with_no_events(dynamodb: Any) -> None:
    step, _ = admission(dynamodb)
    choice = ModelChoice(ResolvedModel(model_id=MODEL_ID, managed=None, free=True), ("researchers",))
    admitted = step.admit(ADA, choice, question())
    assert (admitted.call.allowed, admitted.quota_warning, admitted.quota_exceeded) == (True, None, None)
    assert admitted.call.request == question()


def test_a_call_near_the_limit_carries_the_warning_and_reserves_under_the_callers_roles(dynamodb: Any) -> None:
    quota = FakeQuota(
        QuotaCheckResult(
            allowed=True,
            message="ok",
            current_usage=Decimal(9),
            quota_limit=Decimal(10),
            percentage_used=Decimal(90),
            remaining=Decimal(1),
            warning_level="90%",
        )
    )
    step, _ = admission(dynamodb, quota)
    choice = ModelChoice(ResolvedModel(model_id=MODEL_ID, managed=None, free=True), ("researchers",))
    admitted = step.admit(ADA, choice, question())
    assert quota.admitted == [(("researchers",), Decimal(0))]  # a free model's bound costs nothing
    assert admitted.quota_exceeded is None and admitted.quota_warning is not None
    assert admitted.quota_warning.message == "You have used 90% of your quota ($9.00 / $10.00)"
    assert admitted.call.allowed is True


def test_a_call_the_quota_refuses_is_returned_with_the_exceeded_event_not_raised(dynamodb: Any) -> None:
    quota = FakeQuota(QuotaCheckResult(allowed=False, message="over", current_usage=Decimal(10),
                                       quota_limit=Decimal(10), percentage_used=Decimal(100), remaining=Decimal(0),
                                       warning_level="100%"))  # fmt: skip
    step, _ = admission(dynamodb, quota)
    choice = ModelChoice(ResolvedModel(model_id=MODEL_ID, managed=None, free=True), ())
    admitted = step.admit(ADA, choice, question())
    assert admitted.call.allowed is False and admitted.quota_warning is None
    assert admitted.quota_exceeded is not None
    assert (admitted.quota_exceeded.current_usage, admitted.quota_exceeded.quota_limit) == (Decimal(10), Decimal(10))
