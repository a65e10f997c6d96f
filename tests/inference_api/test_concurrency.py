"""Under load, against a moto server: parallel turns of one session, and parallel turns of one user.

One session answers one turn at a time (the others are 409) and its stored
messages always agree with its ``messageCount``; one user's parallel turns are
admitted only while the quota has room for them, reservations included.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from fastapi.testclient import TestClient

from apis.shared.assistants import ASSISTANTS_TABLE
from apis.shared.aws import client_config, create_table, s3_client_config
from apis.shared.catalog import (
    MANAGED_MODELS_TABLE,
    ManagedModelCreate,
    ManagedModelRepository,
    ManagedModelService,
    ProviderKind,
)
from apis.shared.files import USER_FILES_TABLE
from apis.shared.providers import StreamStop, TextDelta, UsageReport
from apis.shared.quota import (
    COST_SUMMARY_TABLE,
    QUOTA_EVENTS_TABLE,
    QUOTAS_TABLE,
    CostRepository,
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaRepository,
    QuotaTierCreate,
)
from apis.shared.rbac import APP_ROLES_TABLE, AppRoleRepository, seed_system_roles
from apis.shared.sessions import SESSIONS_METADATA_TABLE, SessionStore
from apis.shared.users import USERS_TABLE
from tests.inference_api.conftest import MODEL_ID, chat, make_app, person
from tests.support.aws import REGION, serial_moto_server
from tests.support.quota import spent
from tests.support.sse import parse_sse

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from apis.inference_api.settings import InferenceApiSettings
    from apis.shared.providers import ModelEvent, ModelRequest

TABLES = {
    "users": USERS_TABLE, "app-roles": APP_ROLES_TABLE, "managed-models": MANAGED_MODELS_TABLE,
    "sessions-metadata": SESSIONS_METADATA_TABLE, "user-files": USER_FILES_TABLE, "assistants": ASSISTANTS_TABLE,
    "user-quotas": QUOTAS_TABLE, "quota-events": QUOTA_EVENTS_TABLE, "user-cost-summary": COST_SUMMARY_TABLE,
}  # fmt: skip
PARALLEL = 8


class GatedModel:
    """Holds every answer until ``gate`` opens, so the turns admitted overlap with all the others.

    Each answer costs $0.995100 at $1/$5 a million (100 tokens in, 199,000 out).
    """

    name = "gated"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = 0
        self._lock = threading.Lock()

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        with self._lock:
            self.entered += 1
        self.gate.wait(timeout=30)
        yield TextDelta("Answer")
        yield StreamStop("end_turn")
        yield UsageReport(input_tokens=100, output_tokens=199_000)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    """DynamoDB and S3 clients of a moto server that applies one request at a time, as DynamoDB is atomic."""
    for variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with serial_moto_server() as url:
        dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=url,
                                config=client_config(max_pool_connections=32))  # fmt: skip
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=url, config=s3_client_config(addressing_style="path"))
        for name, definition in TABLES.items():
            create_table(dynamodb, name, definition)
        seed_system_roles(AppRoleRepository(dynamodb, "app-roles"))
        models = ManagedModelService(ManagedModelRepository(dynamodb, "managed-models"))
        if models.get_by_model_id(MODEL_ID) is None:
            models.create(ManagedModelCreate(
                model_id=MODEL_ID, model_name="Claude Haiku 4.5", provider=ProviderKind.BEDROCK,
                input_modalities=["TEXT"], output_modalities=["TEXT"], max_input_tokens=200_000,
                max_output_tokens=200_000, available_to_roles=["Faculty"],
                input_price_per_million_tokens=Decimal(1), output_price_per_million_tokens=Decimal(5)))  # fmt: skip
        quotas = QuotaRepository(dynamodb, "user-quotas")
        if not quotas.list_tiers():
            quotas.create_tier(QuotaTierCreate(tier_id="tier_basic", tier_name="Basic",
                                               monthly_cost_limit=Decimal(10)), created_by="test")  # fmt: skip
            quotas.create_assignment(QuotaAssignmentCreate(tier_id="tier_basic",
                                                           assignment_type=QuotaAssignmentType.DEFAULT_TIER),
                                     created_by="test")  # fmt: skip
        yield dynamodb, s3


def in_parallel(send: Callable[[int], Any], model: GatedModel) -> list[Any]:
    """Send ``PARALLEL`` requests at once; open the model's gate once every one is answered or waiting in it."""
    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = [pool.submit(send, n) for n in range(PARALLEL)]
        deadline = time.monotonic() + 60
        while model.entered + sum(future.done() for future in futures) < PARALLEL and time.monotonic() < deadline:
            time.sleep(0.02)
        model.gate.set()
        return [future.result() for future in futures]


