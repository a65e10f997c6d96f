"""Move one service's apis-shared pin (only its pin, lock and pip requirement files) to a released version.

    scripts/pin <service> <version>

Upgrading and rolling back are the same command: pin the version you want.
The version must be a recorded release, not yanked, that the service's
internal index holds; after locking, the lock must name the internal index and carry the
recorded hashes, or the pin is undone.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from devtools.build import uv_command
from devtools.config import SERVICES, Config, load_config
from devtools.errors import CommandError
from devtools.index import IndexClient
from devtools.records import ReleaseRecord, load_records
from devtools.requirements import requirements_files, write_requirements

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "LockedLibrary",
    "current_pin",
    "locked_library",
    "main",
    "pin_project",
    "pin_service",
    "service_index_url",
]

PROJECT = "apis-shared"
_PIN = re.compile(r'"apis-shared(?P<extras>\[[^\]]*\])?==(?P<version>[^"]+)"')


def service_dir(config: Config, service: str) -> Path:
    if service not in SERVICES:
        raise CommandError(f"unknown service {service!r}; services: {', '.join(SERVICES)}")
    return SERVICES[service].directory(config.root)


def current_pin(pyproject_text: str) -> str:
    pins = _PIN.findall(pyproject_text)
    if len(pins) != 1:
        raise CommandError(f"expected exactly one `apis-shared==X.Y.Z` dependency, found {len(pins)}")
    return str(pins[0][1])


def service_index_url(pyproject_text: str) -> str:
    data = tomllib.loads(pyproject_text)
    for index in data.get("tool", {}).get("uv", {}).get("index", []):
        if index.get("name") == "internal":
            if not index.get("explicit"):
                raise CommandError("the `internal` index must be `explicit = true`")
            return str(index["url"])
    raise CommandError("the service's pyproject.toml defines no [[tool.uv.index]] named `internal`")


class LockedLibrary:
    """What a service's uv.lock says about apis-shared."""

    def __init__(self, package: dict[str, Any]) -> None:
        self.version: str = package["version"]
        self.registry: str = package.get("source", {}).get("registry", "")
        self.hashes: dict[str, str] = {}
        for entry in [*package.get("wheels", []), package.get("sdist", {})]:
            if entry:
                filename = entry["url"].rsplit("/", 1)[-1]
                self.hashes[filename] = entry["hash"].removeprefix("sha256:")


def locked_library(lock_file: Path) -> LockedLibrary:
    lock = tomllib.loads(lock_file.read_text())
    packages = [package for package in lock.get("package", []) if package["name"] == PROJECT]
    if len(packages) != 1:
        raise CommandError(f"{lock_file} locks {len(packages)} versions of {PROJECT}, expected one")
    return LockedLibrary(packages[0])


def verify_lock(lock_file: Path, record: ReleaseRecord, index_url: str) -> None:
    """Raise unless the lock holds ``record``'s version, from the internal index, with its recorded hashes."""
    locked = locked_library(lock_file)
    problems = []
    if locked.version != record.version:
        problems.append(f"locked version {locked.version}, wanted {record.version}")
    if locked.registry.rstrip("/") != index_url.rstrip("/"):
        problems.append(f"locked from {locked.registry!r}, not the internal index {index_url!r}")
    for artifact in record.artifacts:
        if locked.hashes.get(artifact.filename) != artifact.sha256:
            problems.append(
                f"{artifact.filename}: locked sha256 {locked.hashes.get(artifact.filename)}, recorded {artifact.sha256}"
            )
    if problems:
        raise CommandError(f"{lock_file} does not match the release record:\n  " + "\n  ".join(problems))


def pin_service(config: Config, service: str, version: str) -> str:
    """Pin ``service`` to ``version``, relock and rewrite its pip requirement files; return the old pin."""
    directory = service_dir(config, service)
    files = [directory / "pyproject.toml", directory / "uv.lock", *requirements_files(config, service)]
    with restored_on_failure(files):
        previous = pin_project(config, directory, version)
        write_requirements(config, service)
    return previous


@contextmanager
def restored_on_failure(paths: list[Path]) -> Iterator[None]:
    """Put ``paths`` back as they were (absent ones removed) if the block raises."""
    originals = {path: path.read_bytes() if path.exists() else None for path in paths}
    try:
        yield
    except BaseException:
        for path, content in originals.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)
        raise


def pin_project(config: Config, directory: Path, version: str) -> str:
    """Pin the uv project in ``directory`` (a service, or a copy of one) to ``version``; return the old pin."""
    try:
        Version(version)
    except InvalidVersion as exc:
        raise CommandError(f"{version!r} is not a version") from exc
    pyproject, lock_file = directory / "pyproject.toml", directory / "uv.lock"
    original_pyproject = pyproject.read_text()
    previous = current_pin(original_pyproject)
    index_url = service_index_url(original_pyproject)

    available = IndexClient(index_url).versions(PROJECT)
    if version not in available:
        raise CommandError(
            f"{PROJECT} {version} is not on the internal index {index_url} "
            f"(it has: {', '.join(available) or 'nothing'}). Release it first with `scripts/release`."
        )
    records = load_records(config.records_file)
    record = next((r for r in records if r.version == version), None)
    if record is None:
        raise CommandError(f"{PROJECT} {version} is on the index but has no release record; refusing to pin it")
    if record.yanked:
        usable = [r.version for r in records if not r.yanked]
        raise CommandError(
            f"{PROJECT} {version} was yanked at {record.yanked_at}: {record.yanked}. "
            f"Pin another release (not yanked: {', '.join(usable) or 'none'})."
        )

    with restored_on_failure([pyproject, lock_file]):
        pyproject.write_text(_PIN.sub(lambda m: f'"{PROJECT}{m["extras"] or ""}=={version}"', original_pyproject))
        _lock(directory)
        verify_lock(lock_file, record, index_url)
    return previous


def _lock(directory: Path) -> None:
    command = [*uv_command(), "lock", "--project", str(directory), "--upgrade-package", PROJECT]
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise CommandError(f"uv lock failed for {directory.name}:\n{result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/pin", description=__doc__.splitlines()[0])
    parser.add_argument("service", help=f"one of: {', '.join(SERVICES)}")
    parser.add_argument("version", help="a released apis-shared version, e.g. 1.2.0")
    args = parser.parse_args(argv)
    config = load_config()
    previous = pin_service(config, args.service, args.version)
    directory = Path("services") / args.service
    if previous == args.version:
        print(f"{args.service}: already on apis-shared {args.version}; lock checked against the record")
    else:
        print(
            f"{args.service}: apis-shared {previous} -> {args.version} (pin and lock changed; hashes match the record)"
        )
    print(
        f"Next: `scripts/test {args.service}`, then commit {directory}/pyproject.toml, {directory}/uv.lock "
        f"and {directory}/requirements"
    )
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
