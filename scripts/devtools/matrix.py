"""The version matrix: each service's tests on its pin, on the newest release and on the working tree.

    scripts/matrix [--service NAME] [--cells pin,newest,tree] [-- PYTEST ARGS]

- pin: the service's own environment, from its lock (what it ships);
- newest: a scratch copy of the service pinned (``scripts/pin``'s checks
  included) to the newest release that is not yanked; the same as ``pin`` when
  the service is already there;
- tree: the working-tree library layered over the service's environment.

Each cell runs the service's tests without the long fuzzing (or the pytest
arguments given after ``--``) and reports passed/failed/skipped. It exits 1
when a service fails on its own pin, or on the working tree while its pin is
in the working tree's major line (a change there would break its next
upgrade); a failing newest release is reported, not fatal: it is what tells a
team it cannot move yet.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from devtools.api_guard import tree_version
from devtools.build import uv_command
from devtools.config import SERVICES, Config, load_config
from devtools.errors import CommandError
from devtools.pin import pin_project
from devtools.records import load_records
from devtools.test_runner import Tally
from devtools.versions import newest_release, pinned_versions

__all__ = ["CELLS", "Cell", "CellResult", "main", "must_pass", "render_matrix", "run_matrix"]

CELLS = ("pin", "newest", "tree")
UNDER_TEST_ENV = "APIS_SHARED_UNDER_TEST"
_COPY_IGNORE = shutil.ignore_patterns(".venv", "__pycache__", "*.egg-info", ".pytest_cache")


@dataclass(frozen=True)
class Cell:
    service: str
    kind: str
    version: str


@dataclass(frozen=True)
class CellResult:
    cell: Cell
    passed: int
    failed: int
    skipped: int
    seconds: float
    same_as: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0 and self.passed > 0

    def summary(self) -> str:
        if self.same_as:
            return f"= {self.same_as}"
        if self.error:
            return f"ERROR: {self.error}"
        verdict = "pass" if self.ok else "FAIL"
        skipped = f", {self.skipped} skipped" if self.skipped else ""
        return f"{verdict} {self.passed}/{self.passed + self.failed}{skipped} ({self.seconds:.0f}s)"


class MatrixRun:
    def __init__(self, config: Config, scratch: Path, pytest_args: list[str]) -> None:
        self.config = config
        self.scratch = scratch
        self.pytest_args = pytest_args

    def tests_for(self, service: str) -> list[str]:
        return self.pytest_args or ["-m", "not fuzz", "tests/" + service.replace("-", "_")]

    def pytest(self, cell: Cell, project: Path, *, extra: list[str], env: dict[str, str]) -> CellResult:
        report = self.scratch / f"{cell.service}-{cell.kind}.xml"
        command = [
            *uv_command(), "run", "--locked", "--quiet", "--project", str(project), *extra,
            "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *self.tests_for(cell.service),
        ]  # fmt: skip
        print(f"--- {cell.service} on {cell.kind} ({cell.version}): {' '.join(command)}", flush=True)
        started = time.monotonic()
        code = subprocess.run(command, cwd=self.config.root, env={**os.environ, **env}, check=False).returncode
        tally = Tally()
        tally.add_junit(report)
        passed, failed, skipped = tally.passed, tally.failed, tally.skipped
        error = None if report.exists() else f"pytest exited {code} without a report (see its output above)"
        return CellResult(cell, passed, failed, skipped, time.monotonic() - started, error=error)

    def run_cell(self, cell: Cell) -> CellResult:
        directory = SERVICES[cell.service].directory(self.config.root)
        if cell.kind == "pin":
            return self.pytest(cell, directory, extra=[], env={UNDER_TEST_ENV: ""})
        if cell.kind == "tree":
            library = str(self.config.library_dir)
            return self.pytest(cell, directory, extra=["--with-editable", library], env={UNDER_TEST_ENV: "editable"})
        copy = self.scratch / cell.service
        shutil.copytree(directory, copy, ignore=_COPY_IGNORE)
        try:
            pin_project(self.config, copy, cell.version)
        except CommandError as exc:
            # JUSTIFICATION: a release the service cannot be pinned to is that cell's result, shown in the matrix.
            return CellResult(cell, 0, 0, 0, 0.0, error=f"cannot pin {cell.version}: {exc}")
        return self.pytest(cell, copy, extra=[], env={UNDER_TEST_ENV: f"release:{cell.version}"})


def run_matrix(config: Config, services: list[str], cells: list[str], pytest_args: list[str]) -> list[CellResult]:
    """Run each requested cell of each service; a newest cell equal to the pin is not run twice."""
    pins = pinned_versions(config)
    newest = newest_release(load_records(config.records_file))
    tree = tree_version(config)
    results: list[CellResult] = []
    with tempfile.TemporaryDirectory(prefix="apis-matrix-") as scratch:
        run = MatrixRun(config, Path(scratch), pytest_args)
        for service in services:
            for kind in cells:
                version = {"pin": pins[service], "newest": newest.version if newest else "", "tree": tree}[kind]
                cell = Cell(service, kind, version)
                if kind == "newest" and not version:
                    results.append(CellResult(cell, 0, 0, 0, 0.0, error="no release that is not yanked"))
                elif kind == "newest" and version == pins[service]:
                    results.append(CellResult(cell, 0, 0, 0, 0.0, same_as="pin"))
                else:
                    results.append(run.run_cell(cell))
    return results


def must_pass(result: CellResult, pins: dict[str, str]) -> bool:
    """Whether a failure of this cell fails the matrix (see the module's docstring)."""
    if result.cell.kind == "pin":
        return True
    if result.cell.kind == "tree":
        return Version(pins[result.cell.service]).major == Version(result.cell.version).major
    return False


def render_matrix(results: list[CellResult]) -> str:
    services = list(dict.fromkeys(r.cell.service for r in results))
    kinds = list(dict.fromkeys(r.cell.kind for r in results))
    label = {"pin": "its pin", "newest": "newest release", "tree": "working tree"}
    table = {(r.cell.service, r.cell.kind): r for r in results}
    header = ["service", *(f"{label[k]} ({next(r.cell.version for r in results if r.cell.kind == k)})" for k in kinds)]
    if "pin" in kinds:
        header[1 + kinds.index("pin")] = "its pin"
    rows = [header]
    for service in services:
        row = [service]
        for kind in kinds:
            result = table[(service, kind)]
            text = result.summary()
            row.append(f"{result.cell.version}: {text}" if kind == "pin" else text)
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/matrix", description=__doc__.splitlines()[0])
    parser.add_argument("--service", action="append", choices=list(SERVICES), help="only this service (repeatable)")
    parser.add_argument("--cells", default=",".join(CELLS), help="comma-separated subset of: pin,newest,tree")
    parser.add_argument("pytest_args", nargs="*", help="after --: pytest arguments instead of the service's tests")
    args = parser.parse_args(argv)
    cells = [cell.strip() for cell in args.cells.split(",") if cell.strip()]
    unknown = set(cells) - set(CELLS)
    if unknown or not cells:
        raise CommandError(f"unknown cell(s) {', '.join(sorted(unknown)) or '(none)'}; cells: {', '.join(CELLS)}")
    config = load_config()
    results = run_matrix(config, args.service or list(SERVICES), cells, args.pytest_args)
    print("\napis-shared version matrix\n")
    print(render_matrix(results))
    pins = pinned_versions(config)
    fatal = [r for r in results if not r.ok and not r.same_as and must_pass(r, pins)]
    if fatal:
        print("\nFAILED: " + ", ".join(f"{r.cell.service} on {r.cell.kind} ({r.cell.version})" for r in fatal))
        return 1
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
