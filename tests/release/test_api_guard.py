"""The API-break guard on planted changes: a removal, a changed signature, a changed default, and non-breaks."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pytest

from devtools.api_guard import (
    ApiBreak,
    ApiReport,
    baseline_record,
    breaking_changes,
    tree_version,
    undeclared_breaks_message,
)
from devtools.changelog import breaking_notes
from devtools.config import Config, load_config
from devtools.errors import CommandError
from devtools.records import Artifact, ReleaseRecord, load_records
from tests.support.sandbox import ROOT

if TYPE_CHECKING:
    from pathlib import Path

LIBRARY = '''
"""A small stand-in for apis.shared."""

from apis.shared.quota import QuotaChecker, check_quota

__all__ = ["QuotaChecker", "check_quota", "page_size"]


def page_size(limit: int = 50, *, cursor: str | None = None) -> int:
    return limit
'''

QUOTA = """
__all__ = ["QuotaChecker", "check_quota"]


class QuotaChecker:
    def __init__(self, table: str, ttl_seconds: int = 300) -> None:
        self.table = table

    def check(self, user_id: str, cost: float) -> bool:
        return True

    def _private(self, anything: int) -> None:
        return None


def check_quota(user_id: str, *, strict: bool = False) -> bool:
    return True
"""


def write_library(root: Path, *, init: str = LIBRARY, quota: str = QUOTA) -> Path:
    package = root / "src" / "apis" / "shared"
    (package / "quota").mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(init))
    (package / "quota" / "__init__.py").write_text(textwrap.dedent(quota))
    return root / "src"


def breaks_after(tmp_path: Path, **changed: str) -> list[ApiBreak]:
    old = write_library(tmp_path / "old")
    new = write_library(tmp_path / "new", **changed)
    return breaking_changes(old, new)


def test_an_unchanged_api_has_no_breaks(tmp_path: Path) -> None:
    assert breaks_after(tmp_path) == []


def test_a_removed_function_is_named(tmp_path: Path) -> None:
    quota = QUOTA.replace('"check_quota"]', "]").split("def check_quota")[0]
    init = LIBRARY.replace(", check_quota", "").replace('"check_quota", ', "")
    found = breaks_after(tmp_path, init=init, quota=quota)
    assert ApiBreak("apis.shared.quota.check_quota", "public object was removed") in found
    assert ApiBreak("apis.shared.check_quota", "public object was removed") in found


def test_a_name_dropped_from_all_is_a_removal(tmp_path: Path) -> None:
    init = LIBRARY.replace(', "page_size"]', "]")
    assert breaks_after(tmp_path, init=init) == [ApiBreak("apis.shared.page_size", "public object is no longer public")]


def test_a_changed_signature_names_the_method_and_the_parameter(tmp_path: Path) -> None:
    quota = QUOTA.replace("def check(self, user_id: str, cost: float)", "def check(self, user_id: str, *, cost: float)")
    assert breaks_after(tmp_path, quota=quota) == [
        ApiBreak(
            "apis.shared.quota.QuotaChecker.check(cost)",
            "parameter kind was changed",
            "positional or keyword",
            "keyword-only",
        )
    ]


def test_a_new_required_parameter_is_a_break(tmp_path: Path) -> None:
    quota = QUOTA.replace("def check_quota(user_id: str, *,", "def check_quota(user_id: str, tier: str, *,")
    assert breaks_after(tmp_path, quota=quota) == [
        ApiBreak("apis.shared.quota.check_quota(tier)", "parameter was added as required")
    ]


def test_a_changed_default_names_old_and_new(tmp_path: Path) -> None:
    quota = QUOTA.replace("ttl_seconds: int = 300", "ttl_seconds: int = 60")
    assert breaks_after(tmp_path, quota=quota) == [
        ApiBreak("apis.shared.quota.QuotaChecker.__init__(ttl_seconds)", "parameter default was changed", "300", "60")
    ]


def test_additions_and_private_changes_are_not_breaks(tmp_path: Path) -> None:
    quota = (
        QUOTA.replace("def _private(self, anything: int)", "def _private(self)")
        .replace("strict: bool = False)", "strict: bool = False, reason: str = '')")
        .replace('__all__ = ["QuotaChecker", "check_quota"]', '__all__ = ["QuotaChecker", "check_quota", "added"]')
        + "\n\ndef added() -> None:\n    return None\n"
    )
    assert breaks_after(tmp_path, quota=quota) == []


def test_the_message_names_every_broken_symbol_and_the_way_out() -> None:
    record = ReleaseRecord("1.7.1", "0" * 40, 0, "hatchling==1.33.0", Artifact("w", "1"), Artifact("s", "2"), "")
    breaks = [ApiBreak("apis.shared.a", "public object was removed"), ApiBreak("apis.shared.b(x)", "moved")]
    message = undeclared_breaks_message(ApiReport(record, breaks, None), release_part="minor")
    assert message.startswith("a minor release cannot break the public API of apis-shared 1.7.1; 2 incompatible")
    assert "\n  apis.shared.a: public object was removed\n  apis.shared.b(x): moved\n" in message
    assert "### Breaking" in message and "scripts/release major" in message


def test_the_baseline_is_the_highest_recorded_version_or_the_one_asked_for() -> None:
    records = load_records(load_config(ROOT).records_file)
    shuffled = [records[-1], *records[:-1]]
    assert baseline_record(shuffled) == max(records, key=lambda r: tuple(int(p) for p in r.version.split(".")))
    assert baseline_record(records, "1.0.0") == records[0]
    with pytest.raises(CommandError, match=r"apis-shared 0\.9\.0 has no release record"):
        baseline_record(records, "0.9.0")
    assert baseline_record([]) is None


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("### Breaking\n\n- `x` is gone: use `y`.\n\n### Added\n\n- z", "- `x` is gone: use `y`."),
        ("### Added\n\n- z\n\n### Breaking changes\n\nRename a to b.", "Rename a to b."),
        ("### Breaking\n\n### Added\n\n- z", None),
        ("### Added\n\n- breaking news", None),
    ],
)
def test_breaking_notes_are_the_text_of_the_breaking_section(entry: str, expected: str | None) -> None:
    assert breaking_notes(entry) == expected


@pytest.mark.parametrize(
    ("unreleased", "expected"),
    [
        ("### Added\n\n- `x`.", "1.7.1"),
        ("", "1.7.1"),
        ("### Breaking\n\n- `x` is gone: use `y`.", "2.0.0.dev0"),
        ("### Breaking\n\n### Added\n\n- `x`.", "1.7.1"),
    ],
)
def test_a_declared_break_makes_the_tree_the_next_major(tmp_path: Path, unreleased: str, expected: str) -> None:
    config = Config(root=tmp_path, index_host="127.0.0.1", index_port=1, aws_port=1)
    version_file = config.library_dir / "src" / "apis" / "shared" / "_version.py"
    version_file.parent.mkdir(parents=True)
    version_file.write_text('__version__ = "1.7.1"\n')
    changelog = f"# Changelog\n\n## [Unreleased]\n\n{unreleased}\n\n## [1.7.1] - 2026-11-27\n\n### Fixed\n\n- z\n"
    (config.library_dir / "CHANGELOG.md").write_text(changelog)
    assert tree_version(config) == expected


def test_a_break_counts_as_declared_only_when_the_notes_name_it_or_its_owner() -> None:
    removed = ApiBreak("apis.shared.quota.check_quota", "public object was removed")
    member = ApiBreak("apis.shared.quota.QuotaChecker.check(cost)", "parameter kind was changed")
    assert removed.names == ("check_quota", "quota")
    assert member.names == ("check", "QuotaChecker")
    assert removed.named_in("- `check_quota` is gone: use `QuotaChecker.check`.")
    assert member.named_in("- `QuotaChecker` takes `cost` by keyword.")
    assert not removed.named_in("- `check_quota_v2` replaces the old helper.")
    assert not removed.named_in("- `apis.shared.other.check_quota2`.")
    record = ReleaseRecord("1.7.1", "0" * 40, 0, "hatchling==1.33.0", Artifact("w", "1"), Artifact("s", "2"), "")
    partly = ApiReport(record, [removed, member], "- `check_quota` is gone.")
    assert partly.undeclared and partly.unnamed == [member]
    message = undeclared_breaks_message(partly)
    assert "do not name every break" in message
    assert "\n  apis.shared.quota.QuotaChecker.check(cost): parameter kind was changed\n" in message
    assert "check_quota:" not in message
    assert not ApiReport(record, [removed, member], "- `check_quota` and `QuotaChecker` changed.").undeclared
    assert ApiReport(record, [removed], None).undeclared


def test_the_2_0_0_notes_name_every_break_against_1_7_1() -> None:
    from devtools import changelog
    from devtools.api_guard import check_working_tree

    config = load_config(ROOT)
    report = check_working_tree(config, "1.7.1")
    notes = changelog.breaking_notes(
        changelog.entry_for((config.library_dir / "CHANGELOG.md").read_text(), "2.0.0") or ""
    )
    assert len(report.breaks) >= 40
    assert ApiReport(report.baseline, report.breaks, notes).unnamed == []
