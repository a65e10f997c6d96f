"""`scripts/dev` from a clean checkout: index, AWS endpoint and both services answer, then stop cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import TYPE_CHECKING, Any

import boto3

from apis.shared.quota import QuotaAssignmentType, QuotaRepository
from apis.shared.rbac import AppRoleRepository
from devtools.proc import http_ok
from tests.support.oidc_browser import Response, send, sign_in

if TYPE_CHECKING:
    from tests.support.sandbox import Sandbox


def get_json(url: str, token: str | None = None) -> tuple[Any, str | None]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
        return json.load(response), response.headers.get("X-Request-ID")


def status_of(url: str, token: str | None = None) -> int:
    try:
        get_json(url, token)
    except urllib.error.HTTPError as error:
        return error.code
    return 200


def assert_seeded(endpoint: str) -> None:
    client = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    assert {"users", "app-roles", "user-quotas", "quota-events", "user-cost-summary"} <= set(
        client.list_tables()["TableNames"]
    )
    roles = AppRoleRepository(client, "app-roles")
    assert roles.get_or_raise("system_admin").is_system_role
    assert roles.get_or_raise("default").effective_permissions.quota_tier == "tier_basic"
    quotas = QuotaRepository(client, "user-quotas")
    assert quotas.get_tier_or_raise("tier_basic").enabled
    assert quotas.assignments_of_type(QuotaAssignmentType.DEFAULT_TIER)[0].tier_id == "tier_basic"


def call(method: str, url: str, token: str, body: Any = None, raw: bytes | None = None,
         content_type: str = "application/json") -> Any:  # fmt: skip
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with urllib.request.urlopen(
        urllib.request.Request(url, data=data, method=method, headers=headers), timeout=30
    ) as r:
        text = r.read().decode()
        return json.loads(text) if r.headers.get_content_type() == "application/json" else text


def chat_as_the_web_client(app: str, inference: str, token: str) -> None:
    """The client's whole path: a model from /models, an assistant with an ingested document, an uploaded file."""
    model = call("GET", f"{app}/models", token)["models"][0]
    assistant = call("POST", f"{app}/assistants", token, {"name": "Geo", "instructions": "Be brief."})
    documents = f"{app}/assistants/{assistant['assistantId']}/documents"
    text = b"Lake Titicaca lies on the border of Peru and Bolivia."
    upload = call("POST", f"{documents}/upload-url", token,
                  {"filename": "lakes.txt", "contentType": "text/plain", "sizeBytes": len(text)})  # fmt: skip
    call("PUT", upload["uploadUrl"], "", raw=text, content_type="text/plain")  # the browser's S3 PUT
    deadline = time.monotonic() + 30
    while call("GET", f"{documents}/{upload['documentId']}", token)["status"] != "complete":
        assert time.monotonic() < deadline, "the ingestion worker did not process the document"
        time.sleep(0.2)
    session = str(uuid.uuid4())
    notes = b"The lake is 3812 m above sea level."
    attachment = {"sessionId": session, "filename": "notes.txt", "mimeType": "text/plain", "sizeBytes": len(notes)}
    presigned = call("POST", f"{app}/files/presign", token, attachment)
    call("PUT", presigned["presignedUrl"], "", raw=notes, content_type="text/plain")
    call("POST", f"{app}/files/{presigned['uploadId']}/complete", token, {})
    body = {"message": "Where is Lake Titicaca?", "session_id": session, "model_id": model["modelId"],
            "provider": model["provider"], "enabled_tools": [], "file_upload_ids": [presigned["uploadId"]],
            "assistant_id": assistant["assistantId"]}  # fmt: skip
    stream = call("POST", f"{inference}/invocations?qualifier=DEFAULT", token, body)
    events = [line.removeprefix("event: ") for line in stream.splitlines() if line.startswith("event: ")]
    assert events[0] == "citation" and events[-1] == "done" and "content_block_delta" in events
    assert "stream_error" not in events
    messages = call("GET", f"{app}/sessions/{session}/messages", token)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["content"][0]["text"].endswith("[Attached files: notes.txt]")
    # The client titles the conversation after the first answer; a second conversation titled
    # after it once failed (a reservation left 0E-9 behind on the embedded endpoint).
    for _ in range(2):
        title = call("POST", f"{app}/chat/generate-title", token, {"session_id": session, "input": "Titicaca?"})
        assert title["session_id"] == session and title["title"]
    body = {"message": "And its depth?", "session_id": session, "model_id": model["modelId"],
            "provider": model["provider"], "enabled_tools": []}  # fmt: skip
    stream = call("POST", f"{inference}/invocations?qualifier=DEFAULT", token, body)
    events = [line.removeprefix("event: ") for line in stream.splitlines() if line.startswith("event: ")]
    assert events[-1] == "done" and "stream_error" not in events


WEB_CLIENT = "http://localhost:4200"
# A second web client origin, registered through APIS_WEB_ORIGINS when the stack starts.
EXTRA_WEB_CLIENT = "http://localhost:4300"
SCOPE = "openid profile email offline_access"


