"""scripts/test fails a step whose tests were skipped for a reason it does not allow; the service steps' floors."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

from devtools import test_runner
from devtools.test_runner import ALLOWED_SKIP_REASONS, COVERAGE_FLOORS, Skip, disallowed_skips, skips_in

if TYPE_CHECKING:
    from pathlib import Path

SKIPPING_TESTS = """
import pytest

def test_runs():
    assert True

def test_skipped_without_a_reason():
    pytest.skip()

@pytest.mark.skip(reason="flaky on CI")
def test_skipped_with_a_reason():
    pass

@pytest.mark.skipif(True, reason="needs docker: no engine on this machine")
def test_skipped_for_an_allowed_reason():
    pass

@pytest.mark.xfail(reason="known bug", strict=True)
def test_expected_to_fail():
    assert False
"""


def junit_of(tmp_path: Path, source: str) -> Path:
    tests = tmp_path / "test_skips.py"
    tests.write_text(source)
    report = tmp_path / "report.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "/dev/null", f"--rootdir={tmp_path}",
         f"--junitxml={report}", str(tests)],
        cwd=tmp_path, capture_output=True, check=False,
    )  # fmt: skip
    return report


def test_every_skip_and_xfail_of_a_real_pytest_run_is_read_with_its_reason(tmp_path: Path) -> None:
    skips = skips_in(junit_of(tmp_path, SKIPPING_TESTS))
    assert [(skip.test.rsplit("::", 1)[1], skip.reason) for skip in skips] == [
        ("test_skipped_without_a_reason", ""),
        ("test_skipped_with_a_reason", "flaky on CI"),
        ("test_skipped_for_an_allowed_reason", "needs docker: no engine on this machine"),
        ("test_expected_to_fail", "known bug"),
    ]


def test_only_skips_whose_reason_starts_with_an_allowed_one_pass(tmp_path: Path) -> None:
    skips = skips_in(junit_of(tmp_path, SKIPPING_TESTS))
    refused = disallowed_skips(skips, allowed=["needs docker:"])
    assert [skip.test.rsplit("::", 1)[1] for skip in refused] == [
        "test_skipped_without_a_reason", "test_skipped_with_a_reason", "test_expected_to_fail",
    ]  # fmt: skip
    assert disallowed_skips(skips, allowed=[]) == skips


def test_the_runner_allows_no_skip_today_and_a_missing_report_has_none(tmp_path: Path) -> None:
    assert ALLOWED_SKIP_REASONS == {}
    assert disallowed_skips([Skip("t::a", "anything")]) == [Skip("t::a", "anything")]
    assert skips_in(tmp_path / "missing.xml") == []


def test_a_step_with_a_refused_skip_fails(tmp_path: Path, capsys) -> None:
    runner = test_runner.Runner.__new__(test_runner.Runner)
    runner.tally = test_runner.Tally()
    runner.scratch = tmp_path
    runner.run = lambda step, command, env=None: True  # type: ignore[method-assign]
    (tmp_path / "unit.xml").write_bytes(junit_of(tmp_path, SKIPPING_TESTS).read_bytes())
    runner.pytest("unit", [], [])
    assert runner.tally.failed_steps == ["unit"]
    assert "=== unit: FAILED: 4 test(s) skipped for a reason not in ALLOWED_SKIP_REASONS:" in capsys.readouterr().out


def test_both_services_have_a_coverage_floor() -> None:
    assert set(COVERAGE_FLOORS) == {"app-api", "inference-api"}
    assert all(70 <= floor < 100 for floor in COVERAGE_FLOORS.values())
