"""A higher apis-shared on another index (standing in for the public one) is never chosen by a service."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from typing import TYPE_CHECKING

import pytest

from tests.support.sandbox import Sandbox, free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

IMPOSTOR_VERSION = "99.0.0"


def build_impostor(directory: Path, uv: str, pinned: set[str]) -> Path:
    """Wheels of an attacker's apis-shared: a higher version, and each pinned version with other bytes."""
    out = directory / "public"
    for version in (IMPOSTOR_VERSION, *sorted(pinned)):
        project = directory / f"impostor-{version}"
        package = project / "src" / "apis" / "shared"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("raise SystemExit('dependency confusion: impostor apis-shared')\n")
        (project / "pyproject.toml").write_text(
            "[build-system]\nrequires = ['hatchling==1.33.0']\nbuild-backend = 'hatchling.build'\n"
            f"[project]\nname = 'apis-shared'\nversion = '{version}'\n"
            "[project.optional-dependencies]\nfastapi = []\n"
            "[tool.hatch.build.targets.wheel]\npackages = ['src/apis']\n"
        )
        subprocess.run([uv, "build", "--wheel", "--quiet", "--out-dir", str(out), str(project)], check=True)
    return out


@pytest.fixture(scope="module")
def impostor_index(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pinned = {sandbox.pin_of(service) for service in ("app-api", "inference-api")}
    packages = build_impostor(tmp_path_factory.mktemp("impostor"), sandbox.env["APIS_UV"], pinned)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pypiserver", "run", "--host", "127.0.0.1", "--port", str(port),
         "--authenticate", ".", "--passwords", ".", "--disable-fallback", str(packages)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        from devtools.proc import wait_until_ready

        assert wait_until_ready(f"http://127.0.0.1:{port}/health", timeout=30, process=server)
        yield f"http://127.0.0.1:{port}/simple/"
    finally:
        server.terminate()
        server.wait(timeout=10)


def locked_apis_shared(lock_file: Path) -> dict:
    packages = [p for p in tomllib.loads(lock_file.read_text())["package"] if p["name"] == "apis-shared"]
    assert len(packages) == 1
    return packages[0]


def test_the_impostor_wins_where_indexes_are_treated_as_equal(sandbox: Sandbox, impostor_index: str, tmp_path) -> None:
    # The control: pip-style "best match over all indexes" picks the impostor,
    # so the test below would fail if the service configuration allowed it.
    requirements = tmp_path / "requirements.in"
    requirements.write_text("apis-shared>=1.0\n")
    result = sandbox.run(
        sandbox.env["APIS_UV"], "pip", "compile", "--quiet", "--no-header", str(requirements),
        "--index-url", impostor_index, "--extra-index-url", sandbox.index_url,
        "--index-strategy", "unsafe-best-match", "--python-version", "3.11",
        check=True,
    )  # fmt: skip
    assert f"apis-shared=={IMPOSTOR_VERSION}" in result.stdout


@pytest.mark.parametrize("service", ["app-api", "inference-api"])
@pytest.mark.parametrize("requirement", ["pinned", "loosened"])
def test_services_never_take_apis_shared_from_another_index(
    sandbox: Sandbox, impostor_index: str, service: str, requirement: str
) -> None:
    pyproject = sandbox.service_file(service, "pyproject.toml")
    lock = sandbox.service_file(service, "uv.lock")
    original = pyproject.read_text(), lock.read_text()
    pin = sandbox.pin_of(service)
    expected = (
        pin
        if requirement == "pinned"
        else max(sandbox.recorded_versions(), key=lambda v: tuple(map(int, v.split("."))))
    )
    if requirement == "loosened":
        # Even a careless range must not let the higher version in: the explicit
        # index, not the exact pin, is what keeps the name away from other indexes.
        pyproject.write_text(original[0].replace(f'"apis-shared[fastapi]=={pin}"', '"apis-shared[fastapi]>=1.0"'))
    try:
        sandbox.run(
            sandbox.env["APIS_UV"], "lock", "--quiet", "--upgrade", "--project", str(pyproject.parent),
            env={"UV_INDEX": f"public={impostor_index}"},
            check=True,
        )  # fmt: skip
        locked = locked_apis_shared(lock)
        assert locked["version"] == expected
        assert locked["source"] == {"registry": sandbox.index_url}
        installed = sandbox.run(
            sandbox.env["APIS_UV"], "run", "--locked", "--quiet", "--project", str(pyproject.parent),
            "python", "-c", "import apis.shared; print(apis.shared.__version__)",
            env={"UV_INDEX": f"public={impostor_index}"},
            check=True,
        )  # fmt: skip
        assert installed.stdout.strip() == expected
    finally:
        pyproject.write_text(original[0])
        lock.write_text(original[1])
        sandbox.run(sandbox.env["APIS_UV"], "sync", "--locked", "--quiet", "--project", str(pyproject.parent))


def export_requirements(sandbox: Sandbox, service: str, destination: Path) -> Path:
    uv = sandbox.env["APIS_UV"]
    sandbox.run(
        uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--format", "requirements-txt",
        "--quiet", "--output-file", str(destination), "--project", f"services/{service}",
        check=True,
    )  # fmt: skip
    return destination


def production_install(sandbox: Sandbox, requirements: Path, venv: Path, first_index: str):
    """The Dockerfiles' install: the exported lock, every file checked against its locked sha256."""
    uv = sandbox.env["APIS_UV"]
    sandbox.run(uv, "venv", "--quiet", "--python", sys.executable, str(venv), check=True)
    return sandbox.run(
        uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
        "--require-hashes", "--no-deps", "-r", str(requirements),
        "--index-url", first_index, "--extra-index-url", "https://pypi.org/simple/",
    )  # fmt: skip


def test_a_production_install_takes_the_locked_bytes(sandbox: Sandbox, tmp_path: Path) -> None:
    requirements = export_requirements(sandbox, "app-api", tmp_path / "requirements.txt")
    result = production_install(sandbox, requirements, tmp_path / "venv", sandbox.index_url)
    assert result.returncode == 0, result.stderr
    probe = [str(tmp_path / "venv" / "bin" / "python"), "-c", "import apis.shared; print(apis.shared.__version__)"]
    installed = subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()
    assert installed == sandbox.pin_of("app-api")


def test_a_production_install_refuses_other_bytes_under_the_pinned_name(
    sandbox: Sandbox, impostor_index: str, tmp_path: Path
) -> None:
    requirements = export_requirements(sandbox, "inference-api", tmp_path / "requirements.txt")
    result = production_install(sandbox, requirements, tmp_path / "venv", impostor_index)
    assert result.returncode != 0
    assert "hash mismatch" in result.stderr.lower(), result.stderr
    assert "apis-shared" in result.stderr or "apis_shared" in result.stderr
