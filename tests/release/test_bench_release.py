"""The pure parts of scripts/bench-release and of the release's concurrent checks and timing output."""

from __future__ import annotations

import threading

import pytest

from devtools.bench_release import format_table, parse_release_timings, with_unreleased_notes
from devtools.errors import CommandError
from devtools.release import PhaseTimer, run_concurrently

CHANGELOG = """# Changelog

Intro.

## [Unreleased]

### Fixed

- Something old and unreleased.

## [1.7.1] - 2026-11-27

### Fixed

- Released.
"""


def test_unreleased_notes_replace_the_section_and_keep_the_releases() -> None:
    assert with_unreleased_notes(CHANGELOG, "### Fixed\n\n- Benchmark round 1.\n") == (
        "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Fixed\n\n- Benchmark round 1.\n\n"
        "## [1.7.1] - 2026-11-27\n\n### Fixed\n\n- Released.\n"
    )


def test_a_changelog_without_an_unreleased_section_is_refused() -> None:
    with pytest.raises(CommandError, match=r"no `## \[Unreleased\]` section"):
        with_unreleased_notes("# Changelog\n\n## [1.0.0] - 2026-01-01\n", "- x")


def test_timing_lines_are_read_and_other_output_is_ignored() -> None:
    stderr = (
        "warning: something\n"
        "release-timing refuse-unready 1.250\n"
        "release-timing build 2.000\n"
        "release-timing-like noise 3.0\n"
        "release-timing total 8\n"
    )
    assert parse_release_timings(stderr) == {"refuse-unready": 1.25, "build": 2.0, "total": 8.0}


def test_the_table_gives_each_round_then_min_and_median() -> None:
    rounds = [{"release": 9.0, "pin": 3.0}, {"release": 7.0, "pin": 3.5, "  extra": 1.0}, {"release": 8.0, "pin": 2.5}]
    assert format_table(rounds) == [
        "phase        r1      r2      r3     min  median",
        "release    9.00    7.00    8.00    7.00    8.00",
        "pin        3.00    3.50    2.50    2.50    3.00",
        "  extra       -    1.00       -    1.00    1.00",
    ]


def test_tasks_run_at_the_same_time_and_results_keep_the_tasks_order() -> None:
    # Each task waits for the other: run one after the other, the barrier times out and the test fails.
    both_started = threading.Barrier(2, timeout=10)

    def task(result: str) -> str:
        both_started.wait()
        return result

    assert list(run_concurrently({"b": lambda: task("second"), "a": lambda: task("first")}).items()) == [
        ("b", "second"),
        ("a", "first"),
    ]


def test_every_task_runs_to_its_end_and_every_refusal_is_reported_in_order() -> None:
    finished: list[str] = []

    def fails(name: str) -> None:
        finished.append(name)
        raise CommandError(f"{name} failed")

    def passes() -> None:
        finished.append("passes")

    with pytest.raises(CommandError) as refused:
        run_concurrently({"twine": lambda: fails("twine"), "ok": passes, "smoke": lambda: fails("smoke")})
    assert str(refused.value) == "twine failed\nsmoke failed"
    assert sorted(finished) == ["passes", "smoke", "twine"]


def test_an_unexpected_error_is_raised_as_itself() -> None:
    def broken() -> None:
        raise ValueError("a bug, not a refusal")

    def refused() -> None:
        raise CommandError("twine failed")

    with pytest.raises(ValueError, match="a bug, not a refusal"):
        run_concurrently({"check": refused, "smoke": broken})


def test_enabled_timer_prints_lines_the_benchmark_reads(capsys: pytest.CaptureFixture[str]) -> None:
    run_concurrently({"twine-check": lambda: None, "smoke": lambda: None}, PhaseTimer(enabled=True))
    with PhaseTimer(enabled=False).phase("silent"):
        pass
    printed = capsys.readouterr()
    assert printed.out == ""
    assert sorted(parse_release_timings(printed.err)) == ["smoke", "twine-check"]
    assert len(printed.err.splitlines()) == 2
