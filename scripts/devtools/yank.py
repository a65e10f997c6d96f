"""Yank a release of apis-shared: no pin may choose it again.

    scripts/yank VERSION --reason "why"

Marks the release record (``yanked``, ``yanked_at``; committed as
"yank: apis-shared X.Y.Z") and the local index (its simple page gives the
files ``data-yanked``, PEP 592). The files stay published: a deployed image
built from a lock that names them still installs. From then on
``scripts/pin`` refuses the version, ``scripts/bump-pins`` skips it and
``scripts/versions`` shows every service still pinned to it.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from devtools.config import Config, load_config
from devtools.errors import CommandError
from devtools.git import git
from devtools.records import ReleaseRecord, load_records, save_records

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["YANK_LIST", "main", "write_yank_list", "yank"]

YANK_LIST = "yanked.json"


def yank_list_path(config: Config) -> Path:
    return config.index_dir / YANK_LIST


def write_yank_list(config: Config, records: list[ReleaseRecord]) -> dict[str, str]:
    """Write the index's list of yanked files (file name -> reason) from the records; return it."""
    yanked = {artifact.filename: record.yanked for record in records if record.yanked for artifact in record.artifacts}
    config.index_dir.mkdir(parents=True, exist_ok=True)
    path = yank_list_path(config)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(yanked, indent=2, sort_keys=True) + "\n")
    temporary.replace(path)
    return yanked


def yank(config: Config, version: str, reason: str) -> ReleaseRecord:
    """Mark ``version`` yanked in the record (and commit it) and on the local index."""
    reason = " ".join(reason.split())
    if not reason:
        raise CommandError("say why with --reason: it is shown to everyone who meets the release")
    records = load_records(config.records_file)
    position = next((i for i, record in enumerate(records) if record.version == version), None)
    if position is None:
        known = ", ".join(record.version for record in records)
        raise CommandError(f"apis-shared {version} has no release record (recorded: {known})")
    current = records[position]
    if current.yanked:
        raise CommandError(f"apis-shared {version} was already yanked at {current.yanked_at}: {current.yanked}")
    relative = config.records_file.relative_to(config.root)
    if git(config.root, "status", "--porcelain", "--", str(relative)).strip():
        raise CommandError(f"{relative} has uncommitted changes; commit or restore them first")
    now = datetime.now(tz=UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    records[position] = replace(current, yanked=reason, yanked_at=now)
    save_records(config.records_file, records, source_path=config.library_source_path)
    try:
        git(config.root, "commit", "--quiet", "-m", f"yank: apis-shared {version}\n\n{reason}", "--", str(relative))
    except BaseException:
        save_records(config.records_file, [*records[:position], current, *records[position + 1 :]],
                     source_path=config.library_source_path)  # fmt: skip
        raise
    write_yank_list(config, records)
    return records[position]


def main(argv: list[str] | None = None) -> int:
    from devtools.versions import pinned_versions

    parser = argparse.ArgumentParser(prog="scripts/yank", description=__doc__.splitlines()[0])
    parser.add_argument("version", help="a recorded apis-shared version")
    parser.add_argument("--reason", required=True, help="why: shown by scripts/pin, scripts/versions and the index")
    args = parser.parse_args(argv)
    config = load_config()
    record = yank(config, args.version, args.reason)
    print(f"yanked apis-shared {record.version} at {record.yanked_at}: {record.yanked}")
    print("  record committed; the local index marks its files data-yanked")
    for service, pin in pinned_versions(config).items():
        if pin == record.version:
            print(f"  {service} still pins {pin}: move it (`scripts/pin {service} <version>`; see `scripts/versions`)")
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
