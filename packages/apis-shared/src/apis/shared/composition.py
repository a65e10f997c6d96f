"""What both services' composition roots build alike: AWS clients, knowledge base, model provider, authenticator.

Each builder takes the service's ``ServiceSettings`` (and the clients or
repositories it needs) and builds exactly what that configuration asks for;
nothing here reads the environment or runs at import time. A service's own
container calls these once at startup and wires its own services around them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import boto3

from apis.shared.assistants import KnowledgeBase, LocalKnowledgeBase, S3VectorsKnowledgeBase
from apis.shared.auth import AuthConfig, Authenticator, AuthMode, ClaimNames
from apis.shared.aws import client_config, s3_client_config
from apis.shared.providers import BedrockModelProvider, LocalModelProvider, ModelProvider
from apis.shared.users import UserSyncService

if TYPE_CHECKING:
    from apis.shared.auth import User
    from apis.shared.settings import ServiceSettings
    from apis.shared.users import UserRepository

__all__ = ["AwsClients", "build_authenticator", "build_clients", "build_knowledge_base", "build_model_provider"]

# A long poll of a queue waits up to 20 s (the most SQS allows) for a message: the read timeout outlasts it.
_QUEUE_READ_TIMEOUT_SECONDS = 25.0


@dataclass
class AwsClients:
    """The boto3 clients of one process; tests pass moto-backed ones."""

    dynamodb: Any
    s3: Any
    bedrock_runtime: Any | None = None
    s3vectors: Any | None = None
    sqs: Any | None = None


def build_clients(settings: ServiceSettings, *, with_queue: bool = False) -> AwsClients:
    """The clients this configuration needs, and no others (SQS only ``with_queue``)."""
    common: dict[str, Any] = {"region_name": settings.aws_region, "endpoint_url": settings.aws_endpoint_url}
    # Path-style against a local endpoint (no bucket subdomains there), virtual-hosted on AWS.
    style: Literal["virtual", "path"] = "path" if settings.aws_endpoint_url else "virtual"
    uses_vectors = settings.knowledge_base == "s3vectors"
    uses_bedrock = settings.model_provider == "bedrock" or uses_vectors
    # A model answer streams for minutes: the read timeout bounds the gap between events.
    model_config = client_config(read_timeout=settings.model_timeout_seconds, max_attempts=2)
    return AwsClients(
        dynamodb=boto3.client("dynamodb", config=client_config(), **common),
        s3=boto3.client("s3", config=s3_client_config(addressing_style=style), **common),
        bedrock_runtime=boto3.client("bedrock-runtime", config=model_config, **common) if uses_bedrock else None,
        s3vectors=boto3.client("s3vectors", config=client_config(), **common) if uses_vectors else None,
        sqs=(
            boto3.client("sqs", config=client_config(read_timeout=_QUEUE_READ_TIMEOUT_SECONDS), **common)
            if with_queue
            else None
        ),
    )


def build_knowledge_base(settings: ServiceSettings, clients: AwsClients) -> KnowledgeBase:
    """The SQLite file of the local stack (its folder created), or S3 Vectors with Titan embeddings."""
    if settings.knowledge_base == "local":
        path = Path(settings.knowledge_base_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return LocalKnowledgeBase(str(path))
    return S3VectorsKnowledgeBase(
        clients.bedrock_runtime, clients.s3vectors, bucket=settings.vector_bucket, index_name=settings.vector_index
    )


def build_model_provider(settings: ServiceSettings, clients: AwsClients) -> ModelProvider:
    """The deterministic local model (development and tests only), or Amazon Bedrock."""
    if settings.model_provider == "local":
        return LocalModelProvider(environment=settings.environment)
    return BedrockModelProvider(clients.bedrock_runtime)


def build_authenticator(
    settings: ServiceSettings, users: UserRepository, *, allow_trusted: bool = False
) -> Authenticator:
    """The token validator of these settings; each authenticated user is synced into ``users``.

    ``allow_trusted`` only for a service behind a JWT authorizer that validates every token
    (``auth_mode=trusted`` is refused otherwise).
    """
    config = AuthConfig(
        issuer=settings.auth_issuer,
        audiences=tuple(settings.auth_audiences),
        jwks_url=settings.auth_jwks_url,
        mode=AuthMode(settings.auth_mode),
        environment=settings.environment,
        allowed_roles=tuple(settings.auth_allowed_roles),
        allow_trusted=allow_trusted,
        jwks_stale_grace_seconds=settings.auth_jwks_stale_grace_seconds,
        claims=ClaimNames(verified_email=settings.auth_share_identity_claim),
        verified_email_requires_flag=settings.auth_share_identity_requires_email_verified,
    )
    sync = UserSyncService(users)

    def sync_user(user: User) -> None:
        sync.sync_from_user(user)

    return Authenticator(config, on_authenticated=sync_user)
