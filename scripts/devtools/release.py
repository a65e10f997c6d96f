"""Release apis-shared: bump, build reproducibly, check, publish, record.

    scripts/release patch|minor|major [--index-url URL] [--timings]

Refuses, with nothing published and the tree as it was, when: the working
tree is dirty; the version is already recorded or on the index; CHANGELOG.md
has no entry for it; a patch or minor would break the public API of the last
release (each broken symbol is named; see scripts/api-check); a major has no
``### Breaking`` section with migration notes; a check fails (twine, wheel contents, reproducibility,
smoke import); the index cannot be reached or refuses the upload.

On success it leaves one commit, "release: apis-shared X.Y.Z" (version,
stamped CHANGELOG, release record), and the tag ``apis-shared-vX.Y.Z``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from packaging.version import Version

from devtools import api_guard, changelog
from devtools.build import BuiltDistributions, build_tree, uv_command
from devtools.config import Config, load_config
from devtools.errors import CommandError
from devtools.git import git, is_dirty
from devtools.index import IndexClient, UploadCredentials, ensure_credentials
from devtools.records import ReleaseRecord, load_records, save_records

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

__all__ = [
    "PROJECT",
    "TIMING_PREFIX",
    "PhaseTimer",
    "bump",
    "check_wheel_contents",
    "main",
    "read_version",
    "run_check",
    "run_concurrently",
]

PROJECT = "apis-shared"
VERSION_FILE = "src/apis/shared/_version.py"
_VERSION_LINE = re.compile(r'^__version__ = "(?P<version>[^"]+)"$', re.MULTILINE)
_BACKEND = re.compile(r'requires = \["(?P<backend>hatchling==[^"]+)"\]')
# `scripts/release --timings` (or APIS_RELEASE_TIMINGS=1) prints one stderr line per phase:
# "release-timing <phase> <seconds>"; scripts/bench-release reads them.
TIMING_PREFIX = "release-timing"
T = TypeVar("T")


class PhaseTimer:
    """Wall-clock seconds of the release's phases, printed to stderr as each ends when enabled."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            if self.enabled:
                with self._lock:
                    print(f"{TIMING_PREFIX} {name} {time.perf_counter() - started:.3f}", file=sys.stderr, flush=True)


def read_version(library_dir: Path) -> str:
    match = _VERSION_LINE.search((library_dir / VERSION_FILE).read_text())
    if match is None:
        raise CommandError(f"no __version__ line in {library_dir / VERSION_FILE}")
    return match.group("version")


def bump(version: str, part: str) -> str:
    """Return the next semantic version: ``bump("1.4.2", "minor") == "1.5.0"``."""
    parsed = Version(version)
    major, minor, patch = (*parsed.release, 0, 0)[:3]
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if part == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise CommandError(f"unknown release part {part!r}: use patch, minor or major")


def check_wheel_contents(wheel: Path, version: str) -> None:
    """Refuse a wheel that is not exactly the ``apis.shared`` namespace portion at ``version``."""
    dist_info = f"apis_shared-{version}.dist-info/"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"{dist_info}METADATA").decode() if f"{dist_info}METADATA" in names else ""
    problems = [name for name in names if not (name.startswith(("apis/shared/", dist_info)))]
    if "apis/__init__.py" in names:
        problems.append("apis/__init__.py (would turn the `apis` namespace into a regular package)")
    for required in ("apis/shared/__init__.py", "apis/shared/py.typed", "apis/shared/_version.py"):
        if required not in names:
            problems.append(f"missing {required}")
    if f"\nVersion: {version}\n" not in metadata:
        problems.append(f"METADATA does not say Version: {version}")
    if any(name.endswith((".pyc", ".pyo")) or "__pycache__" in name for name in names):
        problems.append("compiled files in the wheel")
    if problems:
        raise CommandError(f"{wheel.name} fails the content check:\n  " + "\n  ".join(problems))


