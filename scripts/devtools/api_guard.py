"""The API-break guard: compare the library's public API with the last release's recorded source.

    scripts/api-check [--against VERSION]

The public API is what griffe sees as public in ``apis.shared``: every name a
package's ``__all__`` lists, and every non-underscore name of a module without
one, with its signature, parameter defaults, return and attribute types, and
base classes. The baseline is the source tree the release record names, not a
tag or a branch, so the comparison is against the bytes the services locked.

A breaking change (a removal, a changed signature, a changed default, ...) may
only be released as a major, and only with a ``### Breaking`` section, with
migration notes, under ``## [Unreleased]`` in the changelog, that name each
broken symbol (or, for a member or parameter, its owner). ``scripts/release
patch|minor`` refuses one; this command (and CI) fails on one the notes do not
name.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from devtools import changelog
from devtools.config import Config, load_config
from devtools.errors import CommandError
from devtools.git import export_tree
from devtools.records import ReleaseRecord, load_records

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "PACKAGE",
    "ApiBreak",
    "ApiReport",
    "baseline_record",
    "breaking_changes",
    "check_working_tree",
    "main",
    "tree_version",
    "undeclared_breaks_message",
]

PACKAGE = "apis.shared"


@dataclass(frozen=True, order=True)
class ApiBreak:
    """One incompatible change of one public symbol."""

    symbol: str
    change: str
    old: str = ""
    new: str = ""

    def __str__(self) -> str:
        detail = f": {self.old} -> {self.new}" if (self.old or self.new) else ""
        return f"{self.symbol}: {self.change}{detail}"

    @property
    def names(self) -> tuple[str, ...]:
        """The names migration notes may use for it: its own, and its owner's for a member."""
        parts = re.sub(r"\(.*\)$", "", self.symbol).split(".")
        return tuple(dict.fromkeys(parts[-2:][::-1]))

    def named_in(self, notes: str) -> bool:
        return any(re.search(rf"(?<!\w){re.escape(name)}\b", notes) for name in self.names)


