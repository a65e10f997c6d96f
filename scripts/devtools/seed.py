"""Create the platform's tables on the embedded AWS endpoint and seed what every deployment needs.

Idempotent: tables, roles and the default tier are created only when missing.
Seeded: the system roles (``system_admin``, ``default``), the quota tier
``tier_basic`` and a ``default_tier`` assignment to it; the buckets' CORS rules
that let the web client's local origins PUT to presigned URLs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.exceptions import ClientError

from apis.shared.assistants import ASSISTANTS_TABLE
from apis.shared.auth import OIDC_STATE_TABLE
from apis.shared.aws import client_config, client_error_code, create_table
from apis.shared.catalog import (
    MANAGED_MODELS_TABLE,
    ManagedModelCreate,
    ManagedModelRepository,
    ManagedModelService,
    ProviderKind,
)
from apis.shared.files import USER_FILES_TABLE
from apis.shared.quota import (
    COST_RECORDS_TABLE,
    COST_SUMMARY_TABLE,
    QUOTA_EVENTS_TABLE,
    QUOTAS_TABLE,
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaRepository,
    QuotaTierCreate,
)
from apis.shared.rbac import APP_ROLES_TABLE, DEFAULT_QUOTA_TIER, AppRoleRepository, seed_system_roles
from apis.shared.users import USERS_TABLE
from devtools.aws import AWS_DEV_ENVIRONMENT
from devtools.web_client import web_origins

if TYPE_CHECKING:
    from collections.abc import Sequence

    from apis.shared.aws import TableDefinition
    from devtools.config import Config

__all__ = [
    "DEV_TABLES",
    "INGESTION_QUEUE",
    "allow_browser_uploads",
    "browser_cors_rules",
    "ingestion_queue_url",
    "seed",
]

# Table names of the local stack; the services get them through their settings.
DEV_TABLES: dict[str, TableDefinition] = {
    "users": USERS_TABLE,
    "app-roles": APP_ROLES_TABLE,
    "oidc-state": OIDC_STATE_TABLE,
    "user-quotas": QUOTAS_TABLE,
    "quota-events": QUOTA_EVENTS_TABLE,
    "user-cost-summary": COST_SUMMARY_TABLE,
    "sessions-metadata": COST_RECORDS_TABLE,
    "managed-models": MANAGED_MODELS_TABLE,
    "user-files": USER_FILES_TABLE,
    "assistants": ASSISTANTS_TABLE,
}

DEFAULT_TIER = QuotaTierCreate(
    tier_id=DEFAULT_QUOTA_TIER,
    tier_name="Basic",
    description="Everyone without another assignment",
    monthly_cost_limit=Decimal("10.00"),
)


DEV_BUCKETS = ("user-files", "rag-documents")
DOCUMENTS_BUCKET = "rag-documents"
# S3 tells this queue about every document upload, as in production; the worker reads it.
INGESTION_QUEUE = "document-ingestion"


# The web client PUTs files and documents straight to presigned URLs from the browser (XHR, with
# only Content-Type), so S3 must answer its preflight; deployed buckets carry the same rule for
# the deployed origin. ETag is exposed for clients that read it after an upload.
def browser_cors_rules(origins: Sequence[str]) -> list[dict[str, Any]]:
    """The buckets' CORS rules for the web client on ``origins``."""
    return [
        {
            "AllowedOrigins": list(origins),
            "AllowedMethods": ["PUT", "GET", "HEAD"],
            "AllowedHeaders": ["Content-Type"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 3000,
        }
    ]


# One enabled model, visible to the development user (JWT role "Developer");
# in development the inference API answers it with the local model.
DEV_MODEL = ManagedModelCreate(
    model_id="us.anthropic.claude-haiku-4-5-20251001-v1:0",
    model_name="Claude Haiku 4.5",
    provider=ProviderKind.BEDROCK,
    provider_name="Anthropic",
    input_modalities=["TEXT", "IMAGE", "DOCUMENT"],
    output_modalities=["TEXT"],
    max_input_tokens=200_000,
    max_output_tokens=8192,
    available_to_roles=["Developer"],
    input_price_per_million_tokens=Decimal("1.00"),
    output_price_per_million_tokens=Decimal("5.00"),
    cache_write_price_per_million_tokens=Decimal("1.25"),
    cache_read_price_per_million_tokens=Decimal("0.10"),
)
# The title model (app-api's default title_model_id): titles are metered like any call, so the
# model must be in the catalogue, open to the caller and priced. Answered by the local model too.
DEV_TITLE_MODEL = ManagedModelCreate(
    model_id="us.amazon.nova-micro-v1:0",
    model_name="Nova Micro",
    provider=ProviderKind.BEDROCK,
    provider_name="Amazon",
    input_modalities=["TEXT"],
    output_modalities=["TEXT"],
    max_input_tokens=128_000,
    max_output_tokens=5000,
    available_to_roles=["Developer"],
    input_price_per_million_tokens=Decimal("0.035"),
    output_price_per_million_tokens=Decimal("0.14"),
)
DEV_MODELS = (DEV_MODEL, DEV_TITLE_MODEL)


def dynamodb_client(config: Config) -> Any:
    return dev_client(config, "dynamodb")


def dev_client(config: Config, service: Literal["dynamodb", "s3", "sqs"]) -> Any:
    return boto3.client(
        service,
        endpoint_url=config.aws_endpoint_url,
        region_name=AWS_DEV_ENVIRONMENT["AWS_DEFAULT_REGION"],
        aws_access_key_id=AWS_DEV_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_DEV_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        config=client_config(),
    )


def seed(config: Config) -> list[str]:
    """Create missing tables and seed data; return what was created."""
    client = dynamodb_client(config)
    created = [name for name, definition in DEV_TABLES.items() if create_table(client, name, definition)]
    created += [f"role {role_id}" for role_id in seed_system_roles(AppRoleRepository(client, "app-roles"))]
    quotas = QuotaRepository(client, "user-quotas")
    if quotas.get_tier(DEFAULT_TIER.tier_id) is None:
        quotas.create_tier(DEFAULT_TIER, created_by="scripts/dev")
        created.append(f"quota tier {DEFAULT_TIER.tier_id}")
    if not quotas.assignments_of_type(QuotaAssignmentType.DEFAULT_TIER):
        assignment = QuotaAssignmentCreate(
            tier_id=DEFAULT_TIER.tier_id, assignment_type=QuotaAssignmentType.DEFAULT_TIER, priority=0
        )
        quotas.create_assignment(assignment, created_by="scripts/dev")
        created.append("default quota assignment")
    s3 = dev_client(config, "s3")
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    for bucket in DEV_BUCKETS:
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
            created.append(f"bucket {bucket}")
    created += allow_browser_uploads(s3, web_origins())
    created += _wire_document_events(config, s3)
    models = ManagedModelService(ManagedModelRepository(client, "managed-models"))
    for model in DEV_MODELS:
        if models.get_by_model_id(model.model_id) is None:
            models.create(model)
            created.append(f"managed model {model.model_id}")
    return created


def ingestion_queue_url(config: Config) -> str:
    return str(dev_client(config, "sqs").get_queue_url(QueueName=INGESTION_QUEUE)["QueueUrl"])


def allow_browser_uploads(s3: Any, origins: Sequence[str]) -> list[str]:
    """Give each dev bucket the browser upload CORS rules for ``origins`` unless it has them; return what changed."""
    rules = browser_cors_rules(origins)
    changed = []
    for bucket in DEV_BUCKETS:
        if _cors_rules(s3, bucket) != rules:
            s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
            changed.append(f"browser CORS {bucket}")
    return changed


def _cors_rules(s3: Any, bucket: str) -> list[dict[str, Any]]:
    try:
        return list(s3.get_bucket_cors(Bucket=bucket)["CORSRules"])
    except ClientError as error:
        if client_error_code(error) != "NoSuchCORSConfiguration":
            raise
        return []


def _wire_document_events(config: Config, s3: Any) -> list[str]:
    """The documents bucket notifies the ingestion queue of new objects (S3 → SQS, as deployed)."""
    sqs = dev_client(config, "sqs")
    queue_url = sqs.create_queue(QueueName=INGESTION_QUEUE)["QueueUrl"]
    if s3.get_bucket_notification_configuration(Bucket=DOCUMENTS_BUCKET).get("QueueConfigurations"):
        return []
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=DOCUMENTS_BUCKET,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    return [f"document events {DOCUMENTS_BUCKET} -> {INGESTION_QUEUE}"]
