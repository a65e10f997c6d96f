from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from fastapi.testclient import TestClient

from apis.app_api.container import build_container
from apis.app_api.main import create_app
from apis.app_api.settings import AppApiSettings
from apis.shared.assistants import ASSISTANTS_TABLE, LocalKnowledgeBase
from apis.shared.auth import OIDC_STATE_TABLE, AuthConfig, Authenticator, JwksCache
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
from apis.shared.providers import LocalModelProvider
from apis.shared.quota import COST_SUMMARY_TABLE, QUOTA_EVENTS_TABLE, QUOTAS_TABLE
from apis.shared.rbac import APP_ROLES_TABLE
from apis.shared.sessions import SESSIONS_METADATA_TABLE
from apis.shared.users import USERS_TABLE
from tests.support.aws import dynamodb_client, mocked_aws, table
from tests.support.tokens import AUDIENCE, ISSUER, SigningKey, issue, jwks

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI

SIGNING_KEY = SigningKey("app-api-test")


@pytest.fixture
def settings() -> AppApiSettings:
    return AppApiSettings(environment="test", auth_issuer=ISSUER, auth_audiences=[AUDIENCE], auth_jwks_url="unused")


# Every table app-api's default settings name.
APP_API_TABLES = {
    "users": USERS_TABLE,
    "app-roles": APP_ROLES_TABLE,
    "managed-models": MANAGED_MODELS_TABLE,
    "sessions-metadata": SESSIONS_METADATA_TABLE,
    "user-files": USER_FILES_TABLE,
    "assistants": ASSISTANTS_TABLE,
    "user-quotas": QUOTAS_TABLE,
    "quota-events": QUOTA_EVENTS_TABLE,
    "user-cost-summary": COST_SUMMARY_TABLE,
    "oidc-state": OIDC_STATE_TABLE,
}


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with mocked_aws(monkeypatch):
        client = dynamodb_client()
        for name, definition in APP_API_TABLES.items():
            table(client, name, definition)
        yield client


@pytest.fixture
def s3(dynamodb: Any) -> Any:
    client = boto3.client("s3", region_name="us-east-1", config=s3_client_config())
    client.create_bucket(Bucket="user-files")
    client.create_bucket(Bucket="rag-documents")
    return client


@pytest.fixture
def knowledge_base() -> LocalKnowledgeBase:
    return LocalKnowledgeBase(":memory:")


@pytest.fixture
def model() -> Any:
    """The deterministic local model; tests swap in failing ones."""
    return LocalModelProvider(environment="test")


def make_app(settings: AppApiSettings, dynamodb: Any, s3: Any, knowledge_base: Any, model: Any) -> FastAPI:
    """app-api on moto with the test signing key, the given settings, knowledge base and model."""
    config = AuthConfig(issuer=ISSUER, audiences=(AUDIENCE,), jwks_url="unused")
    authenticator = Authenticator(config, keys=JwksCache(lambda: jwks(SIGNING_KEY)))
    container = build_container(
        settings,
        clients=AwsClients(dynamodb=dynamodb, s3=s3),
        authenticator=authenticator,
        knowledge_base=knowledge_base,
        model_provider=model,
    )
    return create_app(settings, container=container)


@pytest.fixture
def app(settings: AppApiSettings, dynamodb: Any, s3: Any, knowledge_base: LocalKnowledgeBase, model: Any) -> FastAPI:
    return make_app(settings, dynamodb, s3, knowledge_base, model)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def bearer(**claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(SIGNING_KEY, **claims)}"}


ADMIN_ROLE = "Admin"
SYSTEM_ADMIN_ROLE = "DotNetDevelopers"
EMPLOYEE = "http://schemas.boisestate.edu/claims/employeenumber"


def person(employee_number: str, email: str, *roles: str) -> dict[str, str]:
    """Bearer headers of a user with that employee number (their user id), email and JWT roles."""
    return bearer(**{EMPLOYEE: employee_number, "email": email, "roles": list(roles) or ["Faculty"]})


# app-api's default test_chat_model_id.
TEST_CHAT_MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.fixture
def test_chat_model(dynamodb: Any) -> Any:
    return add_test_chat_model(dynamodb)


def add_test_chat_model(dynamodb: Any) -> Any:
    """The test-chat model in the catalogue, open to the JWT role Faculty, priced at $1/$5 a million."""
    return ManagedModelService(ManagedModelRepository(dynamodb, "managed-models")).create(
        ManagedModelCreate(model_id=TEST_CHAT_MODEL, model_name="Claude Haiku 4.5", provider=ProviderKind.BEDROCK,
                           input_modalities=["TEXT"], output_modalities=["TEXT"], max_input_tokens=200_000,
                           max_output_tokens=4096, available_to_roles=["Faculty"],
                           input_price_per_million_tokens=Decimal(1), output_price_per_million_tokens=Decimal(5))
    )  # fmt: skip
