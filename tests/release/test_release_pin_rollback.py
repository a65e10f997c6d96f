"""The release loop end to end: release a patch, pin one service, run both on different versions, roll back."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import pytest

from tests.release.test_release_refusals import with_unreleased_notes
from tests.support.sandbox import pin_files

if TYPE_CHECKING:
    import subprocess

    from tests.support.sandbox import Sandbox


@pytest.fixture(scope="module")
def versions(sandbox: Sandbox) -> dict[str, str]:
    """The app-api pin before the patch, and the patch about to be released."""
    return {
        "pinned": sandbox.pin_of("app-api"),
        "other": sandbox.pin_of("inference-api"),
        "patch": sandbox.next_patch(),
    }


@pytest.fixture(scope="module")
def released(sandbox: Sandbox, versions: dict[str, str]) -> dict:
    with_unreleased_notes(sandbox, "### Fixed\n\n- A patch the services can take or leave.")
    result = sandbox.script("release", "patch")
    assert result.returncode == 0, result.stdout + result.stderr
    records = json.loads((sandbox.root / "releases" / "apis-shared.json").read_text())["releases"]
    return records[-1]


def service_tests(sandbox: Sandbox, service: str) -> subprocess.CompletedProcess[str]:
    tests = "tests/" + service.replace("-", "_")
    uv = sandbox.env["APIS_UV"]
    return sandbox.run(
        uv,
        "run",
        "--locked",
        "--quiet",
        "--project",
        f"services/{service}",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        tests,
    )


def imported_version(sandbox: Sandbox, service: str) -> str:
    uv = sandbox.env["APIS_UV"]
    probe = "import apis.shared; print(apis.shared.__version__)"
    return sandbox.run(
        uv, "run", "--locked", "--quiet", "--project", f"services/{service}", "python", "-c", probe, check=True
    ).stdout.strip()


def test_release_commits_tags_records_and_publishes(sandbox: Sandbox, released: dict, versions: dict) -> None:
    patch = versions["patch"]
    assert released["version"] == patch
    assert sandbox.status() == ""
    assert sandbox.git("log", "-1", "--format=%s").strip() == f"release: apis-shared {patch}"
    assert f"apis-shared-v{patch}" in sandbox.git("tag").split()
    assert released["source_tree"] == sandbox.git("rev-parse", "HEAD:packages/apis-shared").strip()
    changelog = (sandbox.root / "packages/apis-shared/CHANGELOG.md").read_text()
    assert f"## [Unreleased]\n\n## [{patch}] - " in changelog
    assert sandbox.library_version() == patch
    with urllib.request.urlopen(f"{sandbox.index_url}apis-shared/") as response:
        page = response.read().decode()
    assert f"{released['wheel']['filename']}#sha256={released['wheel']['sha256']}" in page


def test_two_services_on_two_versions_each_pass_their_own_tests(
    sandbox: Sandbox, released: dict, versions: dict
) -> None:
    patch, before, other = versions["patch"], versions["pinned"], versions["other"]
    pinned = sandbox.script("pin", "app-api", patch)
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    assert f"apis-shared {before} -> {patch}" in pinned.stdout
    assert sandbox.changed_files() == pin_files("app-api"), "pin touches one service only"
    sandbox.commit_all(f"app-api takes apis-shared {patch}")

    assert imported_version(sandbox, "app-api") == patch
    assert imported_version(sandbox, "inference-api") == other != patch
    for service in ("app-api", "inference-api"):
        result = service_tests(sandbox, service)
        assert result.returncode == 0, result.stdout + result.stderr

    started = sandbox.script("dev", "up", "--detach")
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{sandbox.app_api_port}/health") as response:
            health = json.load(response)
        with urllib.request.urlopen(f"http://127.0.0.1:{sandbox.inference_api_port}/ping") as response:
            ping = json.load(response)
    finally:
        sandbox.script("dev", "down")
    assert health["apisSharedVersion"] == patch
    assert ping == {"status": "healthy"}


def test_rollback_is_pinning_the_older_version(sandbox: Sandbox, released: dict, versions: dict) -> None:
    patch, before_pin = versions["patch"], versions["pinned"]
    before = sandbox.git("show", "HEAD~1:services/app-api/uv.lock")
    result = sandbox.script("pin", "app-api", before_pin)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"apis-shared {patch} -> {before_pin}" in result.stdout
    assert sandbox.service_file("app-api", "uv.lock").read_text() == before, "rollback restores the old lock exactly"
    assert imported_version(sandbox, "app-api") == before_pin
    sandbox.commit_all(f"roll app-api back to apis-shared {before_pin}")


def test_pin_refuses_a_version_the_index_lacks(sandbox: Sandbox, released: dict) -> None:
    lock_before = sandbox.service_file("inference-api", "uv.lock").read_text()
    result = sandbox.script("pin", "inference-api", "7.0.0")
    assert result.returncode == 1
    assert "apis-shared 7.0.0 is not on the internal index" in result.stderr
    assert f"it has: {', '.join(sandbox.recorded_versions())}" in result.stderr
    assert sandbox.status() == ""
    assert sandbox.service_file("inference-api", "uv.lock").read_text() == lock_before


def test_pin_refuses_an_unknown_service_and_a_non_version(sandbox: Sandbox, released: dict) -> None:
    assert "unknown service" in sandbox.script("pin", "billing-api", "1.0.0").stderr
    assert "is not a version" in sandbox.script("pin", "app-api", "latest").stderr


def multipart_upload(url: str, filename: str, content: bytes, authorization: str | None) -> int:
    boundary = "apis-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name=":action"\r\n\r\nfile_upload\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def test_the_index_refuses_uploads_without_valid_credentials(sandbox: Sandbox, released: dict) -> None:
    url = sandbox.index_url.removesuffix("simple/")
    name = "apis_shared-9.9.9-py3-none-any.whl"
    assert multipart_upload(url, name, b"not a wheel", None) in (401, 403)
    wrong = "Basic " + base64.b64encode(b"apis-release:guess").decode()
    assert multipart_upload(url, name, b"not a wheel", wrong) in (401, 403)
    assert not (sandbox.root / ".local" / "index" / "packages" / name).exists()


def test_the_index_does_not_fall_back_to_pypi(sandbox: Sandbox, released: dict) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{sandbox.index_url}requests/").close()
    assert refused.value.code == 404
    refused.value.close()


def test_the_index_refuses_to_overwrite_a_published_file(sandbox: Sandbox, released: dict) -> None:
    packages = sandbox.root / ".local" / "index" / "packages"
    wheel = packages / released["wheel"]["filename"]
    original = wheel.read_bytes()
    credentials = json.loads((sandbox.root / ".local" / "index" / "upload-credentials.json").read_text())
    valid = "Basic " + base64.b64encode(f"{credentials['username']}:{credentials['password']}".encode()).decode()
    url = sandbox.index_url.removesuffix("simple/")
    assert multipart_upload(url, wheel.name, original + b"tampered", valid) in (400, 409)
    assert wheel.read_bytes() == original
    # The same credentials may publish a new file: the refusal above is about the existing name.
    assert multipart_upload(url, "apis_shared-0.0.1-py3-none-any.whl", b"probe", valid) == 200
    (packages / "apis_shared-0.0.1-py3-none-any.whl").unlink()
