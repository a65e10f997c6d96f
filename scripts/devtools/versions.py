"""Where each service stands: its apis-shared pin, how far behind the newest release, what nobody uses.

    scripts/versions [--json]

Read from the release records and the services' pyproject.toml files only (no
index, no network), so it answers the same on any clone of a commit.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from packaging.version import Version

from devtools.config import SERVICES, Config, load_config
from devtools.pin import current_pin
from devtools.records import ReleaseRecord, load_records

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["ServiceStanding", "VersionReport", "main", "newest_release", "pinned_versions", "version_report"]


def pinned_versions(config: Config) -> dict[str, str]:
    """Each service's exact apis-shared pin."""
    return {
        name: current_pin((spec.directory(config.root) / "pyproject.toml").read_text())
        for name, spec in SERVICES.items()
    }


def newest_release(records: Sequence[ReleaseRecord], *, major: int | None = None) -> ReleaseRecord | None:
    """The highest release that is not yanked (within ``major`` when given)."""
    candidates = [
        record for record in records if not record.yanked and (major is None or Version(record.version).major == major)
    ]
    return max(candidates, key=lambda record: Version(record.version), default=None)


@dataclass(frozen=True)
class ServiceStanding:
    service: str
    pin: str
    behind: int
    newer: list[str]
    newest_in_major: str | None
    pin_yanked: str | None


@dataclass(frozen=True)
class VersionReport:
    newest: str | None
    services: list[ServiceStanding]
    unused: list[str]
    yanked: dict[str, str]


def version_report(records: Sequence[ReleaseRecord], pins: Mapping[str, str]) -> VersionReport:
    """How far each pin is from the newest release that is not yanked, and which releases no pin uses."""
    available = sorted((r for r in records if not r.yanked), key=lambda r: Version(r.version))
    newest = newest_release(records)
    standings = []
    for service, pin in pins.items():
        newer = [r.version for r in available if Version(r.version) > Version(pin)]
        in_major = newest_release(records, major=Version(pin).major)
        pin_yanked = next((r.yanked for r in records if r.version == pin and r.yanked), None)
        standings.append(
            ServiceStanding(service, pin, len(newer), newer, in_major.version if in_major else None, pin_yanked)
        )
    used = set(pins.values())
    unused = [r.version for r in sorted(records, key=lambda r: Version(r.version)) if r.version not in used]
    yanked = {r.version: r.yanked for r in records if r.yanked}
    return VersionReport(newest.version if newest else None, standings, unused, yanked)


def render(report: VersionReport) -> str:
    lines = [f"newest apis-shared release: {report.newest or '(none)'}", ""]
    width = max((len(s.service) for s in report.services), default=7)
    lines.append(f"{'service':<{width}}  {'pin':<8}  {'behind':>6}  newer releases")
    for standing in report.services:
        newer = ", ".join(standing.newer) or "(up to date)"
        lines.append(f"{standing.service:<{width}}  {standing.pin:<8}  {standing.behind:>6}  {newer}")
        if standing.pin_yanked:
            lines.append(f"{'':<{width}}  ! {standing.pin} is YANKED: {standing.pin_yanked}")
        if standing.newest_in_major and standing.newest_in_major != standing.pin and standing.behind:
            lines.append(f"{'':<{width}}    newest in its major: {standing.newest_in_major}")
    lines.append("")
    lines.append(f"releases no service uses: {', '.join(report.unused) or '(none)'}")
    for version, reason in report.yanked.items():
        lines.append(f"yanked: {version}: {reason}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/versions", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    config = load_config()
    report = version_report(load_records(config.records_file), pinned_versions(config))
    print(json.dumps(asdict(report), indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