def envelope(response: Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    assert error.pop("requestId")
    return error


def start_sign_in(app: str, query: str = "prompt=select_account") -> tuple[str, str]:
    """`GET /auth/login` as the web client calls it: the provider's sign-in URL and the state."""
    login = send("GET", f"{app}/auth/login?{query}")
    assert login.status == 200, login.text
    assert set(login.json()) == {"authorization_url", "state"}
    return login.json()["authorization_url"], login.json()["state"]


def code_for(authorization_url: str, user_id: str, callback: str = f"{WEB_CLIENT}/auth/callback") -> str:
    """A person picks ``user_id`` on the provider's page; the browser lands on the client's callback."""
    redirect = sign_in(authorization_url, user_id)
    assert redirect.status == 302, redirect.text
    assert redirect.headers["location"].startswith(f"{callback}?code=")
    return redirect.location_query["code"]


def sign_in_as_the_web_client(app: str, issuer: str) -> list[str]:
    """The whole sign-in of client contract §15 over HTTP: app-api's /auth routes and the local provider.

    Returns the codes, states and tokens it saw, which no log may contain.
    """
    authorization_url, state = start_sign_in(app)
    assert authorization_url.startswith(f"{issuer}/authorize?")
    code = code_for(authorization_url, "100000003")
    exchanged = send("POST", f"{app}/auth/token", body={"code": code, "state": state})
    assert exchanged.status == 200, exchanged.text
    tokens = exchanged.json()
    assert set(tokens) == {"access_token", "refresh_token", "id_token", "token_type", "expires_in", "scope"}
    assert (tokens["token_type"], tokens["expires_in"], tokens["scope"]) == ("Bearer", 3600, SCOPE)
    assert call("GET", f"{app}/sessions", tokens["access_token"])["sessions"] == []

    refreshed = send("POST", f"{app}/auth/refresh", body={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status == 200, refreshed.text
    rotated = refreshed.json()
    assert rotated["refresh_token"] not in (None, tokens["refresh_token"]) and rotated["expires_in"] == 3600
    assert call("GET", f"{app}/sessions", rotated["access_token"])["sessions"] == []
    reused = send("POST", f"{app}/auth/refresh", body={"refresh_token": tokens["refresh_token"]})
    assert (reused.status, envelope(reused)) == (401, {
        "code": "unauthorized", "message": "Invalid or expired refresh token. Please login again.",
        "detail": "invalid_grant: the refresh token is unknown, expired or already used",
    })  # fmt: skip

    # A state is good for one exchange: a second callback with it is refused before the provider is asked.
    other_url, _ = start_sign_in(app)
    replayed = send("POST", f"{app}/auth/token", body={"code": code_for(other_url, "100000001"), "state": state})
    assert (replayed.status, envelope(replayed)) == (400, {
        "code": "bad_request", "message": "Invalid or expired state parameter. Please initiate login again.",
        "field": "state",
    })  # fmt: skip

    # A code of one login with the state of another: app-api sends the other login's verifier.
    first_url, _ = start_sign_in(app)
    _, second_state = start_sign_in(app)
    crossed = send("POST", f"{app}/auth/token", body={"code": code_for(first_url, "100000001"), "state": second_state})
    assert (crossed.status, envelope(crossed)) == (400, {
        "code": "bad_request",
        "message": "Sign-in failed: the identity provider refused the authorization code. Please initiate login again.",
        "detail": "invalid_grant: PKCE verification failed: code_verifier does not match code_challenge",
    })  # fmt: skip

    # A web client on an origin of APIS_WEB_ORIGINS signs in through its own callback.
    extra_url, extra_state = start_sign_in(app, f"redirect_uri={EXTRA_WEB_CLIENT}/auth/callback")
    extra_code = code_for(extra_url, "100000002", callback=f"{EXTRA_WEB_CLIENT}/auth/callback")
    assert send("POST", f"{app}/auth/token", body={"code": extra_code, "state": extra_state}).status == 200

    bearer = {"Authorization": f"Bearer {rotated['access_token']}"}
    for origin in (WEB_CLIENT, f"{EXTRA_WEB_CLIENT}/"):
        logout = send("GET", f"{app}/auth/logout?post_logout_redirect_uri={origin}", headers=bearer)
        assert logout.status == 200, logout.text
        assert logout.json()["logout_url"].startswith(f"{issuer}/logout?client_id=apis-web-dev&")
        ended = send("GET", logout.json()["logout_url"])
        assert (ended.status, ended.headers["location"]) == (302, origin.removesuffix("/"))
    refused = send("GET", f"{app}/auth/logout?post_logout_redirect_uri=https://evil.example", headers=bearer)
    assert (refused.status, envelope(refused)) == (400, {
        "code": "bad_request", "message": "post_logout_redirect_uri is not an allowed post-logout redirect URI",
        "field": "post_logout_redirect_uri",
    })  # fmt: skip
    return [code, state, *(tokens[name] for name in ("access_token", "refresh_token", "id_token")),
            rotated["access_token"], rotated["refresh_token"]]  # fmt: skip


def urls(sandbox: Sandbox) -> dict[str, str]:
    return {
        "app-api": f"http://127.0.0.1:{sandbox.app_api_port}/health",
        "inference-api": f"http://127.0.0.1:{sandbox.inference_api_port}/ping",
        "aws": f"http://127.0.0.1:{sandbox.aws_port}/moto-api/",
        "issuer": f"http://127.0.0.1:{sandbox.issuer_port}/.well-known/jwks.json",
        "worker": f"http://127.0.0.1:{sandbox.worker_port}/health",
        "index": f"http://127.0.0.1:{sandbox.index_port}/health",
    }


def test_detached_stack_serves_and_stops(sandbox: Sandbox) -> None:
    sandbox.script("index", "stop")
    started = sandbox.script("dev", "up", "--detach", env={"APIS_WEB_ORIGINS": EXTRA_WEB_CLIENT})
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        for name in ("app-api", "inference-api"):
            assert f"{name}" in started.stdout and f"(apis-shared {sandbox.pin_of(name)};" in started.stdout
        health, request_id = get_json(urls(sandbox)["app-api"])
        assert health["status"] == "healthy" and health["apisSharedVersion"] == sandbox.pin_of("app-api")
        assert request_id
        ping, _ = get_json(urls(sandbox)["inference-api"])
        assert ping == {"status": "healthy"}
        assert http_ok(urls(sandbox)["aws"])
        assert "seeded the embedded AWS endpoint" in started.stdout
        assert_seeded(f"http://127.0.0.1:{sandbox.aws_port}")
        assert http_ok(urls(sandbox)["index"])
        assert "user token" in started.stdout and "admin token" in started.stdout
        issuer = f"http://127.0.0.1:{sandbox.issuer_port}"
        assert (
            f"  OIDC issuer        {issuer}  (sign-in page {issuer}/authorize for client apis-web-dev)\n"
            in started.stdout
        )
        needs = "; needs APIS_INFERENCE_API_PORT=8001"
        for origin in (WEB_CLIENT, EXTRA_WEB_CLIENT):
            assert f"  web client         {origin}  (sign in at {origin}/auth/login{needs})\n" in started.stdout
        secret = (sandbox.root / ".local" / "dev" / "web-client-secret").read_text().strip()
        assert secret not in started.stdout + started.stderr
        app = f"http://127.0.0.1:{sandbox.app_api_port}"
        user = sandbox.script("dev", "token", check=True).stdout.strip()
        admin = sandbox.script("dev", "token", "--admin", check=True).stdout.strip()
        refused = sandbox.script("dev", "token", "--user", "42")
        assert (refused.returncode, refused.stdout) == (2, "")
        assert refused.stderr == "error: --user must be 9 digits (the services' user id rule, e.g. 100000001)\n"
        models, _ = get_json(f"{app}/models", user)
        # The chat model and the title model (titles are metered: the model must be in the catalogue).
        assert [m["modelId"] for m in models["models"]] == [
            "us.anthropic.claude-haiku-4-5-20251001-v1:0", "us.amazon.nova-micro-v1:0",
        ]  # fmt: skip
        assert status_of(f"{app}/models") == 401
        assert status_of(f"{app}/admin/quota/tiers", user) == 403
        tiers, _ = get_json(f"{app}/admin/quota/tiers", admin)
        assert [t["tierId"] for t in tiers] == ["tier_basic"]
        assert http_ok(urls(sandbox)["worker"]) and http_ok(urls(sandbox)["issuer"])
        chat_as_the_web_client(app, f"http://127.0.0.1:{sandbox.inference_api_port}", user)
        status = sandbox.script("dev", "status", check=True).stdout
        assert status.count("running") == 6
        log = (sandbox.root / ".local" / "logs" / "app-api.log").read_text()
        assert "GET /health" in log
        seen = sign_in_as_the_web_client(app, issuer)
        logs = "".join(path.read_text() for path in (sandbox.root / ".local" / "logs").glob("*.log"))
        for value in (secret, *seen):
            assert value not in logs
    finally:
        stopped = sandbox.script("dev", "down")
    assert stopped.returncode == 0
    for url in urls(sandbox).values():
        assert not http_ok(url), f"{url} still answers after `scripts/dev down`"
    assert not list((sandbox.root / ".local" / "run").glob("*.pid"))


def test_foreground_stack_stops_on_ctrl_c(sandbox: Sandbox) -> None:
    process = subprocess.Popen(
        [str(sandbox.root / "scripts" / "dev")],
        cwd=sandbox.root,
        env=sandbox.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # Ctrl-C once it says it runs; a Ctrl-C during start-up stops what started and exits 130.
        deadline = time.monotonic() + 180
        while not any(line.startswith("Running.") for line in lines):
            assert process.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "not running in time:\n" + "".join(lines)
            time.sleep(0.2)
        assert http_ok(urls(sandbox)["app-api"]) and http_ok(urls(sandbox)["worker"])
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        reader.join(timeout=10)
        output = "".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == 0, output
    assert "Stopped." in output
    for url in urls(sandbox).values():
        assert not http_ok(url), f"{url} still answers after Ctrl-C"