def test_parallel_turns_of_one_session_are_answered_one_at_a_time(
    server: tuple[Any, Any], settings: InferenceApiSettings, knowledge_base: Any
) -> None:
    dynamodb, s3 = server
    model = GatedModel()
    app = make_app(settings, dynamodb, s3, knowledge_base, model)
    ada = person("555555551", "ada@example.edu")
    with TestClient(app, raise_server_exceptions=False) as client:
        responses = in_parallel(lambda n: chat(client, ada, session_id="one", message=f"Question {n}"), model)
        answered = [response for response in responses if response.status_code == 200]
        refused = [response for response in responses if response.status_code == 409]
        assert (len(answered), len(refused)) == (1, PARALLEL - 1)
        assert [frame.event for frame in parse_sse(answered[0].text)][-1] == "done"
        for response in refused:
            error = response.json()["error"]
            assert error["code"] == "conflict"
            assert error["message"] == "A reply is still being written in this conversation; wait for it to finish"
        store = SessionStore(dynamodb, "sessions-metadata")
        messages = store.list_messages("one", "555555551").messages
        session = store.get("one", "555555551")
        assert session is not None and session.message_count == len(messages) == 2
        assert [message.role for message in messages] == ["user", "assistant"]
        # The turn is over: the session takes the next one.
        model.gate.set()
        assert [frame.event for frame in parse_sse(chat(client, ada, session_id="one").text)][-1] == "done"
        messages = store.list_messages("one", "555555551").messages
        assert store.get("one", "555555551").message_count == len(messages) == 4


def test_parallel_turns_of_one_user_spend_no_more_than_the_quota_left(
    server: tuple[Any, Any], settings: InferenceApiSettings, knowledge_base: Any
) -> None:
    dynamodb, s3 = server
    costs = CostRepository(dynamodb, summary_table="user-cost-summary", records_table="sessions-metadata")
    month = datetime.now(tz=UTC).strftime("%Y-%m")
    spent(dynamodb, "555555552", 6)
    model = GatedModel()
    app = make_app(settings, dynamodb, s3, knowledge_base, model)
    bob = person("555555552", "bob@example.edu")
    with TestClient(app, raise_server_exceptions=False) as client:
        # Each turn is bounded at max_tokens 200,000 x $5/M = $1 plus its input: $4 left holds four of them.
        responses = in_parallel(lambda n: chat(client, bob, session_id=f"user-{n}", max_tokens=200_000), model)
    endings = [[frame.event for frame in parse_sse(response.text)] for response in responses]
    assert all(response.status_code == 200 for response in responses)
    answered = [names for names in endings if names[-3:] == ["metadata", "metadata", "done"]]
    refused = [names for names in endings if names[-2:] == ["quota_exceeded", "done"]]
    assert (len(answered), len(refused)) == (4, PARALLEL - 4)
    assert costs.current_usage("555555552", month) == Decimal(6) + 4 * Decimal("0.9951")
    summary = costs.summary("555555552", month)
    assert summary.total_requests == 1 + 4
