"""A private copy of the repository with its own index, for tests that release, pin and run services.

The copy is a git clone of this checkout (so every recorded source tree is
there) with the working tree laid over it and committed, so it tests what is
on disk, uncommitted changes included. Its index and services listen on free
loopback ports; the services' pyproject.toml and uv.lock are pointed at that
index, as a team with its own index would have them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
DEV_INDEX_URL = "http://127.0.0.1:3141/simple/"
SERVICES = ("app-api", "inference-api")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _overlay_working_tree(source: Path, clone: Path) -> None:
    tracked = set(_git(source, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")) - {""}
    for relative in tracked:
        origin = source / relative
        target = clone / relative
        if origin.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)
        elif target.exists() and not origin.exists():
            target.unlink()


@dataclass
class Sandbox:
    root: Path
    index_port: int = field(default_factory=free_port)
    aws_port: int = field(default_factory=free_port)
    app_api_port: int = field(default_factory=free_port)
    inference_api_port: int = field(default_factory=free_port)
    issuer_port: int = field(default_factory=free_port)
    worker_port: int = field(default_factory=free_port)

    @property
    def index_url(self) -> str:
        return f"http://127.0.0.1:{self.index_port}/simple/"

    @property
    def env(self) -> dict[str, str]:
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("APIS_", "TWINE_", "VIRTUAL_ENV", "UV_PROJECT"))
        }
        uv = os.environ.get("APIS_UV") or shutil.which("uv") or "uv"
        return {
            **environment,
            "APIS_UV": uv,
            "APIS_INDEX_PORT": str(self.index_port),
            "APIS_AWS_PORT": str(self.aws_port),
            "APIS_APP_API_PORT": str(self.app_api_port),
            "APIS_INFERENCE_API_PORT": str(self.inference_api_port),
            "APIS_ISSUER_PORT": str(self.issuer_port),
            "APIS_WORKER_PORT": str(self.worker_port),
            "GIT_AUTHOR_NAME": "sandbox",
            "GIT_AUTHOR_EMAIL": "sandbox@example.invalid",
            "GIT_COMMITTER_NAME": "sandbox",
            "GIT_COMMITTER_EMAIL": "sandbox@example.invalid",
        }

    def run(
        self, *command: str, check: bool = False, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(command), cwd=self.root, env={**self.env, **(env or {})}, capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def script(self, name: str, *args: str, check: bool = False, env: dict[str, str] | None = None):
        return self.run(str(self.root / "scripts" / name), *args, check=check, env=env)

    def git(self, *args: str) -> str:
        return self.run("git", *args, check=True).stdout

    def commit_all(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def status(self) -> str:
        return self.git("status", "--porcelain")

    def index_versions(self) -> list[str]:
        return sorted(p.name for p in (self.root / ".local" / "index" / "packages").glob("*.whl"))

    def service_file(self, service: str, name: str) -> Path:
        return self.root / "services" / service / name

    def library_version(self) -> str:
        text = (self.root / "packages/apis-shared/src/apis/shared/_version.py").read_text()
        match = re.search(r'__version__ = "([^"]+)"', text)
        assert match
        return match.group(1)

    def next_patch(self) -> str:
        major, minor, patch = (int(part) for part in self.library_version().split("."))
        return f"{major}.{minor}.{patch + 1}"

    def pin_of(self, service: str) -> str:
        match = re.search(
            r'"apis-shared(?:\[[^\]]*\])?==([^"]+)"', self.service_file(service, "pyproject.toml").read_text()
        )
        assert match
        return match.group(1)

    def changed_files(self) -> list[str]:
        return sorted(line[3:] for line in self.status().splitlines())

    def recorded_versions(self) -> list[str]:
        records = json.loads((self.root / "releases" / "apis-shared.json").read_text())["releases"]
        return [record["version"] for record in records]

    def stop_servers(self) -> None:
        self.script("dev", "down", "--all")


def pin_files(service: str) -> list[str]:
    """What `scripts/pin` may change: the service's pin, lock and pip requirement files."""
    directory = f"services/{service}"
    return [
        f"{directory}/pyproject.toml",
        f"{directory}/requirements/internal.txt",
        f"{directory}/requirements/public.txt",
        f"{directory}/uv.lock",
    ]


def make_sandbox(tmp: Path) -> Sandbox:
    """Clone, overlay, start the sandbox's index (filled from the records) and point the services at it."""
    clone = tmp / "repo"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    sandbox = Sandbox(clone)
    _overlay_working_tree(ROOT, clone)
    sandbox.commit_all("sandbox: working tree of the checkout under test")
    sandbox.script("index", "up", check=True)
    try:
        _point_services_at_own_index(sandbox)
    except BaseException:
        # A half-made sandbox must not leave its index listening after the test run.
        sandbox.stop_servers()
        raise
    return sandbox


def _point_services_at_own_index(sandbox: Sandbox) -> None:
    for service in SERVICES:
        pyproject = sandbox.service_file(service, "pyproject.toml")
        pyproject.write_text(pyproject.read_text().replace(DEV_INDEX_URL, sandbox.index_url))
        lock = sandbox.service_file(service, "uv.lock")
        lock.write_text(
            lock.read_text().replace(DEV_INDEX_URL.removesuffix("simple/"), sandbox.index_url.removesuffix("simple/"))
        )
        sandbox.run(
            sandbox.env["APIS_UV"], "lock", "--check", "--quiet", "--project", str(pyproject.parent), check=True
        )
    sandbox.script("requirements", *SERVICES, check=True)
    sandbox.commit_all(f"sandbox: services use the index on port {sandbox.index_port}")


@contextmanager
def running_sandbox(tmp: Path) -> Iterator[Sandbox]:
    """A sandbox in ``tmp`` whose servers are stopped when the block ends."""
    box = make_sandbox(tmp)
    try:
        yield box
    finally:
        box.stop_servers()