class Release:
    """One run of the release command."""

    def __init__(self, config: Config, part: str, *, index_url: str, timer: PhaseTimer | None = None) -> None:
        self.config = config
        self.timer = timer or PhaseTimer(enabled=False)
        self.part = part
        self.index = IndexClient(index_url)
        self.upload_url = index_url.rstrip("/").removesuffix("/simple") + "/"
        self.library = config.library_dir
        self.touched = [self.library / VERSION_FILE, self.library / "CHANGELOG.md"]

    def run(self) -> ReleaseRecord:
        current = read_version(self.library)
        version = bump(current, self.part)
        records = load_records(self.config.records_file)
        with self.timer.phase("refuse-unready"):
            self._refuse_unready(version, records)
        credentials = self._credentials()
        epoch = int(time.time())
        try:
            with self.timer.phase("stage"):
                tree = self._stage_source(version)
            with tempfile.TemporaryDirectory(prefix="apis-release-") as scratch:
                built = self._build_and_check(tree, version, epoch, Path(scratch))
                with self.timer.phase("upload"):
                    self._upload(built, credentials)
                record = ReleaseRecord(
                    version=version,
                    source_tree=tree,
                    source_date_epoch=epoch,
                    build_backend=self._backend(),
                    wheel=built.artifacts()[0],
                    sdist=built.artifacts()[1],
                    released_at=datetime.fromtimestamp(epoch, tz=UTC).isoformat().replace("+00:00", "Z"),
                )
                with self.timer.phase("verify-published"):
                    self._verify_published(record)
        except BaseException:
            self._restore()
            raise
        with self.timer.phase("record-commit-tag"):
            save_records(self.config.records_file, [*records, record], source_path=self.config.library_source_path)
            git(self.config.root, "add", str(self.config.records_file))
            git(self.config.root, "commit", "--quiet", "-m", f"release: {PROJECT} {version}")
            git(self.config.root, "tag", "-a", f"{PROJECT}-v{version}", "-m", f"{PROJECT} {version}")
        return record

    def _refuse_unready(self, version: str, records: list[ReleaseRecord]) -> None:
        dirty = is_dirty(self.config.root)
        if dirty:
            shown = "\n  ".join(dirty[:10])
            raise CommandError(f"the working tree is dirty; commit or stash first:\n  {shown}")
        if any(record.version == version for record in records):
            raise CommandError(f"{PROJECT} {version} is already released (see {self.config.records_file.name})")
        notes = changelog.entry_for((self.library / "CHANGELOG.md").read_text(), version)
        if notes is None:
            raise CommandError(
                f"CHANGELOG.md has no entry for {version}: add your notes under `## [Unreleased]` "
                f"(or `## [{version}]`), commit, and run the release again"
            )
        self._refuse_incompatible(notes)
        existing = self.index.versions(PROJECT)
        if version in existing:
            raise CommandError(f"{PROJECT} {version} already exists on the index {self.index.base_url}")

    def _refuse_incompatible(self, notes: str) -> None:
        report = api_guard.check_working_tree(self.config)
        if report.breaks and self.part != "major":
            raise CommandError(api_guard.undeclared_breaks_message(report, release_part=self.part))
        breaking = changelog.breaking_notes(notes)
        if self.part == "major" and not breaking:
            found = f" ({len(report.breaks)} incompatible change(s) found)" if report.breaks else ""
            raise CommandError(
                f"a major release needs a `### Breaking` section with migration notes in its changelog entry{found}: "
                "say what each user of the library must change"
            )
        declared = api_guard.ApiReport(report.baseline, report.breaks, breaking)
        if self.part == "major" and declared.undeclared:
            raise CommandError(api_guard.undeclared_breaks_message(declared, release_part="major"))

    def _credentials(self) -> UploadCredentials:
        username = os.environ.get("TWINE_USERNAME")
        password = os.environ.get("TWINE_PASSWORD")
        if username and password:
            return UploadCredentials(username, password)
        if self.index.base_url == self.config.index_url:
            return ensure_credentials(self.config)
        raise CommandError(f"uploading to {self.upload_url} needs TWINE_USERNAME and TWINE_PASSWORD")

    def _stage_source(self, version: str) -> str:
        version_file, changelog_file = self.touched
        version_file.write_text(_VERSION_LINE.sub(f'__version__ = "{version}"', version_file.read_text()))
        today = datetime.now(tz=UTC).date().isoformat()
        changelog_file.write_text(changelog.stamp_release(changelog_file.read_text(), version, today))
        git(self.config.root, "add", *(str(path) for path in self.touched))
        return git(self.config.root, "write-tree", f"--prefix={self.config.library_source_path}/").strip()

    def _build_and_check(self, tree: str, version: str, epoch: int, scratch: Path) -> BuiltDistributions:
        # Two independent builds (each from its own export of the tree, in its own process) run side by side;
        # comparing their bytes is what proves the release reproducible, not their order.
        builds = {
            "build": lambda: build_tree(self.config.root, tree, source_date_epoch=epoch, out_dir=scratch / "dist"),
            "build-again": lambda: build_tree(
                self.config.root, tree, source_date_epoch=epoch, out_dir=scratch / "again"
            ),
        }
        with self.timer.phase("builds"):
            built, again = run_concurrently(builds, self.timer).values()
        if built.artifacts() != again.artifacts():
            raise CommandError(f"two builds of tree {tree} differ; the release would not be reproducible")
        with self.timer.phase("content-check"):
            check_wheel_contents(built.wheel, version)
        # The checks read the built files and write only to their own scratch, so none depends on another;
        # every one must pass before anything is uploaded.
        checks = {
            "check-wheel-contents": lambda: run_check(
                [sys.executable, "-m", "check_wheel_contents", "--toplevel", "apis", str(built.wheel)],
                "check-wheel-contents",
            ),
            "twine-check": lambda: run_check(
                [sys.executable, "-m", "twine", "check", "--strict", str(built.wheel), str(built.sdist)], "twine"
            ),
            "smoke": lambda: self._smoke_import(built.wheel, version, scratch / "smoke"),
        }
        with self.timer.phase("checks"):
            run_concurrently(checks, self.timer)
        return built

    def _smoke_import(self, wheel: Path, version: str, venv: Path) -> None:
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        with self.timer.phase("smoke-venv"):
            run_check([*uv_command(), "venv", "--quiet", "--python", sys.executable, str(venv)], "smoke venv", env=env)
        python = venv / "bin" / "python"
        install = [*uv_command(), "pip", "install", "--quiet", "--python", str(python), f"{wheel}[fastapi]"]
        with self.timer.phase("smoke-install"):
            run_check(install, "smoke install", env=env)
        probe = (
            "import apis.shared, apis.shared.errors, apis.shared.http, apis.shared.observability;"
            f"assert apis.shared.__version__ == {version!r}, apis.shared.__version__"
        )
        with self.timer.phase("smoke-import"):
            run_check([str(python), "-c", probe], "smoke import")

    def _upload(self, built: BuiltDistributions, credentials: UploadCredentials) -> None:
        env = {**os.environ, "TWINE_USERNAME": credentials.username, "TWINE_PASSWORD": credentials.password}
        command = [
            sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar",
            "--repository-url", self.upload_url, str(built.wheel), str(built.sdist),
        ]  # fmt: skip
        run_check(command, f"upload to {self.upload_url}", env=env)

    def _verify_published(self, record: ReleaseRecord) -> None:
        published = self.index.project_files(PROJECT)
        for artifact in record.artifacts:
            if published.get(artifact.filename) != artifact.sha256:
                raise CommandError(
                    f"the index serves {artifact.filename} with sha256 {published.get(artifact.filename)}, "
                    f"not the {artifact.sha256} just built"
                )

    def _backend(self) -> str:
        match = _BACKEND.search((self.library / "pyproject.toml").read_text())
        if match is None:
            raise CommandError("packages/apis-shared/pyproject.toml must pin its build backend exactly")
        return match.group("backend")

    def _restore(self) -> None:
        paths = [str(path) for path in self.touched]
        git(self.config.root, "reset", "--quiet", "HEAD", "--", *paths)
        git(self.config.root, "checkout", "--", *paths)


