"""Time the release loop (release → pin → synced) on a private clone with its own index.

    scripts/bench-release [--rounds N] [--service SERVICE] [--keep]

The checkout is cloned into a temporary directory, its working tree (uncommitted
files included) laid over the clone and committed; the clone starts its own index
on free loopback ports and its services are pointed at it. Nothing of the
checkout's git state, index or pins is touched.

Each round adds a changelog note, then times ``scripts/release patch``
(with its per-phase timings), ``scripts/pin SERVICE <new version>`` and
``uv sync --locked --project services/SERVICE`` (the service's environment is
synced once before the first round, as on a developer's machine), and prints
every phase and the total; at the end, the minimum and median of each.
The clone's index is stopped at the end, also when a step fails.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from devtools.build import uv_command
from devtools.config import SERVICES, load_config
from devtools.errors import CommandError
from devtools.release import TIMING_PREFIX

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["format_table", "main", "parse_release_timings", "with_unreleased_notes"]

# The checkout's services point at the dev index; the clone's point at its own.
DEV_INDEX_URL = "http://127.0.0.1:3141/simple/"
CHANGELOG = "packages/apis-shared/CHANGELOG.md"
PORT_VARIABLES = (
    "APIS_INDEX_PORT",
    "APIS_AWS_PORT",
    "APIS_APP_API_PORT",
    "APIS_INFERENCE_API_PORT",
    "APIS_ISSUER_PORT",
    "APIS_WORKER_PORT",
)
_TIMING_LINE = re.compile(rf"^{TIMING_PREFIX} (?P<phase>\S+) (?P<seconds>\d+(?:\.\d+)?)$", re.MULTILINE)


def parse_release_timings(stderr: str) -> dict[str, float]:
    """The ``release-timing PHASE SECONDS`` lines of ``scripts/release --timings``, in the order printed."""
    return {match["phase"]: float(match["seconds"]) for match in _TIMING_LINE.finditer(stderr)}


def with_unreleased_notes(changelog: str, notes: str) -> str:
    """``changelog`` with ``notes`` as the only content of its ``## [Unreleased]`` section."""
    head, found, rest = changelog.partition("\n## [Unreleased]")
    if not found:
        raise CommandError("the changelog has no `## [Unreleased]` section")
    following = re.search(r"^## \[", rest, flags=re.MULTILINE)
    tail = rest[following.start() :] if following else ""
    return f"{head}\n## [Unreleased]\n\n{notes.strip()}\n\n{tail}"


