"""Rebuild every recorded release from its recorded source and fill the local index.

This is how a fresh clone (a new laptop, a CI machine) gets exactly the bytes
production has: nothing is downloaded from anywhere, and a build whose sha256
differs from its record stops everything.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from devtools.build import build_tree, sha256_of
from devtools.config import Config, load_config
from devtools.errors import CommandError
from devtools.records import ReleaseRecord, load_records

__all__ = ["fill_index", "rebuild_record"]


def rebuild_record(config: Config, record: ReleaseRecord, out_dir: Path) -> list[Path]:
    """Rebuild one release into ``out_dir`` and check both files against the record."""
    built = build_tree(config.root, record.source_tree, source_date_epoch=record.source_date_epoch, out_dir=out_dir)
    problems = []
    for expected, actual in zip(record.artifacts, built.artifacts(), strict=True):
        if expected.filename != actual.filename:
            problems.append(f"  file name {actual.filename} != recorded {expected.filename}")
        elif expected.sha256 != actual.sha256:
            problems.append(f"  {actual.filename}: sha256 {actual.sha256} != recorded {expected.sha256}")
    if problems:
        raise CommandError(
            f"apis-shared {record.version} does not rebuild to its recorded bytes "
            f"(source tree {record.source_tree}, SOURCE_DATE_EPOCH={record.source_date_epoch}):\n" + "\n".join(problems)
        )
    return [built.wheel, built.sdist]


def fill_index(config: Config) -> list[str]:
    """Rebuild each recorded release and put its files in the index directory; return the versions."""
    records = load_records(config.records_file)
    config.index_packages_dir.mkdir(parents=True, exist_ok=True)
    for record in records:
        if all(_present_and_equal(config, artifact.filename, artifact.sha256) for artifact in record.artifacts):
            print(f"apis-shared {record.version}: already on the index, hashes match the record")
            continue
        with tempfile.TemporaryDirectory(prefix="apis-rebuild-") as scratch:
            files = rebuild_record(config, record, Path(scratch))
            for path in files:
                target = config.index_packages_dir / path.name
                if not target.exists():
                    shutil.copy2(path, target)
        print(f"apis-shared {record.version}: rebuilt from tree {record.source_tree[:12]}, hashes match the record")
    from devtools.yank import write_yank_list

    write_yank_list(config, records)
    return [record.version for record in records]


def _present_and_equal(config: Config, filename: str, sha256: str) -> bool:
    target = config.index_packages_dir / filename
    if not target.exists():
        return False
    actual = sha256_of(target)
    if actual != sha256:
        raise CommandError(
            f"{target} on the local index has sha256 {actual}, but the record says {sha256}. "
            "Published files are immutable: find out who changed it before anything else."
        )
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/rebuild", description=__doc__.splitlines()[0])
    parser.add_argument("--check-only", action="store_true", help="rebuild and compare, but leave the index alone")
    args = parser.parse_args(argv)
    config = load_config()
    if args.check_only:
        for record in load_records(config.records_file):
            with tempfile.TemporaryDirectory(prefix="apis-rebuild-") as scratch:
                rebuild_record(config, record, Path(scratch))
            print(f"apis-shared {record.version}: rebuilds byte for byte")
        return 0
    fill_index(config)
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
