"""Where services stand (scripts/versions) and which matrix cells may fail (scripts/matrix), on planted records."""

from __future__ import annotations

import pytest

from devtools.matrix import Cell, CellResult, must_pass, render_matrix
from devtools.records import Artifact, ReleaseRecord
from devtools.versions import newest_release, render, version_report


def record(version: str, yanked: str | None = None) -> ReleaseRecord:
    files = (
        Artifact(f"apis_shared-{version}-py3-none-any.whl", "0" * 64),
        Artifact(f"apis_shared-{version}.tar.gz", "1" * 64),
    )
    return ReleaseRecord(version, "0" * 40, 0, "hatchling==1.33.0", *files, "", yanked=yanked)


RECORDS = [record("1.9.0"), record("1.10.0"), record("2.0.0"), record("2.1.0", yanked="broke sign-in"), record("1.2.0")]


def test_newest_skips_yanked_and_orders_versions_numerically() -> None:
    assert newest_release(RECORDS).version == "2.0.0"
    assert newest_release(RECORDS, major=1).version == "1.10.0"
    assert newest_release([record("3.0.0", yanked="x")]) is None


def test_each_service_is_as_far_behind_as_the_releases_after_its_pin_that_are_not_yanked() -> None:
    report = version_report(RECORDS, {"app-api": "2.0.0", "inference-api": "1.9.0"})
    app, inference = report.services
    assert (app.pin, app.behind, app.newer, app.pin_yanked) == ("2.0.0", 0, [], None)
    assert (inference.behind, inference.newer, inference.newest_in_major) == (2, ["1.10.0", "2.0.0"], "1.10.0")
    assert report.newest == "2.0.0"
    assert report.unused == ["1.2.0", "1.10.0", "2.1.0"]
    assert report.yanked == {"2.1.0": "broke sign-in"}
    text = render(report)
    assert "inference-api  1.9.0          2  1.10.0, 2.0.0\n" in text
    assert "newest in its major: 1.10.0" in text
    assert "releases no service uses: 1.2.0, 1.10.0, 2.1.0" in text


def test_a_service_on_a_yanked_release_is_flagged() -> None:
    text = render(version_report(RECORDS, {"app-api": "2.1.0"}))
    assert "! 2.1.0 is YANKED: broke sign-in" in text


@pytest.mark.parametrize(
    ("kind", "version", "pin", "fatal"),
    [
        ("pin", "1.9.0", "1.9.0", True),
        ("tree", "1.10.0", "1.9.0", True),
        ("tree", "2.0.0", "1.9.0", False),
        ("newest", "2.0.0", "1.9.0", False),
    ],
)
def test_which_failing_cells_fail_the_matrix(kind: str, version: str, pin: str, fatal: bool) -> None:
    result = CellResult(Cell("inference-api", kind, version), passed=3, failed=1, skipped=0, seconds=1.0)
    assert must_pass(result, {"inference-api": pin}) is fatal


def test_the_matrix_renders_one_row_per_service() -> None:
    results = [
        CellResult(Cell("app-api", "pin", "2.0.0"), 10, 0, 0, 61.0),
        CellResult(Cell("app-api", "newest", "2.0.0"), 0, 0, 0, 0.0, same_as="pin"),
        CellResult(Cell("app-api", "tree", "2.0.0"), 10, 0, 0, 59.0),
        CellResult(Cell("inference-api", "pin", "1.9.0"), 5, 0, 1, 20.0),
        CellResult(Cell("inference-api", "newest", "2.0.0"), 3, 2, 0, 19.0),
        CellResult(Cell("inference-api", "tree", "2.0.0"), 0, 0, 0, 0.0, error="pytest exited 4 without a report"),
    ]
    lines = render_matrix(results).splitlines()
    assert lines[0].split("  ")[0] == "service"
    assert "newest release (2.0.0)" in lines[0] and "working tree (2.0.0)" in lines[0]
    assert lines[1].split() == ["app-api", "2.0.0:", "pass", "10/10", "(61s)", "=", "pin", "pass", "10/10", "(59s)"]
    assert "1.9.0: pass 5/5, 1 skipped (20s)" in lines[2]
    assert "FAIL 3/5 (19s)" in lines[2]
    assert lines[2].endswith("ERROR: pytest exited 4 without a report")
    assert not results[4].ok and results[3].ok
