from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from fastapi.testclient import TestClient

from apis.inference_api.container import build_container
from apis.inference_api.main import create_app
from apis.inference_api.settings import InferenceApiSettings
from apis.shared.assistants import ASSISTANTS_TABLE, LocalKnowledgeBase
from apis.shared.auth import AuthConfig, Authenticator, JwksCache
from apis.shared.aws import s3_client_config
from apis.shared.catalog import (
    MANAGED_MODELS_TABLE,
    ManagedModelCreate,
    ManagedModelRepository,
    ManagedModelService,
    ProviderKind,
)
from apis.shared.composition import AwsClients
from apis.shared.files import USER_FILES_TABLE
from apis.shared.providers import LocalModelProvider, StreamStop, TextDelta, UsageReport
from apis.shared.quota import (
    COST_SUMMARY_TABLE,
    QUOTA_EVENTS_TABLE,
    QUOTAS_TABLE,
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaRepository,
    QuotaTierCreate,
)
from apis.shared.rbac import APP_ROLES_TABLE, AppRoleRepository, seed_system_roles
from apis.shared.sessions import SESSIONS_METADATA_TABLE
from apis.shared.users import USERS_TABLE
from tests.support.aws import dynamodb_client, mocked_aws, table
from tests.support.tokens import AUDIENCE, ISSUER, SigningKey, issue, jwks

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI

    from apis.shared.providers import ModelEvent, ModelRequest

SIGNING_KEY = SigningKey("inference-api-test")
EMPLOYEE = "http://schemas.boisestate.edu/claims/employeenumber"
MODEL_ID = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.fixture
def settings(request: pytest.FixtureRequest) -> InferenceApiSettings:
    """Test settings; ``indirect`` parametrization passes overrides."""
    overrides = getattr(request, "param", {})
    return InferenceApiSettings(environment="test", auth_issuer=ISSUER, auth_audiences=[AUDIENCE],
                                auth_jwks_url="unused", **overrides)  # fmt: skip


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with mocked_aws(monkeypatch):
        client = dynamodb_client()
        tables = {
            "users": USERS_TABLE, "app-roles": APP_ROLES_TABLE, "managed-models": MANAGED_MODELS_TABLE,
            "sessions-metadata": SESSIONS_METADATA_TABLE, "user-files": USER_FILES_TABLE,
            "assistants": ASSISTANTS_TABLE, "user-quotas": QUOTAS_TABLE, "quota-events": QUOTA_EVENTS_TABLE,
            "user-cost-summary": COST_SUMMARY_TABLE,
        }  # fmt: skip
        for name, definition in tables.items():
            table(client, name, definition)
        seed_system_roles(AppRoleRepository(client, "app-roles"))
        yield client


@pytest.fixture
def s3(dynamodb: Any) -> Any:
    client = boto3.client("s3", region_name="us-east-1", config=s3_client_config())
    client.create_bucket(Bucket="user-files")
    client.create_bucket(Bucket="rag-documents")
    return client


@pytest.fixture
def managed_model(dynamodb: Any) -> Any:
    """The catalogue entry of the default model, open to the JWT role Faculty, priced."""
    return ManagedModelService(ManagedModelRepository(dynamodb, "managed-models")).create(
        ManagedModelCreate(
            model_id=MODEL_ID,
            model_name="Claude Haiku 4.5",
            provider=ProviderKind.BEDROCK,
            provider_name="Anthropic",
            input_modalities=["TEXT"],
            output_modalities=["TEXT"],
            max_input_tokens=200_000,
            max_output_tokens=4096,
            available_to_roles=["Faculty"],
            input_price_per_million_tokens=Decimal(1),
            output_price_per_million_tokens=Decimal(5),
            supports_caching=True,
        )
    )


@pytest.fixture
def quotas(dynamodb: Any) -> QuotaRepository:
    repository = QuotaRepository(dynamodb, "user-quotas")
    repository.create_tier(QuotaTierCreate(tier_id="tier_basic", tier_name="Basic", monthly_cost_limit=Decimal(10)),
                           created_by="test")  # fmt: skip
    repository.create_assignment(QuotaAssignmentCreate(tier_id="tier_basic",
                                                       assignment_type=QuotaAssignmentType.DEFAULT_TIER),
                                 created_by="test")  # fmt: skip
    return repository


@pytest.fixture
def knowledge_base() -> LocalKnowledgeBase:
    return LocalKnowledgeBase(":memory:")


@pytest.fixture
def model() -> Any:
    """The deterministic local model; tests swap in scripted or failing ones."""
    return LocalModelProvider(environment="test")


class RecordingModel:
    """Answers "Answer N" with a fixed usage report and keeps every request it got."""

    name = "recording"

    def __init__(self) -> None:
        self.requests: list[ModelRequest] = []

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        self.requests.append(request)
        yield TextDelta(f"Answer {len(self.requests)}")
        yield StreamStop("end_turn")
        yield UsageReport(input_tokens=1_000_000, output_tokens=200_000, latency_ms=30)


def make_app(settings: InferenceApiSettings, dynamodb: Any, s3: Any, knowledge_base: Any, model: Any,
             bedrock: Any = None) -> FastAPI:  # fmt: skip
    config = AuthConfig(issuer=ISSUER, audiences=(AUDIENCE,), jwks_url="unused")
    authenticator = Authenticator(config, keys=JwksCache(lambda: jwks(SIGNING_KEY)))
    container = build_container(
        settings,
        clients=AwsClients(dynamodb=dynamodb, s3=s3, bedrock_runtime=bedrock),
        authenticator=authenticator,
        knowledge_base=knowledge_base,
        model_provider=model,
    )
    return create_app(settings, container=container)


@pytest.fixture
def app(settings: InferenceApiSettings, dynamodb: Any, s3: Any, managed_model: Any, quotas: Any,
        knowledge_base: Any, model: Any) -> FastAPI:  # fmt: skip
    return make_app(settings, dynamodb, s3, knowledge_base, model)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def person(employee_number: str, email: str, *roles: str) -> dict[str, str]:
    token = issue(SIGNING_KEY, **{EMPLOYEE: employee_number, "email": email, "roles": list(roles) or ["Faculty"]})
    return {"Authorization": f"Bearer {token}"}


ADA = person("111111111", "ada@example.edu")
BOB = person("222222222", "bob@example.edu")


def chat(client: TestClient, headers: dict[str, str] = ADA, **body: Any) -> Any:
    """POST /invocations exactly as the web client does."""
    payload = {"message": "Hello there", "session_id": "s1", "model_id": MODEL_ID, "provider": "bedrock",
               "enabled_tools": [], **body}  # fmt: skip
    return client.post("/invocations", params={"qualifier": "DEFAULT"}, json=payload,
                       headers={**headers, "Accept": "text/event-stream"})  # fmt: skip
