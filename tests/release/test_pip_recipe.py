"""Plain pip installs a service from its two requirement files, each from its one source, and refuses other bytes.

The README's recipe, run as written in the files' headers: a venv made by
`python -m venv` (pip and nothing else), one pip call per file, apis-shared from
the dev index the lock records (127.0.0.1:3141, which `scripts/test` starts) and
everything else from pip's default index (PyPI, or the mirror pip is configured
with). One install serves the module; the refusal tests install into a scratch
`--target`, so a wrong acceptance cannot leak into the others.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shlex
import subprocess
import sys
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from packaging.requirements import Requirement as PackagingRequirement

from devtools.proc import http_ok
from devtools.requirements import parse_export

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "app-api"
FILES = ROOT / "services" / SERVICE / "requirements"
HASH_MISMATCH = "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE"


def recipe() -> list[list[str]]:
    """The pip commands the files' header gives, in order."""
    lines = [line for line in (FILES / "internal.txt").read_text().splitlines() if line.startswith("#   python ")]
    assert len(lines) == 2, lines
    return [shlex.split(line.removeprefix("#   ")) for line in lines]


def in_venv(command: list[str], venv: Path, *extra: str, requirements: Path | None = None) -> list[str]:
    """``command`` run by the venv's python, with ``extra`` flags and, if given, another requirements file."""
    assert command[:3] == ["python", "-m", "pip"], command
    argv = [str(venv / "bin" / "python"), *command[1:], *extra]
    if requirements is not None:
        argv[argv.index("-r") + 1] = str(requirements)
    return argv


def index_url_of(path: Path) -> str:
    (line,) = [line for line in path.read_text().splitlines() if line.startswith("--index-url ")]
    return line.removeprefix("--index-url ")


def requirements_of(path: Path) -> list[str]:
    return [
        r.specifier for r in parse_export("\n".join(line for line in path.read_text().splitlines() if line[:1] != "-"))
    ]


def pin() -> str:
    match = re.search(r'"apis-shared(?:\[[^\]]*\])?==([^"]+)"', (FILES.parent / "pyproject.toml").read_text())
    assert match
    return match.group(1)


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv made by the standard library alone, with the service installed as the recipe says."""
    index = index_url_of(FILES / "internal.txt")
    assert http_ok(f"{index}apis-shared/"), f"the internal index {index} is not serving: `scripts/index up` starts it"
    path = tmp_path_factory.mktemp("pip-recipe") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    for command in recipe():
        # --no-compile only skips writing .pyc files, to keep the test short; what is installed is the recipe's.
        result = run(in_venv(command, path, "--quiet", "--no-compile"))
        assert result.returncode == 0, f"{shlex.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return path


def test_plain_pip_installs_exactly_the_locked_set_with_the_pinned_library(venv: Path) -> None:
    assert not (venv / "bin" / "uv").exists(), "the venv must have pip, not uv"
    python = str(venv / "bin" / "python")
    version = run([python, "-c", "import apis.shared; print(apis.shared.__version__)"])
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == pin()
    listed = run([python, "-m", "pip", "list", "--format", "json", "--exclude", "pip", "--exclude", "setuptools"])
    installed = {entry["name"].lower().replace("_", "-"): entry["version"] for entry in json.loads(listed.stdout)}
    expected = {}
    for specifier in requirements_of(FILES / "internal.txt") + requirements_of(FILES / "public.txt"):
        requirement = PackagingRequirement(specifier)
        if requirement.marker is None or requirement.marker.evaluate():
            expected[requirement.name.lower()] = str(requirement.specifier).removeprefix("==")
    assert installed == expected
    check = run([python, "-m", "pip", "check"])
    assert check.returncode == 0, check.stdout


def test_a_tampered_hash_is_refused(venv: Path, tmp_path: Path) -> None:
    original = (FILES / "internal.txt").read_text()
    locked = re.findall(r"--hash=sha256:([0-9a-f]{64})", original)
    assert locked
    tampered = tmp_path / "internal.txt"
    tampered.write_text(re.sub(r"(--hash=sha256:)([0-9a-f])", lambda m: m[1] + ("1" if m[2] == "0" else "0"), original))
    result = run(in_venv(recipe()[0], venv, "--target", str(tmp_path / "target"), requirements=tampered))
    assert result.returncode != 0, result.stdout
    assert HASH_MISMATCH in result.stderr, result.stderr
    # pip fetched the real wheel from the internal index and refused it because its hash is not listed.
    assert any(re.search(rf"Got\s+{digest}", result.stderr) for digest in locked), result.stderr
    assert not (tmp_path / "target" / "apis").exists()
    # The file's --index-url replaced every index pip is configured with: apis-shared was looked up there alone.
    assert f"Looking in indexes: {index_url_of(FILES / 'internal.txt')}\n" in result.stdout, result.stdout


def impostor_wheel(version: str) -> bytes:
    """An apis-shared wheel of the pinned version with other bytes: what a hostile or broken index would serve."""
    buffer = io.BytesIO()
    dist_info = f"apis_shared-{version}.dist-info"
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr("apis/shared/__init__.py", "raise SystemExit('impostor apis-shared')\n")
        wheel.writestr(f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: apis-shared\nVersion: {version}\n")
        wheel.writestr(
            f"{dist_info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        wheel.writestr(f"{dist_info}/RECORD", "")
    return buffer.getvalue()


@pytest.fixture
def impostor_index(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A PEP 503 index serving an impostor apis-shared under the pinned name; yields its URL and the wheel's sha256."""
    root = tmp_path / "impostor"
    wheel = impostor_wheel(pin())
    filename = f"apis_shared-{pin()}-py3-none-any.whl"
    (root / "packages").mkdir(parents=True)
    (root / "packages" / filename).write_bytes(wheel)
    (root / "simple" / "apis-shared").mkdir(parents=True)
    (root / "simple" / "apis-shared" / "index.html").write_text(
        f'<html><body><a href="../../packages/{filename}">{filename}</a></body></html>\n'
    )
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/", hashlib.sha256(wheel).hexdigest()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_an_index_serving_other_bytes_under_the_pinned_name_is_refused(
    venv: Path, impostor_index: tuple[str, str], tmp_path: Path
) -> None:
    url, impostor_sha256 = impostor_index
    original = FILES / "internal.txt"
    redirected = tmp_path / "internal.txt"
    redirected.write_text(original.read_text().replace(f"--index-url {index_url_of(original)}", f"--index-url {url}"))
    assert index_url_of(redirected) == url
    result = run(in_venv(recipe()[0], venv, "--target", str(tmp_path / "target"), requirements=redirected))
    assert result.returncode != 0, result.stdout
    assert HASH_MISMATCH in result.stderr, result.stderr
    assert re.search(rf"Got\s+{impostor_sha256}", result.stderr), result.stderr
    assert f"Looking in indexes: {url}\n" in result.stdout, result.stdout
    assert not (tmp_path / "target" / "apis").exists()
