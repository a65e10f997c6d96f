"""Publish a recorded release to another index (production), from a verified rebuild.

    scripts/publish <version> --index-url URL      (credentials: TWINE_USERNAME / TWINE_PASSWORD)

The files are rebuilt from the recorded source and must match the recorded
sha256 before anything is uploaded, so production receives exactly the bytes
the services locked. Publishing again is a no-op when the index already has
the same bytes, and an error when it has different bytes under the same name.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from devtools.config import load_config
from devtools.errors import CommandError
from devtools.index import IndexClient
from devtools.rebuild import rebuild_record
from devtools.records import load_records
from devtools.release import PROJECT, run_check

__all__ = ["main", "publish"]


def publish(version: str, index_url: str) -> list[str]:
    """Upload the recorded files of ``version`` that the index lacks; return their names."""
    config = load_config()
    record = next((r for r in load_records(config.records_file) if r.version == version), None)
    if record is None:
        raise CommandError(f"{PROJECT} {version} has no release record; release it with `scripts/release` first")
    username, password = os.environ.get("TWINE_USERNAME"), os.environ.get("TWINE_PASSWORD")
    if not (username and password):
        raise CommandError("publishing needs TWINE_USERNAME and TWINE_PASSWORD")
    index = IndexClient(index_url)
    published = index.project_files(PROJECT)
    missing = []
    for artifact in record.artifacts:
        remote = published.get(artifact.filename)
        if remote is None and artifact.filename in published:
            raise CommandError(f"{index_url} lists {artifact.filename} without a sha256; cannot verify it")
        if remote is not None and remote != artifact.sha256:
            raise CommandError(
                f"{index_url} already has {artifact.filename} with sha256 {remote}, "
                f"but the record says {artifact.sha256}: the index holds other bytes under a released name"
            )
        if remote is None:
            missing.append(artifact.filename)
    if missing:
        with tempfile.TemporaryDirectory(prefix="apis-publish-") as scratch:
            files = [path for path in rebuild_record(config, record, Path(scratch)) if path.name in missing]
            upload_url = index_url.rstrip("/").removesuffix("/simple") + "/"
            command = [
                sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar",
                "--repository-url", upload_url, *(str(path) for path in files),
            ]  # fmt: skip
            run_check(command, f"upload to {upload_url}")
    republished = index.project_files(PROJECT)
    for artifact in record.artifacts:
        if republished.get(artifact.filename) != artifact.sha256:
            raise CommandError(f"{index_url} serves {artifact.filename} with an unexpected sha256 after upload")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/publish", description=__doc__.splitlines()[0])
    parser.add_argument("version", help="a recorded apis-shared version")
    parser.add_argument("--index-url", required=True, help="the index's simple URL")
    args = parser.parse_args(argv)
    uploaded = publish(args.version, args.index_url)
    if uploaded:
        print(f"published {', '.join(uploaded)} to {args.index_url}; hashes match the record")
    else:
        print(f"{PROJECT} {args.version} is already on {args.index_url} with the recorded hashes")
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