def format_table(rounds: Sequence[Mapping[str, float]]) -> list[str]:
    """One row per phase: each round's seconds, then min and median (rounds without the phase are left out)."""
    phases: list[str] = []
    for figures in rounds:
        phases += [phase for phase in figures if phase not in phases]
    width = max((len(phase) for phase in phases), default=5)
    header = f"{'phase':<{width}}  " + "  ".join(f"{f'r{n}':>6}" for n in range(1, len(rounds) + 1))
    lines = [f"{header}  {'min':>6}  {'median':>6}"]
    for phase in phases:
        values = [figures.get(phase) for figures in rounds]
        present = [value for value in values if value is not None]
        cells = "  ".join(f"{value:6.2f}" if value is not None else f"{'-':>6}" for value in values)
        lines.append(f"{phase:<{width}}  {cells}  {min(present):6.2f}  {statistics.median(present):6.2f}")
    return lines


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Clone:
    """A clone of the checkout with the working tree committed, running its own index on free ports."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ports = {name: _free_port() for name in PORT_VARIABLES}
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("APIS_", "TWINE_", "VIRTUAL_ENV", "UV_PROJECT"))
        }
        self.env = {
            **inherited,
            "APIS_UV": shutil.which(uv_command()[0]) or uv_command()[0],
            **{name: str(port) for name, port in self.ports.items()},
            "GIT_AUTHOR_NAME": "bench-release",
            "GIT_AUTHOR_EMAIL": "bench-release@example.invalid",
            "GIT_COMMITTER_NAME": "bench-release",
            "GIT_COMMITTER_EMAIL": "bench-release@example.invalid",
        }

    @property
    def index_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['APIS_INDEX_PORT']}/simple/"

    def run(self, *command: str, extra_env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(command),
            cwd=self.root,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()
            raise CommandError(f"`{' '.join(command)}` failed in {self.root} ({result.returncode}):\n{output}")
        return result

    def script(self, name: str, *args: str, extra_env: Mapping[str, str] | None = None) -> str:
        return self.run(str(self.root / "scripts" / name), *args, extra_env=extra_env).stderr

    def commit_all(self, message: str) -> None:
        self.run("git", "add", "-A")
        self.run("git", "commit", "--quiet", "--allow-empty", "-m", message)

    def uv(self, *args: str) -> None:
        self.run(self.env["APIS_UV"], *args)


def clone_checkout(source: Path, destination: Path) -> Clone:
    """Clone ``source`` and commit its working tree (tracked and untracked, not ignored) over the clone."""
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(source), str(destination)], check=True)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for relative in set(listed.split("\0")) - {""}:
        origin, target = source / relative, destination / relative
        if origin.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)
        elif target.exists() and not origin.exists():
            target.unlink()
    clone = Clone(destination)
    clone.commit_all("bench-release: working tree of the checkout")
    return clone


def point_services_at_own_index(clone: Clone) -> None:
    for service in SERVICES:
        directory = clone.root / "services" / service
        pyproject, lock = directory / "pyproject.toml", directory / "uv.lock"
        pyproject.write_text(pyproject.read_text().replace(DEV_INDEX_URL, clone.index_url))
        old_base, new_base = DEV_INDEX_URL.removesuffix("simple/"), clone.index_url.removesuffix("simple/")
        lock.write_text(lock.read_text().replace(old_base, new_base))
        clone.uv("lock", "--check", "--quiet", "--project", str(directory))
    clone.commit_all(f"bench-release: services use the index on port {clone.ports['APIS_INDEX_PORT']}")


def _timed(action: Callable[[], str]) -> tuple[float, str]:
    started = time.perf_counter()
    output = action()
    return time.perf_counter() - started, output


def run_round(clone: Clone, service: str, number: int) -> dict[str, float]:
    """Release the next patch, pin ``service`` to it and sync the service; the seconds of each step."""
    changelog = clone.root / CHANGELOG
    changelog.write_text(with_unreleased_notes(changelog.read_text(), f"### Fixed\n\n- Benchmark round {number}."))
    clone.commit_all(f"bench-release: changelog of round {number}")
    release_seconds, release_stderr = _timed(
        lambda: clone.script("release", "patch", extra_env={"APIS_RELEASE_TIMINGS": "1"})
    )
    version = _library_version(clone.root)
    pin_seconds, _ = _timed(lambda: clone.script("pin", service, version))
    sync_seconds, _ = _timed(
        lambda: (
            clone.run(clone.env["APIS_UV"], "sync", "--locked", "--quiet", "--project", f"services/{service}").stderr
        )
    )
    clone.commit_all(f"bench-release: {service} on {version}")
    phases = parse_release_timings(release_stderr)
    inside = phases.pop("total", release_seconds)
    return {
        "release": release_seconds,
        "  script-start": release_seconds - inside,
        **{f"  {phase}": seconds for phase, seconds in phases.items()},
        "pin": pin_seconds,
        "sync": sync_seconds,
        "total": release_seconds + pin_seconds + sync_seconds,
    }


def _library_version(root: Path) -> str:
    text = (root / "packages/apis-shared/src/apis/shared/_version.py").read_text()
    match = re.search(r'^__version__ = "([^"]+)"$', text, flags=re.MULTILINE)
    if match is None:
        raise CommandError("no __version__ in the clone's library")
    return match.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench-release", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=3, help="release/pin/sync rounds, each the next patch (default 3)"
    )
    parser.add_argument("--service", default="app-api", choices=sorted(SERVICES), help="the service to pin and sync")
    parser.add_argument("--keep", action="store_true", help="leave the clone's directory for inspection")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        raise CommandError("--rounds must be at least 1")
    source = load_config().root
    scratch = Path(tempfile.mkdtemp(prefix="apis-bench-release-"))
    clone: Clone | None = None
    try:
        print(f"cloning {source} into {scratch / 'repo'} ...", file=sys.stderr)
        clone = clone_checkout(source, scratch / "repo")
        print(
            f"starting the clone's index on port {clone.ports['APIS_INDEX_PORT']} (rebuilds every record) ...",
            file=sys.stderr,
        )
        clone.script("index", "up")
        point_services_at_own_index(clone)
        clone.uv("sync", "--locked", "--quiet", "--project", f"services/{args.service}")
        rounds: list[dict[str, float]] = []
        for number in range(1, args.rounds + 1):
            figures = run_round(clone, args.service, number)
            rounds.append(figures)
            print(
                f"round {number}: release {figures['release']:.2f} s, pin {figures['pin']:.2f} s, "
                f"sync {figures['sync']:.2f} s, total {figures['total']:.2f} s",
                file=sys.stderr,
            )
    finally:
        if clone is not None:
            subprocess.run(
                [str(clone.root / "scripts" / "index"), "stop"],
                cwd=clone.root,
                env=clone.env,
                capture_output=True,
                check=False,
            )
        if args.keep:
            print(f"kept {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"release → pin {args.service} → synced, {args.rounds} round(s), seconds ({os.cpu_count()} cores)")
    for line in format_table(rounds):
        print(line)
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
