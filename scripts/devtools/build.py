"""Reproducible builds of apis-shared from a git tree.

The source is exported from git (tracked files only, nothing the working tree
happens to hold) and built by ``uv build`` with hatchling pinned in the
package's ``build-system`` and its own dependencies pinned by
``build-constraints.txt``; the zip timestamps come from ``SOURCE_DATE_EPOCH``.
The same tree and epoch give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devtools.errors import CommandError
from devtools.git import export_tree
from devtools.records import Artifact

__all__ = ["BuiltDistributions", "build_tree", "sha256_of", "uv_command"]

BUILD_CONSTRAINTS = "build-constraints.txt"


def uv_command() -> list[str]:
    """How to call uv: the binary the scripts bootstrapped (``APIS_UV``), else ``uv`` on PATH."""
    return [os.environ.get("APIS_UV", "uv")]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class BuiltDistributions:
    """The wheel and sdist of one build."""

    wheel: Path
    sdist: Path

    def artifacts(self) -> tuple[Artifact, Artifact]:
        return (
            Artifact(self.wheel.name, sha256_of(self.wheel)),
            Artifact(self.sdist.name, sha256_of(self.sdist)),
        )


def build_tree(root: Path, tree_id: str, *, source_date_epoch: int, out_dir: Path) -> BuiltDistributions:
    """Build the wheel and sdist of git tree ``tree_id`` (the library's directory) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="apis-shared-src-") as scratch:
        source = Path(scratch) / "apis-shared"
        export_tree(root, tree_id, source)
        # The interpreter running this tooling, named outright: resolving `python3` on PATH can run a version
        # manager's shim (a tree of shell processes) on every build. A pure-Python wheel's bytes do not depend on it.
        command = [*uv_command(), "build", "--no-sources", "--python", sys.executable, "--out-dir", str(out_dir)]
        if (source / BUILD_CONSTRAINTS).exists():
            command += ["--build-constraint", str(source / BUILD_CONSTRAINTS)]
        command.append(str(source))
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(source_date_epoch), "UV_PYTHON_DOWNLOADS": "never"}
        result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        if result.returncode != 0:
            raise CommandError(f"building tree {tree_id} failed:\n{result.stderr.strip()}")
    wheels = sorted(out_dir.glob("*.whl"))
    sdists = sorted(out_dir.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise CommandError(f"expected one wheel and one sdist in {out_dir}, found {wheels + sdists}")
    return BuiltDistributions(wheel=wheels[0], sdist=sdists[0])
