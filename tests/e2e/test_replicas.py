"""Two replicas of each service on one AWS endpoint, as ECS and AgentCore scale them: an admin change made
through app-api replica 1 (an override that blocks, a tier change, an AppRole change) is enforced by both
inference-api replicas and by app-api replica 2 within 5 s, although every replica had the old state cached.

Each replica is its own process (``uv run`` in the service's environment; with ``APIS_SHARED_UNDER_TEST=
editable``, on the working-tree library), all on one moto server, tokens signed by a key whose JWKS this
test serves.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from apis.shared.aws import client_config, create_table
from apis.shared.catalog import ManagedModelCreate, ManagedModelRepository, ManagedModelService, ProviderKind
from apis.shared.quota import (
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaRepository,
    QuotaTierCreate,
)
from apis.shared.rbac import AppRole, AppRoleRepository, EffectivePermissions
from devtools.proc import http_ok
from devtools.seed import DEV_TABLES
from tests.support.quota import spent
from tests.support.sandbox import free_port
from tests.support.sse import parse_sse
from tests.support.tokens import AUDIENCE, EMPLOYEE_CLAIM, ISSUER, SigningKey, issue, jwks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

pytestmark = pytest.mark.slow
logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
MODEL_ID = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
WITHIN_SECONDS = 5.0
SIGNING_KEY = SigningKey("replicas")
BLOCKED, TIERED, RESEARCHER = "300000001", "300000002", "300000003"  # the first two have spent $5 of $10
SERVICES = {"app-api": ("APP_API_", "apis.app_api", "/health"),
            "inference-api": ("INFERENCE_API_", "apis.inference_api", "/ping")}  # fmt: skip


@dataclass
class Replica:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Stack:
    aws: str
    apps: list[Replica]
    inferences: list[Replica]


def _serve_jwks() -> tuple[ThreadingHTTPServer, str]:
    body = json.dumps(jwks(SIGNING_KEY)).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/jwks"


def dynamodb(aws: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=aws, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=client_config())  # fmt: skip


def _seed(aws: str) -> None:
    client = dynamodb(aws)
    for name, definition in DEV_TABLES.items():
        create_table(client, name, definition)
    boto3.client("s3", endpoint_url=aws, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket="user-files")  # fmt: skip
    quotas = QuotaRepository(client, "user-quotas")
    for tier_id in ("tier_basic", "tier_direct"):
        quotas.create_tier(QuotaTierCreate(tier_id=tier_id, tier_name=tier_id, monthly_cost_limit=Decimal(10)),
                           created_by="test")  # fmt: skip
    quotas.create_assignment(QuotaAssignmentCreate(tier_id="tier_basic",
                                                   assignment_type=QuotaAssignmentType.DEFAULT_TIER),
                             created_by="test")  # fmt: skip
    quotas.create_assignment(QuotaAssignmentCreate(tier_id="tier_direct", user_id=TIERED,
                                                   assignment_type=QuotaAssignmentType.DIRECT_USER),
                             created_by="test")  # fmt: skip
    ManagedModelService(ManagedModelRepository(client, "managed-models")).create(ManagedModelCreate(
        model_id=MODEL_ID, model_name="Claude Haiku 4.5", provider=ProviderKind.BEDROCK, provider_name="Anthropic",
        input_modalities=["TEXT"], output_modalities=["TEXT"], max_input_tokens=200_000, max_output_tokens=1024,
        available_to_roles=["Faculty"], input_price_per_million_tokens=Decimal(1),
        output_price_per_million_tokens=Decimal(5),
    ))  # fmt: skip
    # Researchers reach the model only through this AppRole.
    AppRoleRepository(client, "app-roles").create(AppRole(
        role_id="researchers", display_name="Researchers", jwt_role_mappings=["Researcher"],
        granted_models=[MODEL_ID], effective_permissions=EffectivePermissions(models=[MODEL_ID]),
        created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z", created_by="test",
    ))  # fmt: skip
    for user_id in (BLOCKED, TIERED):
        spent(client, user_id, 5, model_id=MODEL_ID)


def _command(service: str) -> list[str]:
    uv = os.environ.get("APIS_UV") or shutil.which("uv") or str(ROOT / ".local" / "tools" / "bin" / "uv")
    editable = ["--with-editable", str(ROOT / "packages" / "apis-shared")]
    under_test = editable if os.environ.get("APIS_SHARED_UNDER_TEST") == "editable" else []
    _, module, _ = SERVICES[service]
    return [uv, "run", "--locked", "--quiet", "--project", str(ROOT / "services" / service), *under_test,
            "python", "-m", module]  # fmt: skip


def _start(service: str, number: int, aws: str, jwks_url: str, scratch: Path) -> Replica:
    prefix, _, _ = SERVICES[service]
    port = free_port()
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("APP_API_", "INFERENCE_API_", "AWS_", "VIRTUAL_ENV"))}  # fmt: skip
    environment |= {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        f"{prefix}ENVIRONMENT": "test", f"{prefix}PORT": str(port), f"{prefix}LOG_JSON": "false",
        f"{prefix}LOG_LEVEL": "WARNING", f"{prefix}AWS_ENDPOINT_URL": aws,
        f"{prefix}AUTH_ISSUER": ISSUER, f"{prefix}AUTH_AUDIENCES": json.dumps([AUDIENCE]),
        f"{prefix}AUTH_JWKS_URL": jwks_url, f"{prefix}MODEL_PROVIDER": "local", f"{prefix}KNOWLEDGE_BASE": "local",
        f"{prefix}KNOWLEDGE_BASE_PATH": str(scratch / f"{service}-{number}.sqlite"),
        f"{prefix}CACHE_VERSION_CHECK_SECONDS": "1",
    }  # fmt: skip
    log = scratch / f"{service}-{number}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(_command(service), cwd=ROOT, env=environment, stdout=output,
                                   stderr=subprocess.STDOUT)  # fmt: skip
    return Replica(f"{service} {number}", f"http://127.0.0.1:{port}", process, log)


def _wait_ready(replicas: list[Replica], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    for replica in replicas:
        health = SERVICES[replica.name.split()[0]][2]
        while not http_ok(replica.url + health):
            if replica.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{replica.name} did not start:\n{replica.log.read_text()[-4000:]}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    scratch = tmp_path_factory.mktemp("replicas")
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    moto.start()
    jwks_server, jwks_url = _serve_jwks()
    host, port = moto.get_host_and_port()
    aws = f"http://{host}:{port}"
    replicas: list[Replica] = []
    try:
        _seed(aws)
        replicas = [_start(service, number, aws, jwks_url, scratch)
                    for service in ("app-api", "inference-api") for number in (1, 2)]  # fmt: skip
        _wait_ready(replicas)
        yield Stack(aws, apps=replicas[:2], inferences=replicas[2:])
    finally:
        for replica in replicas:
            replica.process.terminate()
        for replica in replicas:
            try:
                replica.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                replica.process.kill()
        jwks_server.shutdown()
        jwks_server.server_close()
        moto.stop()


# ---------------------------------------------------------------- people and calls


def token(user_id: str, *roles: str) -> str:
    return issue(SIGNING_KEY, **{EMPLOYEE_CLAIM: user_id, "email": f"u{user_id}@example.edu", "roles": list(roles)})


ADMIN = token("300000009", "Admin", "DotNetDevelopers")


def request(method: str, url: str, bearer: str, body: Any = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers),
                                    timeout=30) as response:  # fmt: skip
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def chat(inference: Replica, bearer: str) -> tuple[int, str]:
    """One turn, as the web client sends it, in a new session (a session takes one turn at a time)."""
    body = {"message": "Hello", "session_id": str(uuid.uuid4()), "model_id": MODEL_ID, "provider": "bedrock",
            "enabled_tools": []}  # fmt: skip
    return request("POST", f"{inference.url}/invocations?qualifier=DEFAULT", bearer, body)


def answered(reply: tuple[int, str]) -> bool:
    status, text = reply
    events = [frame.event for frame in parse_sse(text)] if status == 200 else []
    return status == 200 and "quota_exceeded" not in events and events[-1:] == ["done"]


def refused_for_quota(reply: tuple[int, str]) -> bool:
    """The conversational refusal: a 200 stream whose turn is the ``quota_exceeded`` event."""
    status, text = reply
    return status == 200 and "quota_exceeded" in [frame.event for frame in parse_sse(text)]


def refused_the_model(reply: tuple[int, str]) -> bool:
    status, text = reply
    return status == 403 and json.loads(text)["error"]["code"] == "forbidden"


def seconds_until(check: Callable[[], bool], since: float) -> float:
    """When ``check`` first held, counted from ``since`` to the start of the call that saw it."""
    while True:
        started = time.monotonic()
        if check():
            return started - since
        if started - since > WITHIN_SECONDS + 10:
            return started - since
        time.sleep(0.2)


def assert_everywhere_within(since: float, checks: dict[str, Callable[[], bool]]) -> None:
    delays = {name: round(seconds_until(check, since), 2) for name, check in checks.items()}
    logger.info("seconds until the change was enforced: %s", delays)
    assert all(delay <= WITHIN_SECONDS for delay in delays.values()), delays


# ---------------------------------------------------------------- the tests


def test_an_override_that_blocks_reaches_every_replica(stack: Stack) -> None:
    user = token(BLOCKED, "Faculty")
    quota_url = f"{stack.apps[1].url}/admin/quota/users/{BLOCKED}?roles=Faculty"
    assert all(answered(chat(replica, user)) for replica in stack.inferences), "cached as allowed"
    assert json.loads(request("GET", quota_url, ADMIN)[1])["matchedBy"] == "default_tier"
    status, _ = request("POST", f"{stack.apps[0].url}/admin/quota/overrides", ADMIN, {
        "userId": BLOCKED, "overrideType": "custom_limit", "monthlyCostLimit": 1, "reason": "blocked",
        "validFrom": "2020-01-01T00:00:00Z", "validUntil": "2099-01-01T00:00:00Z",
    })  # fmt: skip
    done = time.monotonic()
    assert status == 201
    assert_everywhere_within(done, {
        **{replica.name: lambda r=replica: refused_for_quota(chat(r, user)) for replica in stack.inferences},
        stack.apps[1].name: lambda: json.loads(request("GET", quota_url, ADMIN)[1])["matchedBy"] == "override",
    })  # fmt: skip


def test_a_tier_change_reaches_every_replica(stack: Stack) -> None:
    user = token(TIERED, "Faculty")
    quota_url = f"{stack.apps[1].url}/admin/quota/users/{TIERED}?roles=Faculty"
    assert all(answered(chat(replica, user)) for replica in stack.inferences)
    assert json.loads(request("GET", quota_url, ADMIN)[1])["quotaLimit"] == 10
    status, _ = request("PATCH", f"{stack.apps[0].url}/admin/quota/tiers/tier_direct", ADMIN,
                        {"monthlyCostLimit": 2})  # fmt: skip
    done = time.monotonic()
    assert status == 200
    assert_everywhere_within(done, {
        **{replica.name: lambda r=replica: refused_for_quota(chat(r, user)) for replica in stack.inferences},
        stack.apps[1].name: lambda: json.loads(request("GET", quota_url, ADMIN)[1])["quotaLimit"] == 2,
    })  # fmt: skip


def test_an_app_role_change_reaches_every_replica(stack: Stack) -> None:
    user = token(RESEARCHER, "Researcher")

    def listed() -> list[str]:
        return [model["modelId"] for model in json.loads(request("GET", f"{stack.apps[1].url}/models", user)[1])[
            "models"]]  # fmt: skip

    assert all(answered(chat(replica, user)) for replica in stack.inferences)
    assert listed() == [MODEL_ID]
    status, _ = request("PATCH", f"{stack.apps[0].url}/admin/roles/researchers", ADMIN, {"grantedModels": []})
    done = time.monotonic()
    assert status == 200
    assert_everywhere_within(done, {
        **{replica.name: lambda r=replica: refused_the_model(chat(r, user)) for replica in stack.inferences},
        stack.apps[1].name: lambda: listed() == [],
    })  # fmt: skip
