"""What the chat steps' tests share: a caller, a priced model, and calls admitted through a real meter."""

from __future__ import annotations

from typing import Any, cast

import pytest

from apis.shared.auth import User
from apis.shared.catalog import ResolvedModel
from apis.shared.metering import MeteredCall, ModelMeter
from apis.shared.providers import ChatTurn, ModelRequest, TextBlock
from apis.shared.quota import CostRepository, QuotaAdmission, QuotaCheckResult
from tests.inference_api.conftest import MODEL_ID

ADA = User("111111111", "ada@example.edu", "Ada", roles=("Faculty",))


class FakeQuota:
    """A quota checker that admits (or refuses) with a fixed result and counts the reservations given back."""

    def __init__(self, result: QuotaCheckResult) -> None:
        self.result = result
        self.admitted: list[tuple[tuple[str, ...], Any]] = []
        self.released = 0

    def admit(self, user: User, app_role_ids: Any = (), *, bound: Any) -> QuotaAdmission:
        self.admitted.append((tuple(app_role_ids), bound))
        return QuotaAdmission(self.result)

    def release(self, admission: QuotaAdmission) -> None:
        self.released += 1


def meter(dynamodb: Any, quota: FakeQuota | None = None, *, managed_models: Any = None) -> ModelMeter:
    """A meter recording costs in moto's tables; the catalogue and the roles are the caller's fakes, if any."""
    costs = CostRepository(dynamodb, summary_table="user-cost-summary", records_table="sessions-metadata")
    return ModelMeter(managed_models=managed_models, app_roles=cast("Any", None), quota=cast("Any", quota),
                      costs=costs)  # fmt: skip


def question(text: str = "Hello there") -> ModelRequest:
    return ModelRequest(model_id=MODEL_ID, messages=(ChatTurn(role="user", content=(TextBlock(text),)),),
                        system_prompt="Be brief.", max_tokens=100)  # fmt: skip


@pytest.fixture
def priced(managed_model: Any) -> ResolvedModel:
    """The catalogue's model: $1 a million input tokens, $5 a million output tokens."""
    return ResolvedModel(model_id=MODEL_ID, managed=managed_model)


@pytest.fixture
def call(dynamodb: Any, priced: ResolvedModel) -> MeteredCall:
    """An admitted call without quota enforcement."""
    return meter(dynamodb).admit(ADA, priced, question(), app_role_ids=())
