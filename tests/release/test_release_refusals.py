"""`scripts/release` refuses, publishes nothing and leaves the tree as it was, for each bad case."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.sandbox import Sandbox

CHANGELOG = Path("packages/apis-shared/CHANGELOG.md")


def with_unreleased_notes(sandbox: Sandbox, notes: str) -> None:
    path = sandbox.root / CHANGELOG
    text = path.read_text()
    head, _, rest = text.partition("\n## [Unreleased]")
    following = re.search(r"^## \[", rest, flags=re.MULTILINE)
    tail = rest[following.start() :] if following else ""
    path.write_text(f"{head}\n## [Unreleased]\n\n{notes}\n\n{tail}")
    sandbox.commit_all("changelog for the next release")


def assert_refused(sandbox: Sandbox, result, reason: str, *, head: str, published: list[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert reason in output, output
    assert sandbox.head() == head, "a refused release must not commit"
    assert sandbox.status() == "" or sandbox.status().startswith("??"), sandbox.status()
    assert sandbox.index_versions() == published, "a refused release must not publish"
    assert f"apis-shared-v{sandbox.next_patch()}" not in sandbox.git("tag")


@pytest.fixture
def baseline(sandbox: Sandbox) -> tuple[str, list[str]]:
    with_unreleased_notes(sandbox, "### Fixed\n\n- Something users notice.")
    return sandbox.head(), sandbox.index_versions()


def test_dirty_tree_is_refused(sandbox: Sandbox, baseline: tuple[str, list[str]]) -> None:
    (sandbox.root / "packages" / "apis-shared" / "src" / "apis" / "shared" / "wip.py").write_text("x = 1\n")
    try:
        result = sandbox.script("release", "patch")
        assert_refused(sandbox, result, "working tree is dirty", head=baseline[0], published=baseline[1])
    finally:
        (sandbox.root / "packages" / "apis-shared" / "src" / "apis" / "shared" / "wip.py").unlink()


def test_missing_changelog_entry_is_refused(sandbox: Sandbox) -> None:
    with_unreleased_notes(sandbox, "")
    head, published = sandbox.head(), sandbox.index_versions()
    result = sandbox.script("release", "patch")
    reason = f"CHANGELOG.md has no entry for {sandbox.next_patch()}"
    assert_refused(sandbox, result, reason, head=head, published=published)


def test_version_already_recorded_is_refused(sandbox: Sandbox, baseline: tuple[str, list[str]]) -> None:
    records_path = sandbox.root / "releases" / "apis-shared.json"
    original = records_path.read_text()
    records = json.loads(original)
    next_version = sandbox.next_patch()
    records["releases"].append({**records["releases"][-1], "version": next_version})
    records_path.write_text(json.dumps(records))
    sandbox.commit_all(f"a record for {next_version} that someone wrote by hand")
    try:
        result = sandbox.script("release", "patch")
        assert_refused(
            sandbox,
            result,
            f"apis-shared {next_version} is already released",
            head=sandbox.head(),
            published=baseline[1],
        )
    finally:
        records_path.write_text(original)
        sandbox.commit_all("drop the hand-written record")


def test_version_already_on_the_index_is_refused(sandbox: Sandbox, baseline: tuple[str, list[str]]) -> None:
    packages = sandbox.root / ".local" / "index" / "packages"
    stray = packages / f"apis_shared-{sandbox.next_patch()}-py3-none-any.whl"
    stray.write_bytes((packages / f"apis_shared-{sandbox.library_version()}-py3-none-any.whl").read_bytes())
    try:
        result = sandbox.script("release", "patch")
        assert_refused(
            sandbox,
            result,
            f"{sandbox.next_patch()} already exists on the index",
            head=baseline[0],
            published=sandbox.index_versions(),
        )
    finally:
        stray.unlink()


def test_failed_check_is_refused(sandbox: Sandbox, baseline: tuple[str, list[str]]) -> None:
    init = sandbox.root / "packages" / "apis-shared" / "src" / "apis" / "shared" / "__init__.py"
    original = init.read_text()
    init.write_text(original + "\nraise ImportError('broken on purpose')\n")
    sandbox.commit_all("a library that cannot be imported")
    head = sandbox.head()
    try:
        result = sandbox.script("release", "patch")
        assert_refused(sandbox, result, "smoke import failed", head=head, published=baseline[1])
        assert "broken on purpose" in result.stderr
    finally:
        init.write_text(original)
        sandbox.commit_all("repair the library")


def test_unreachable_index_is_refused(sandbox: Sandbox, baseline: tuple[str, list[str]]) -> None:
    sandbox.script("index", "stop", check=True)
    try:
        result = sandbox.script("release", "patch")
        assert_refused(sandbox, result, "is unreachable", head=baseline[0], published=baseline[1])
    finally:
        sandbox.script("index", "start", check=True)


def test_upload_refused_by_the_index_is_refused(sandbox: Sandbox, baseline: tuple[str, list[str]]) -> None:
    result = sandbox.script("release", "patch", env={"TWINE_USERNAME": "apis-release", "TWINE_PASSWORD": "wrong"})
    assert_refused(sandbox, result, "upload to", head=baseline[0], published=baseline[1])
    assert "403" in result.stderr