def run_concurrently(tasks: Mapping[str, Callable[[], T]], timer: PhaseTimer | None = None) -> dict[str, T]:
    """Run each task in its own thread (they wait on subprocesses) and return their results by name.

    Every task runs to its end. When any raised a CommandError, one CommandError carrying each
    failure's message, in the order of ``tasks``, is raised; any other exception is re-raised as is.
    """
    phases = timer or PhaseTimer(enabled=False)

    def timed(name: str, task: Callable[[], T]) -> T:
        with phases.phase(name):
            return task()

    # Leaving the block waits for every task, so no check is still writing when a refusal cleans up.
    with ThreadPoolExecutor(max_workers=len(tasks) or 1) as pool:
        futures = {name: pool.submit(timed, name, task) for name, task in tasks.items()}
    failures = [error for future in futures.values() if (error := future.exception()) is not None]
    unexpected = [error for error in failures if not isinstance(error, CommandError)]
    if unexpected:
        raise unexpected[0]
    if failures:
        raise CommandError("\n".join(str(error) for error in failures))
    return {name: future.result() for name, future in futures.items()}


def run_check(command: list[str], what: str, *, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise CommandError(f"{what} failed:\n{output}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/release", description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["patch", "minor", "major"], help="which part of the version to bump")
    parser.add_argument(
        "--index-url",
        default=os.environ.get("APIS_RELEASE_INDEX_URL"),
        help="the index to publish to (default: the local index); credentials from TWINE_USERNAME/TWINE_PASSWORD",
    )
    parser.add_argument(
        "--timings",
        action="store_true",
        default=os.environ.get("APIS_RELEASE_TIMINGS", "") not in ("", "0"),
        help=f"print each phase's seconds to stderr as `{TIMING_PREFIX} PHASE SECONDS` (also APIS_RELEASE_TIMINGS=1)",
    )
    args = parser.parse_args(argv)
    config = load_config()
    timer = PhaseTimer(enabled=args.timings)
    with timer.phase("total"):
        record = Release(config, args.part, index_url=args.index_url or config.index_url, timer=timer).run()
    print(f"released {PROJECT} {record.version}")
    print(f"  source tree  {record.source_tree}")
    print(f"  {record.wheel.filename}  sha256 {record.wheel.sha256}")
    print(f"  {record.sdist.filename}  sha256 {record.sdist.sha256}")
    print(f"Next: `scripts/pin <service> {record.version}` in each service that wants it, and push with --follow-tags.")
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