def _describe(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "(none)"
    return str(value)


def _load(source_root: Path) -> Any:
    import griffe

    if not (source_root / "apis" / "shared" / "__init__.py").exists():
        raise CommandError(f"{source_root} holds no apis/shared package")
    return griffe.load(
        PACKAGE,
        search_paths=[str(source_root)],
        resolve_aliases=True,
        resolve_external=False,
        try_relative_path=False,
    )


def breaking_changes(old_source: Path, new_source: Path) -> list[ApiBreak]:
    """The incompatible changes of ``apis.shared`` from ``old_source`` to ``new_source`` (``src`` dirs)."""
    import griffe

    old, new = _load(old_source), _load(new_source)
    found: set[ApiBreak] = set()
    for breakage in griffe.find_breaking_changes(old, new):
        symbol = breakage.obj.path
        parameter = breakage.old_value if isinstance(breakage.old_value, griffe.Parameter) else breakage.new_value
        if isinstance(parameter, griffe.Parameter):
            symbol = f"{symbol}({parameter.name})"
        old_text, new_text = _values(breakage)
        found.add(ApiBreak(symbol, breakage.kind.value.lower(), old_text, new_text))
    found.update(_hidden(old, new, seen=set()))
    return sorted(found)


def _hidden(old: Any, new: Any, *, seen: set[str]) -> list[ApiBreak]:
    """Public names that still exist but are no longer public (dropped from ``__all__``, say).

    griffe only reports a public name that is gone; one that stays defined but
    leaves ``__all__`` is just as gone for an importer of the package.
    """
    if old.path in seen:
        return []
    seen.add(old.path)
    found = []
    new_members = new.all_members
    for name, member in old.all_members.items():
        if not member.is_public or name not in new_members:
            continue
        counterpart = new_members[name]
        if not counterpart.is_public:
            found.append(ApiBreak(f"{old.path}.{name}", "public object is no longer public"))
        elif not member.is_alias and not counterpart.is_alias and (member.is_module or member.is_class):
            found.extend(_hidden(member, counterpart, seen=seen))
    return found


def _values(breakage: Any) -> tuple[str, str]:
    import griffe

    kind = breakage.kind
    if kind is griffe.BreakageKind.PARAMETER_CHANGED_DEFAULT:
        return str(breakage.old_value.default), str(breakage.new_value.default)
    if kind is griffe.BreakageKind.PARAMETER_CHANGED_KIND:
        return breakage.old_value.kind.value, breakage.new_value.kind.value
    if kind in (
        griffe.BreakageKind.RETURN_CHANGED_TYPE,
        griffe.BreakageKind.ATTRIBUTE_CHANGED_TYPE,
        griffe.BreakageKind.ATTRIBUTE_CHANGED_VALUE,
        griffe.BreakageKind.OBJECT_CHANGED_KIND,
        griffe.BreakageKind.CLASS_REMOVED_BASE,
    ):
        return _describe(breakage.old_value), _describe(breakage.new_value)
    return "", ""


def baseline_record(records: Sequence[ReleaseRecord], against: str | None = None) -> ReleaseRecord | None:
    """The release to compare with: ``against`` if given, else the highest recorded version."""
    if against is not None:
        for record in records:
            if record.version == against:
                return record
        raise CommandError(f"apis-shared {against} has no release record")
    if not records:
        return None
    return max(records, key=lambda record: Version(record.version))


@dataclass(frozen=True)
class ApiReport:
    """The working tree's API against one release."""

    baseline: ReleaseRecord | None
    breaks: list[ApiBreak]
    breaking_notes: str | None

    @property
    def unnamed(self) -> list[ApiBreak]:
        """The breaks the ``### Breaking`` notes do not name (all of them when there are no notes)."""
        return [item for item in self.breaks if not item.named_in(self.breaking_notes or "")]

    @property
    def undeclared(self) -> bool:
        return bool(self.unnamed)


def check_working_tree(config: Config, against: str | None = None) -> ApiReport:
    """Compare the working tree's ``apis.shared`` with a release's recorded source."""
    record = baseline_record(load_records(config.records_file), against)
    text = (config.library_dir / "CHANGELOG.md").read_text()
    notes = changelog.breaking_notes(changelog.entry_for(text, "Unreleased") or "")
    if record is None:
        return ApiReport(None, [], notes)
    with tempfile.TemporaryDirectory(prefix="apis-api-baseline-") as scratch:
        export_tree(config.root, record.source_tree, Path(scratch))
        breaks = breaking_changes(Path(scratch) / "src", config.library_dir / "src")
    return ApiReport(record, breaks, notes)


def undeclared_breaks_message(report: ApiReport, *, release_part: str | None = None) -> str:
    """Why the breaks in ``report`` cannot ship as they are, naming each broken symbol."""
    version = report.baseline.version if report.baseline else "?"
    if release_part in ("patch", "minor"):
        head = f"a {release_part} release cannot break the public API of apis-shared {version}"
        shown = report.breaks
    elif report.breaking_notes:
        head = (
            f"the `### Breaking` notes do not name every break of the public API of apis-shared {version} "
            "(each needs its name, or its owner's, in the notes)"
        )
        shown = report.unnamed
    else:
        head = f"the public API of apis-shared {version} is broken and the changelog does not declare it"
        shown = report.breaks
    listed = "\n  ".join(str(item) for item in shown)
    return (
        f"{head}; {len(shown)} incompatible change(s):\n  {listed}\n"
        "Keep the old names and signatures (deprecate, add beside them), or make it a major: "
        "add a `### Breaking` section with migration notes under `## [Unreleased]` in "
        "packages/apis-shared/CHANGELOG.md and run `scripts/release major`."
    )


def tree_version(config: Config) -> str:
    """The version the working tree will be released as, as far as its line goes.

    The version file says the last release; when the changelog's ``[Unreleased]``
    section declares breaking changes, the tree is already the next major
    (``2.0.0.dev0`` after 1.7.1), so a service still on 1.x is not tested
    against it as if it were a compatible update.
    """
    from devtools.release import read_version

    version = Version(read_version(config.library_dir))
    text = (config.library_dir / "CHANGELOG.md").read_text()
    if changelog.breaking_notes(changelog.entry_for(text, "Unreleased") or ""):
        return f"{version.major + 1}.0.0.dev0"
    return str(version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/api-check", description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="VERSION", help="a recorded release (default: the highest one)")
    args = parser.parse_args(argv)
    report = check_working_tree(load_config(), args.against)
    if report.baseline is None:
        print("apis-shared: no release recorded yet, nothing to compare with")
        return 0
    version = report.baseline.version
    if not report.breaks:
        print(f"apis-shared: the public API is compatible with {version} (tree {report.baseline.source_tree[:12]})")
        return 0
    if report.undeclared:
        raise CommandError(undeclared_breaks_message(report))
    print(f"apis-shared: {len(report.breaks)} incompatible change(s) against {version}, declared as Breaking:")
    for item in report.breaks:
        print(f"  {item}")
    print("The next release must be `scripts/release major`.")
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
