"""`scripts/publish`: a recorded release reaches another (production) index as exactly the recorded bytes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from passlib.apache import HtpasswdFile

from devtools.proc import wait_until_ready
from tests.support.sandbox import Sandbox, free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CREDENTIALS = {"TWINE_USERNAME": "ci-publisher", "TWINE_PASSWORD": "not-a-real-secret"}


@pytest.fixture
def production_index(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    packages = tmp_path / "packages"
    packages.mkdir()
    htpasswd = HtpasswdFile(str(tmp_path / "htpasswd"), new=True)
    htpasswd.set_password(CREDENTIALS["TWINE_USERNAME"], CREDENTIALS["TWINE_PASSWORD"])
    htpasswd.save()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pypiserver", "run", "--host", "127.0.0.1", "--port", str(port),
         "--passwords", str(tmp_path / "htpasswd"), "--authenticate", "update", "--disable-fallback", str(packages)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert wait_until_ready(f"http://127.0.0.1:{port}/health", timeout=30, process=server)
        yield f"http://127.0.0.1:{port}/simple/", packages
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_publish_uploads_the_recorded_bytes_once(sandbox: Sandbox, production_index: tuple[str, Path]) -> None:
    url, packages = production_index
    first = sandbox.script("publish", "1.0.0", "--index-url", url, env=CREDENTIALS)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "hashes match the record" in first.stdout
    local = sandbox.root / ".local" / "index" / "packages"
    for path in sorted(packages.iterdir()):
        assert path.read_bytes() == (local / path.name).read_bytes()
    again = sandbox.script("publish", "1.0.0", "--index-url", url, env=CREDENTIALS)
    assert again.returncode == 0
    assert "already on" in again.stdout


def test_publish_refuses_an_index_holding_other_bytes(sandbox: Sandbox, production_index: tuple[str, Path]) -> None:
    url, packages = production_index
    local_wheel = next((sandbox.root / ".local" / "index" / "packages").glob("apis_shared-1.0.0-*.whl"))
    shutil.copy(local_wheel, packages / local_wheel.name)
    with (packages / local_wheel.name).open("ab") as wheel:
        wheel.write(b"tampered")
    result = sandbox.script("publish", "1.0.0", "--index-url", url, env=CREDENTIALS)
    assert result.returncode == 1
    assert "holds other bytes under a released name" in result.stderr


def test_publish_needs_a_record_and_credentials(sandbox: Sandbox, production_index: tuple[str, Path]) -> None:
    url, _ = production_index
    assert "has no release record" in sandbox.script("publish", "4.0.0", "--index-url", url, env=CREDENTIALS).stderr
    assert "needs TWINE_USERNAME" in sandbox.script("publish", "1.0.0", "--index-url", url).stderr
