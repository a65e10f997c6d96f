"""Run every test and check of the repository, each in the environment it belongs to.

    scripts/test [STEP ...]      (default: every step, in this order)

Steps:
  locks          root and service uv.lock files are up to date with their pyproject.toml
  lint           ruff check and ruff format --check
  types          mypy --strict (library, services, tooling)
  imports        import-linter contracts (services independent, library imports neither)
  suppression    no exception handler swallows without a # JUSTIFICATION:
  shared         tests/shared and tests/architecture, coverage of apis.shared >= 90%
  app-api        tests/app_api in app-api's own environment, on its pinned apis-shared
  inference-api  tests/inference_api in inference-api's own environment, on its pin
  compat         both services' tests against the working-tree library (--with-editable)
  release        tests/release: release, pin, rollback, rebuild, index policy
  e2e            tests/e2e: the dev stack from `scripts/dev`

The local index is filled from the release records and started when a step
needs it, and stopped afterwards if this run started it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from devtools.build import uv_command
from devtools.config import SERVICES, Config, load_config
from devtools.errors import CommandError
from devtools.index import index_server, start_index
from devtools.rebuild import fill_index

__all__ = ["STEPS", "main"]

STEPS = [
    "locks", "lint", "types", "imports", "suppression", "shared",
    "app-api", "inference-api", "compat", "release", "e2e",
]  # fmt: skip
NEEDS_INDEX = {"locks", "app-api", "inference-api", "compat", "release", "e2e"}
EDITABLE_ENV = "APIS_SHARED_UNDER_TEST"


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failed_steps: list[str] = field(default_factory=list)

    def add_junit(self, report: Path) -> None:
        if not report.exists():
            return
        root = ET.parse(report).getroot()
        for suite in root.iter("testsuite"):
            tests = int(suite.get("tests", 0))
            failures = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped = int(suite.get("skipped", 0))
            self.passed += tests - failures - skipped
            self.failed += failures
            self.skipped += skipped


class Runner:
    def __init__(self, config: Config, scratch: Path) -> None:
        self.config = config
        self.scratch = scratch
        self.tally = Tally()
        self.python = str(config.root / ".venv" / "bin" / "python")
        self.bin = config.root / ".venv" / "bin"

    def run(self, step: str, command: list[str], *, env: dict[str, str] | None = None) -> bool:
        print(f"\n=== {step}: {' '.join(command)}", flush=True)
        started = time.monotonic()
        result = subprocess.run(command, cwd=self.config.root, env={**os.environ, **(env or {})}, check=False)
        took = time.monotonic() - started
        ok = result.returncode == 0
        print(f"=== {step}: {'ok' if ok else f'FAILED (exit {result.returncode})'} in {took:.1f}s", flush=True)
        if not ok:
            self.tally.failed_steps.append(step)
        return ok

    def pytest(self, step: str, prefix: list[str], args: list[str], *, env: dict[str, str] | None = None) -> None:
        report = self.scratch / f"{step}.xml"
        command = [*prefix, "pytest", "-p", "no:cacheprovider", f"--junitxml={report}", *args]
        self.run(step, command, env=env)
        self.tally.add_junit(report)

    def service_prefix(self, service: str, *extra: str) -> list[str]:
        directory = str(SERVICES[service].directory(self.config.root))
        return [*uv_command(), "run", "--locked", "--quiet", "--project", directory, *extra]

    def step(self, name: str) -> None:
        getattr(self, "step_" + name.replace("-", "_"))()

    def step_locks(self) -> None:
        self.run("locks", [*uv_command(), "lock", "--check", "--quiet"])
        for spec in SERVICES.values():
            self.run(
                "locks",
                [*uv_command(), "lock", "--check", "--quiet", "--project", str(spec.directory(self.config.root))],
            )

    def step_lint(self) -> None:
        self.run("lint", [str(self.bin / "ruff"), "check", "."])
        self.run("lint", [str(self.bin / "ruff"), "format", "--check", "."])

    def step_types(self) -> None:
        sources = [
            "packages/apis-shared/src/apis/shared",
            "services/app-api/src/apis/app_api",
            "services/inference-api/src/apis/inference_api",
            "scripts/devtools",
        ]
        self.run("types", [str(self.bin / "mypy"), *sources])

    def step_imports(self) -> None:
        sources = [
            self.config.root / "packages" / "apis-shared" / "src",
            *(spec.directory(self.config.root) / "src" for spec in SERVICES.values()),
        ]
        env = {"PYTHONPATH": os.pathsep.join(str(source) for source in sources)}
        self.run("imports", [str(self.bin / "lint-imports"), "--no-cache"], env=env)

    def step_suppression(self) -> None:
        env = {"PYTHONPATH": str(self.config.root / "scripts")}
        self.run("suppression", [self.python, "-m", "devtools.checks.suppression"], env=env)

    def step_shared(self) -> None:
        args = ["--cov", "--cov-report=term-missing", "tests/shared", "tests/architecture"]
        self.pytest("shared", [self.python, "-m"], args)

    def step_app_api(self) -> None:
        self.pytest("app-api", self.service_prefix("app-api"), ["tests/app_api"])

    def step_inference_api(self) -> None:
        self.pytest("inference-api", self.service_prefix("inference-api"), ["tests/inference_api"])

    def step_compat(self) -> None:
        library = str(self.config.library_dir)
        for service in SERVICES:
            prefix = self.service_prefix(service, "--with-editable", library)
            tests = "tests/" + service.replace("-", "_")
            self.pytest(f"compat-{service}", prefix, [tests], env={EDITABLE_ENV: "editable"})

    def step_release(self) -> None:
        self.pytest("release", [self.python, "-m"], ["tests/release"])

    def step_e2e(self) -> None:
        self.pytest("e2e", [self.python, "-m"], ["tests/e2e"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/test", description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="*", metavar="STEP", help=" ".join(STEPS))
    args = parser.parse_args(argv)
    unknown = set(args.steps) - set(STEPS)
    if unknown:
        raise CommandError(f"unknown step(s) {', '.join(sorted(unknown))}; steps: {' '.join(STEPS)}")
    steps = args.steps or STEPS
    config = load_config()
    started_index = False
    if NEEDS_INDEX & set(steps):
        fill_index(config)
        started_index = start_index(config)
    try:
        with tempfile.TemporaryDirectory(prefix="apis-test-") as scratch:
            runner = Runner(config, Path(scratch))
            for step in steps:
                runner.step(step)
    finally:
        if started_index:
            index_server(config).stop()
    tally = runner.tally
    print()
    if tally.failed_steps:
        print(f"FAILED steps: {', '.join(dict.fromkeys(tally.failed_steps))}")
    else:
        print(f"all {len(steps)} step(s) passed")
    print(f"tests: {tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped")
    return 1 if tally.failed_steps else 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
