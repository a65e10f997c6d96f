"""The few git operations the release loop needs."""

from __future__ import annotations

import io
import subprocess
import tarfile
from typing import TYPE_CHECKING

from devtools.errors import CommandError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["export_tree", "git", "is_dirty", "object_exists"]


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``root`` and return its stdout; raise CommandError with git's stderr on failure."""
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise CommandError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def is_dirty(root: Path) -> list[str]:
    """The paths git reports as changed or untracked (ignored files excluded)."""
    return [line for line in git(root, "status", "--porcelain").splitlines() if line.strip()]


def object_exists(root: Path, object_id: str) -> bool:
    result = subprocess.run(["git", "cat-file", "-e", object_id], cwd=root, capture_output=True, check=False)
    return result.returncode == 0


def export_tree(root: Path, tree_id: str, destination: Path) -> None:
    """Write the files of git tree ``tree_id`` into ``destination`` (tracked content only)."""
    if not object_exists(root, tree_id):
        raise CommandError(
            f"git object {tree_id} is not in this clone; fetch the full history (a shallow clone lacks old releases)"
        )
    archive = subprocess.run(["git", "archive", "--format=tar", tree_id], cwd=root, capture_output=True, check=False)
    if archive.returncode != 0:
        raise CommandError(f"git archive {tree_id} failed: {archive.stderr.decode().strip()}")
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data")
