"""Release records against reality: rebuilds from a fresh clone, the services' locks, the tooling's own rules."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import zipfile
from typing import TYPE_CHECKING

import pytest

from devtools.build import build_tree
from devtools.changelog import entry_for, stamp_release
from devtools.config import load_config
from devtools.errors import CommandError
from devtools.pin import locked_library, service_index_url
from devtools.rebuild import rebuild_record
from devtools.records import load_records
from devtools.release import bump, check_wheel_contents
from tests.support.sandbox import DEV_INDEX_URL, ROOT

if TYPE_CHECKING:
    from pathlib import Path

CONFIG = load_config(ROOT)
RECORDS = load_records(CONFIG.records_file)


def test_there_is_a_record_for_every_pinned_version() -> None:
    recorded = {record.version for record in RECORDS}
    for service in ("app-api", "inference-api"):
        assert locked_library(ROOT / "services" / service / "uv.lock").version in recorded


@pytest.mark.parametrize("service", ["app-api", "inference-api"])
def test_service_locks_carry_the_recorded_hashes_from_the_internal_index(service: str) -> None:
    directory = ROOT / "services" / service
    locked = locked_library(directory / "uv.lock")
    record = next(r for r in RECORDS if r.version == locked.version)
    assert locked.registry == DEV_INDEX_URL == service_index_url((directory / "pyproject.toml").read_text())
    assert locked.hashes == {artifact.filename: artifact.sha256 for artifact in record.artifacts}


def test_every_record_points_at_a_tagged_release_commit() -> None:
    for record in RECORDS:
        tree = subprocess.run(
            ["git", "rev-parse", f"apis-shared-v{record.version}^{{tree}}:packages/apis-shared"],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if tree.returncode == 0:
            assert tree.stdout.strip() == record.source_tree


def test_a_fresh_clone_rebuilds_every_release_byte_for_byte(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    config = dataclasses.replace(CONFIG, root=clone)
    for record in load_records(clone / "releases" / "apis-shared.json"):
        files = rebuild_record(config, record, tmp_path / record.version)
        assert sorted(path.name for path in files) == sorted(a.filename for a in record.artifacts)


def test_a_rebuild_that_differs_from_its_record_fails_loudly(tmp_path: Path) -> None:
    record = RECORDS[0]
    tampered = dataclasses.replace(record, wheel=dataclasses.replace(record.wheel, sha256="0" * 64))
    with pytest.raises(CommandError, match=f"apis-shared {record.version} does not rebuild to its recorded bytes"):
        rebuild_record(CONFIG, tampered, tmp_path)


def test_builds_are_reproducible(tmp_path: Path) -> None:
    tree = subprocess.run(
        ["git", "rev-parse", "HEAD:packages/apis-shared"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    first = build_tree(ROOT, tree, source_date_epoch=1_800_000_000, out_dir=tmp_path / "one")
    second = build_tree(ROOT, tree, source_date_epoch=1_800_000_000, out_dir=tmp_path / "two")
    assert first.artifacts() == second.artifacts()
    other_epoch = build_tree(ROOT, tree, source_date_epoch=1_700_000_000, out_dir=tmp_path / "three")
    assert other_epoch.artifacts()[0].sha256 != first.artifacts()[0].sha256, "the epoch must reach the zip timestamps"


def test_an_unknown_source_tree_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not in this clone"):
        build_tree(ROOT, "1" * 40, source_date_epoch=0, out_dir=tmp_path)


def make_wheel(path: Path, names: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    return path


GOOD = {
    "apis/shared/__init__.py": "",
    "apis/shared/py.typed": "",
    "apis/shared/_version.py": "",
    "apis_shared-1.2.0.dist-info/METADATA": "Metadata-Version: 2.4\nName: apis-shared\nVersion: 1.2.0\n",
}


def test_wheel_content_check_accepts_the_namespace_portion(tmp_path: Path) -> None:
    check_wheel_contents(make_wheel(tmp_path / "ok.whl", GOOD), "1.2.0")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"apis/__init__.py": ""}, "would turn the `apis` namespace"),
        ({"tests/test_x.py": ""}, "tests/test_x.py"),
        ({"apis/shared/__pycache__/x.cpython-311.pyc": ""}, "compiled files"),
    ],
)
def test_wheel_content_check_refuses_strays(tmp_path: Path, change: dict[str, str], problem: str) -> None:
    with pytest.raises(CommandError, match="fails the content check") as refused:
        check_wheel_contents(make_wheel(tmp_path / "bad.whl", {**GOOD, **change}), "1.2.0")
    assert problem in str(refused.value)


def test_wheel_content_check_refuses_a_missing_marker_or_wrong_version(tmp_path: Path) -> None:
    names = {name: content for name, content in GOOD.items() if name != "apis/shared/py.typed"}
    with pytest.raises(CommandError, match=r"missing apis/shared/py\.typed"):
        check_wheel_contents(make_wheel(tmp_path / "a.whl", names), "1.2.0")
    with pytest.raises(CommandError, match=r"METADATA does not say Version: 1\.3\.0"):
        check_wheel_contents(make_wheel(tmp_path / "b.whl", GOOD), "1.3.0")


@pytest.mark.parametrize(
    ("version", "part", "expected"),
    [
        ("1.4.2", "patch", "1.4.3"),
        ("1.4.2", "minor", "1.5.0"),
        ("1.4.2", "major", "2.0.0"),
        ("0.0.0", "major", "1.0.0"),
    ],
)
def test_semantic_bumps(version: str, part: str, expected: str) -> None:
    assert bump(version, part) == expected


def test_changelog_entries_and_stamping() -> None:
    text = "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- a bug\n\n## [1.0.0] - 2026-01-01\n\n- first\n"
    assert entry_for(text, "1.0.1") == "### Fixed\n\n- a bug"
    stamped = stamp_release(text, "1.0.1", "2026-02-02")
    assert "## [Unreleased]\n\n## [1.0.1] - 2026-02-02\n\n### Fixed" in stamped
    assert entry_for(stamped, "1.0.2") is None
    assert entry_for(stamped, "1.0.1") == "### Fixed\n\n- a bug"
    assert stamp_release(stamped, "1.0.1", "2026-03-03") == stamped


def test_records_file_is_well_formed() -> None:
    document = json.loads(CONFIG.records_file.read_text())
    assert document["package"] == "apis-shared"
    assert document["source_path"] == "packages/apis-shared"
    assert [record.version for record in RECORDS] == sorted(
        {r.version for r in RECORDS}, key=lambda v: tuple(map(int, v.split(".")))
    )
