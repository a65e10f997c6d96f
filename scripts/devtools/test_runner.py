"""Run every test and check of the repository, each in the environment it belongs to.

    scripts/test [STEP ...]      (default: every step, in this order)

Steps:
  locks          root and service uv.lock files are up to date with their pyproject.toml,
                 and each service's pip requirement files with its uv.lock
  lint           ruff check and ruff format --check
  types          mypy --strict: the library and tooling in the root environment, each service
                 in its own environment against the library it pins
  imports        import-linter contracts (services independent, library imports neither)
  suppression    no exception handler swallows without a # JUSTIFICATION:
  api            the library's public API against the last release (scripts/api-check): a
                 breaking change fails unless the changelog declares it under ### Breaking
  shared         tests/shared and tests/architecture, coverage of apis.shared >= 90%
  app-api        tests/app_api in app-api's own environment, on its pinned apis-shared,
                 fuzzing included; coverage of apis.app_api >= its floor (COVERAGE_FLOORS)
  inference-api  tests/inference_api in inference-api's own environment, on its pin,
                 fuzzing included; coverage of apis.inference_api >= its floor
  compat         each service's tests against the working-tree library (--with-editable),
                 without the fuzzing the service steps already ran; a service pinned to
                 another major line than the working tree (a declared ### Breaking makes it
                 the next major) is left out: it moves by a major upgrade
  release        tests/release: release, pin, rollback, rebuild, index policy
  e2e            tests/e2e: the dev stack from `scripts/dev`, the AWS outage

Run only when named:
  fuzz           the longer fuzzing run: both services' fuzz tests with APIS_FUZZ_EXAMPLES
                 (default 200 requests per operation) and APIS_FUZZ_SEED (default: a random
                 seed, printed in the report; set it to replay a run)

A test step fails when a test is skipped (or xfailed) for a reason that does
not start with one of ALLOWED_SKIP_REASONS: a skip is a test that did not run,
so only the reasons listed there, each with why it is harmless, may pass CI.

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
from typing import TYPE_CHECKING

from packaging.version import Version

from devtools.api_guard import tree_version
from devtools.build import uv_command
from devtools.config import SERVICES, Config, load_config
from devtools.errors import CommandError
from devtools.index import index_server, start_index
from devtools.rebuild import fill_index
from devtools.versions import pinned_versions

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "ALLOWED_SKIP_REASONS",
    "COVERAGE_FLOORS",
    "OPTIONAL_STEPS",
    "STEPS",
    "Skip",
    "Tally",
    "disallowed_skips",
    "main",
    "skips_in",
]

STEPS = [
    "locks", "lint", "types", "imports", "suppression", "api", "shared",
    "app-api", "inference-api", "compat", "release", "e2e",
]  # fmt: skip
OPTIONAL_STEPS = ["fuzz"]
NEEDS_INDEX = {"locks", "types", "app-api", "inference-api", "compat", "release", "e2e", "fuzz"}
EDITABLE_ENV = "APIS_SHARED_UNDER_TEST"
FUZZ_MARKER = "fuzz"
LONG_FUZZ_DEFAULTS = {"APIS_FUZZ_EXAMPLES": "200", "APIS_FUZZ_SEED": "random"}

# Branch coverage of each service's package, measured by its own step (in its
# own environment, fuzzing included), set just below what the suite reached
# when the floor was last raised. Raise a floor when coverage grows; never lower one to land a change.
COVERAGE_FLOORS = {"app-api": 93, "inference-api": 94}

# The reasons (prefixes of a skip's or xfail's reason) a test may be skipped for
# without failing its step, each with why such a skip is harmless. Empty: every
# skip fails CI.
ALLOWED_SKIP_REASONS: dict[str, str] = {}


@dataclass(frozen=True)
class Skip:
    test: str
    reason: str

    def __str__(self) -> str:
        return f"{self.test}: {self.reason or '(no reason)'}"


def skips_in(report: Path) -> list[Skip]:
    """Every skipped or xfailed test case of a junit report, with its reason."""
    if not report.exists():
        return []
    skips = []
    for case in ET.parse(report).getroot().iter("testcase"):
        for element in case.findall("skipped"):
            name = f"{case.get('classname', '')}::{case.get('name', '')}"
            # pytest writes "Skipped: <reason>" for pytest.skip(reason), "Skipped" for none, the bare reason for marks.
            message = element.get("message", "")
            reason = "" if message == "Skipped" else message.removeprefix("Skipped: ")
            skips.append(Skip(name, reason))
    return skips


def disallowed_skips(skips: list[Skip], allowed: Iterable[str] = ALLOWED_SKIP_REASONS) -> list[Skip]:
    """The skips whose reason starts with none of the allowed reasons (a skip without a reason never passes)."""
    prefixes = tuple(prefix for prefix in allowed if prefix)
    return [skip for skip in skips if not (prefixes and skip.reason.startswith(prefixes))]


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

    def run(self, step: str, command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> bool:
        print(f"\n=== {step}: {' '.join(command)}", flush=True)
        started = time.monotonic()
        where = cwd or self.config.root
        result = subprocess.run(command, cwd=where, env={**os.environ, **(env or {})}, check=False)
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
        refused = disallowed_skips(skips_in(report))
        if refused:
            print(f"=== {step}: FAILED: {len(refused)} test(s) skipped for a reason not in ALLOWED_SKIP_REASONS:")
            for skip in refused:
                print(f"    {skip}")
            self.tally.failed_steps.append(step)

    def service_coverage(self, service: str) -> list[str]:
        package = SERVICES[service].module
        floor = COVERAGE_FLOORS[service]
        return [f"--cov={package}", "--cov-report=term-missing:skip-covered", f"--cov-fail-under={floor}"]

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
        env = {"PYTHONPATH": str(self.config.root / "scripts")}
        self.run("locks", [self.python, "-m", "devtools.requirements", "--check"], env=env)

    def step_lint(self) -> None:
        self.run("lint", [str(self.bin / "ruff"), "check", "."])
        self.run("lint", [str(self.bin / "ruff"), "format", "--check", "."])

    def step_types(self) -> None:
        self.run("types", [str(self.bin / "mypy"), "packages/apis-shared/src/apis/shared", "scripts/devtools"])
        # Each service is checked in its own environment, against the library it pins (its
        # [tool.mypy] names its sources): a service on 1.x is not checked against a 2.x tree.
        for spec in SERVICES.values():
            directory = spec.directory(self.config.root)
            self.run("types", [*self.service_prefix(spec.name), "mypy"], cwd=directory)

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

    def step_api(self) -> None:
        env = {"PYTHONPATH": str(self.config.root / "scripts")}
        self.run("api", [self.python, "-m", "devtools.api_guard"], env=env)

    def step_shared(self) -> None:
        args = ["--cov", "--cov-report=term-missing", "tests/shared", "tests/architecture"]
        self.pytest("shared", [self.python, "-m"], args)

    def step_app_api(self) -> None:
        args = [*self.service_coverage("app-api"), "tests/app_api"]
        self.pytest("app-api", self.service_prefix("app-api"), args)

    def step_inference_api(self) -> None:
        args = [*self.service_coverage("inference-api"), "tests/inference_api"]
        self.pytest("inference-api", self.service_prefix("inference-api"), args)

    def step_compat(self) -> None:
        library = str(self.config.library_dir)
        tree = Version(tree_version(self.config))
        for service, pin in pinned_versions(self.config).items():
            if Version(pin).major != tree.major:
                print(f"\n=== compat-{service}: left out: it pins {pin}, the working tree is {tree} (another major)")
                continue
            prefix = self.service_prefix(service, "--with-editable", library)
            tests = "tests/" + service.replace("-", "_")
            args = ["-m", f"not {FUZZ_MARKER}", tests]
            self.pytest(f"compat-{service}", prefix, args, env={EDITABLE_ENV: "editable"})

    def step_fuzz(self) -> None:
        env = {name: os.environ.get(name) or default for name, default in LONG_FUZZ_DEFAULTS.items()}
        for service in SERVICES:
            tests = "tests/" + service.replace("-", "_")
            args = ["-m", FUZZ_MARKER, "-s", tests]
            self.pytest(f"fuzz-{service}", self.service_prefix(service), args, env=env)

    def step_release(self) -> None:
        self.pytest("release", [self.python, "-m"], ["tests/release"])

    def step_e2e(self) -> None:
        self.pytest("e2e", [self.python, "-m"], ["tests/e2e"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/test", description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="*", metavar="STEP", help=" ".join(STEPS + OPTIONAL_STEPS))
    args = parser.parse_args(argv)
    unknown = set(args.steps) - set(STEPS) - set(OPTIONAL_STEPS)
    if unknown:
        known = " ".join(STEPS + OPTIONAL_STEPS)
        raise CommandError(f"unknown step(s) {', '.join(sorted(unknown))}; steps: {known}")
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
