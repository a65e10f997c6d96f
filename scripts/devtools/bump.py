"""Move a service's pin to the newest release (the pin-bump pipeline's step, also usable by hand).

    scripts/bump-pins SERVICE [--to VERSION]

The target is ``--to`` or the newest release that is not yanked; the move is
``scripts/pin``'s (same checks: recorded, on the index, not yanked, hashes in
the lock). Prints what it did; under GitHub Actions it also writes ``moved``,
``from``, ``to``, ``major`` and the changelog notes of the releases skipped
over to ``$GITHUB_OUTPUT`` for the workflow that opens the pull request.
"""

from __future__ import annotations

import argparse
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from devtools import changelog
from devtools.config import SERVICES, Config, load_config
from devtools.errors import CommandError
from devtools.pin import pin_service
from devtools.records import load_records
from devtools.versions import newest_release, pinned_versions

__all__ = ["PinMove", "main", "move_pin", "release_notes"]


@dataclass(frozen=True)
class PinMove:
    service: str
    previous: str
    target: str

    @property
    def moved(self) -> bool:
        return self.previous != self.target

    @property
    def crosses_major(self) -> bool:
        return Version(self.previous).major != Version(self.target).major


def move_pin(config: Config, service: str, to: str | None = None) -> PinMove:
    """Pin ``service`` to ``to`` or the newest release that is not yanked."""
    if service not in SERVICES:
        raise CommandError(f"unknown service {service!r}; services: {', '.join(SERVICES)}")
    records = load_records(config.records_file)
    target = to
    if target is None:
        newest = newest_release(records)
        if newest is None:
            raise CommandError("no release that is not yanked: nothing to move to")
        target = newest.version
    previous = pinned_versions(config)[service]
    if previous == target:
        return PinMove(service, previous, target)
    pin_service(config, service, target)
    return PinMove(service, previous, target)


def release_notes(config: Config, move: PinMove) -> str:
    """The changelog entries of the releases after the old pin, up to the target, newest first."""
    text = (config.library_dir / "CHANGELOG.md").read_text()
    low, high = Version(move.previous), Version(move.target)
    versions = sorted(
        (r.version for r in load_records(config.records_file) if low < Version(r.version) <= high),
        key=Version,
        reverse=True,
    )
    parts = [f"## {version}\n\n{changelog.entry_for(text, version) or '(no notes)'}" for version in versions]
    return "\n\n".join(parts)


def _write_github_output(values: dict[str, str]) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    with Path(path).open("a") as output:
        for name, value in values.items():
            delimiter = f"EOF_{uuid.uuid4().hex}"
            output.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bump-pins", description=__doc__.splitlines()[0])
    parser.add_argument("service", choices=list(SERVICES))
    parser.add_argument("--to", metavar="VERSION", help="a recorded release (default: the newest not yanked)")
    args = parser.parse_args(argv)
    config = load_config()
    move = move_pin(config, args.service, args.to)
    if move.moved:
        kind = "major upgrade: read the Breaking notes" if move.crosses_major else "upgrade"
        print(f"{move.service}: apis-shared {move.previous} -> {move.target} ({kind})")
    else:
        print(f"{move.service}: already on apis-shared {move.target}")
    _write_github_output(
        {
            "moved": "true" if move.moved else "false",
            "from": move.previous,
            "to": move.target,
            "major": "true" if move.moved and move.crosses_major else "false",
            "notes": release_notes(config, move) if move.moved else "",
        }
    )
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
