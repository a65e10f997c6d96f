"""The builders both services' containers call: what each builds from a ServiceSettings and explicit clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import Stubber
from pydantic_settings import SettingsConfigDict

from apis.shared.assistants import LocalKnowledgeBase, S3VectorsKnowledgeBase
from apis.shared.auth import AuthConfigurationError, AuthMode
from apis.shared.composition import (
    AwsClients,
    build_authenticator,
    build_clients,
    build_knowledge_base,
    build_model_provider,
)
from apis.shared.providers import (
    BedrockModelProvider,
    ChatTurn,
    LocalModelProvider,
    ModelAccessDeniedError,
    ModelRequest,
    TextBlock,
)
from apis.shared.settings import ServiceSettings
from apis.shared.users import USERS_TABLE, UserRepository
from tests.support.aws import REGION, mocked_aws, table
from tests.support.tokens import AUDIENCE, ISSUER, SigningKey, issue

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ENDPOINT = "http://127.0.0.1:4566"


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_API_")


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with mocked_aws(monkeypatch):
        yield


def test_the_production_configuration_gets_every_client_but_the_queue() -> None:
    clients = build_clients(DemoSettings(aws_region="eu-west-1", model_timeout_seconds=120))
    bedrock: Any = clients.bedrock_runtime
    built: tuple[Any, ...] = (clients.dynamodb, clients.s3, bedrock, clients.s3vectors)
    assert [client.meta.service_model.service_name for client in built] == [
        "dynamodb", "s3", "bedrock-runtime", "s3vectors",
    ]  # fmt: skip
    assert clients.sqs is None
    assert {client.meta.region_name for client in built} == {"eu-west-1"}
    # On AWS: the bucket's own host name (its CORS rules apply to presigned browser uploads).
    assert clients.s3.meta.config.s3["addressing_style"] == "virtual"
    # A streamed answer may pause between events up to the model timeout; two attempts at most.
    assert (bedrock.meta.config.read_timeout, bedrock.meta.config.retries["total_max_attempts"]) == (120, 2)
    assert clients.dynamodb.meta.config.read_timeout == 5.0


def test_a_local_endpoint_gets_path_style_s3_and_every_client_points_at_it() -> None:
    settings = DemoSettings(environment="development", aws_endpoint_url=ENDPOINT, model_provider="local")
    clients = build_clients(settings, with_queue=True)
    queue: Any = clients.sqs
    assert clients.s3.meta.config.s3["addressing_style"] == "path"
    built = (clients.dynamodb, clients.s3, clients.bedrock_runtime, clients.s3vectors, queue)
    assert {client.meta.endpoint_url for client in built if client is not None} == {ENDPOINT}
    assert None not in built
    # Long polls of the queue (up to 20 s) end before the read timeout does.
    assert queue.meta.config.read_timeout == 25.0


@pytest.mark.parametrize(
    ("model_provider", "knowledge_base", "bedrock", "vectors"),
    [("local", "local", False, False), ("bedrock", "local", True, False), ("local", "s3vectors", True, True)],
)
def test_only_the_clients_the_configured_backends_use_are_built(
    model_provider: str, knowledge_base: str, bedrock: bool, vectors: bool
) -> None:
    """Titan embeddings of the S3 Vectors knowledge base call Bedrock even with the local model."""
    settings = DemoSettings(environment="test", model_provider=model_provider,  # type: ignore[arg-type]
                            knowledge_base=knowledge_base)  # type: ignore[arg-type]  # fmt: skip
    clients = build_clients(settings)
    assert (clients.bedrock_runtime is not None, clients.s3vectors is not None, clients.sqs) == (bedrock, vectors, None)


def test_the_local_knowledge_base_is_the_configured_file_in_a_folder_made_for_it(tmp_path: Path) -> None:
    path = tmp_path / "dev" / "stack" / "knowledge-base.sqlite"
    settings = DemoSettings(environment="development", knowledge_base="local", knowledge_base_path=str(path))
    knowledge_base = build_knowledge_base(settings, AwsClients(dynamodb=None, s3=None))
    assert isinstance(knowledge_base, LocalKnowledgeBase)
    assert path.parent.is_dir()


def test_the_s3_vectors_knowledge_base_uses_the_given_client_bucket_and_index() -> None:
    vectors = boto3.client("s3vectors", region_name=REGION)
    settings = DemoSettings(vector_bucket="team-vectors", vector_index="team-index")
    knowledge_base = build_knowledge_base(settings, AwsClients(dynamodb=None, s3=None, s3vectors=vectors))
    assert isinstance(knowledge_base, S3VectorsKnowledgeBase)
    with Stubber(vectors) as stub:
        stub.add_response("delete_vectors", {}, {"vectorBucketName": "team-vectors", "indexName": "team-index",
                                                 "keys": ["DOC-1#0", "DOC-1#1"]})  # fmt: skip
        knowledge_base.delete_document("ast-1", "DOC-1", chunk_count=2)
        stub.assert_no_pending_responses()


def test_the_model_provider_is_bedrock_with_the_given_client_or_the_local_model() -> None:
    bedrock = boto3.client("bedrock-runtime", region_name=REGION)
    provider = build_model_provider(DemoSettings(), AwsClients(dynamodb=None, s3=None, bedrock_runtime=bedrock))
    assert isinstance(provider, BedrockModelProvider)
    with Stubber(bedrock) as stub:
        stub.add_client_error("converse_stream", service_error_code="AccessDeniedException", http_status_code=403)
        # The refusal of the stubbed client, translated: the provider called the client it was given.
        with pytest.raises(ModelAccessDeniedError, match="The platform cannot use the selected model"):
            list(provider.stream(_request()))
        stub.assert_no_pending_responses()
    local = build_model_provider(DemoSettings(environment="test", model_provider="local"), AwsClients(None, None))
    assert isinstance(local, LocalModelProvider)


def _request() -> ModelRequest:
    return ModelRequest(model_id="us.amazon.nova-micro-v1:0", messages=(ChatTurn("user", (TextBlock("hi"),)),))


def test_the_authenticator_carries_every_token_setting() -> None:
    settings = DemoSettings(
        environment="staging", auth_issuer=ISSUER, auth_audiences=[AUDIENCE, "api://other"],
        auth_jwks_url="https://login.example.test/keys", auth_allowed_roles=["Faculty"],
        auth_jwks_stale_grace_seconds=900, auth_share_identity_claim="upn",
        auth_share_identity_requires_email_verified=False,
    )  # fmt: skip
    users = UserRepository(boto3.client("dynamodb", region_name=REGION), "users")
    config = build_authenticator(settings, users).config
    assert (config.issuer, config.audiences, config.jwks_url) == (
        ISSUER, (AUDIENCE, "api://other"), "https://login.example.test/keys",
    )  # fmt: skip
    assert (config.mode, config.environment, config.allowed_roles) == (AuthMode.VERIFY, "staging", ("Faculty",))
    assert (config.jwks_stale_grace_seconds, config.claims.verified_email) == (900, "upn")
    assert (config.verified_email_requires_flag, config.allow_trusted) == (False, False)


def test_trusted_mode_needs_the_callers_allowance() -> None:
    settings = DemoSettings(auth_mode="trusted", auth_issuer=ISSUER, auth_audiences=[AUDIENCE])
    users = UserRepository(boto3.client("dynamodb", region_name=REGION), "users")
    with pytest.raises(AuthConfigurationError, match="this service does not allow it"):
        build_authenticator(settings, users)
    assert build_authenticator(settings, users, allow_trusted=True).config.mode is AuthMode.TRUSTED


def test_each_authenticated_user_is_synced_into_the_given_repository() -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    users = UserRepository(dynamodb, table(dynamodb, "people", USERS_TABLE))
    settings = DemoSettings(auth_mode="trusted", auth_issuer=ISSUER, auth_audiences=[AUDIENCE])
    authenticator = build_authenticator(settings, users, allow_trusted=True)
    user = authenticator.authenticate(issue(SigningKey()))
    authenticator.close()
    profile = users.get(user.user_id)
    assert profile is not None
    assert (profile.user_id, profile.email, profile.name) == ("123456789", "ada.lovelace@example.edu", "Ada Lovelace")
