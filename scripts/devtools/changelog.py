"""Read and stamp packages/apis-shared/CHANGELOG.md (Keep a Changelog headings)."""

from __future__ import annotations

import re

__all__ = ["breaking_notes", "entry_for", "stamp_release"]

_HEADING = re.compile(r"^## \[(?P<name>[^\]]+)\][^\n]*$", re.MULTILINE)
_SUBHEADING = re.compile(r"^### (?P<name>[^\n]+)$", re.MULTILINE)


def _sections(text: str) -> dict[str, str]:
    matches = list(_HEADING.finditer(text))
    sections: dict[str, str] = {}
    for position, match in enumerate(matches):
        end = matches[position + 1].start() if position + 1 < len(matches) else len(text)
        sections[match.group("name")] = text[match.end() : end].strip()
    return sections


def entry_for(text: str, version: str) -> str | None:
    """The notes for ``version``: its own section, else a non-empty ``[Unreleased]`` one."""
    sections = _sections(text)
    if sections.get(version):
        return sections[version]
    unreleased = sections.get("Unreleased", "")
    return unreleased or None


def stamp_release(text: str, version: str, date: str) -> str:
    """Give the pending notes the version's heading and open a fresh ``[Unreleased]`` section."""
    sections = _sections(text)
    if sections.get(version):
        return text

    def heading(match: re.Match[str]) -> str:
        if match.group("name") == "Unreleased":
            return f"## [Unreleased]\n\n## [{version}] - {date}"
        return match[0]

    return _HEADING.sub(heading, text)


def breaking_notes(entry: str) -> str | None:
    """The text of an entry's ``### Breaking`` (or ``### Breaking changes``) section, if it has any."""
    matches = list(_SUBHEADING.finditer(entry))
    for position, match in enumerate(matches):
        if match.group("name").strip().lower() in ("breaking", "breaking changes"):
            end = matches[position + 1].start() if position + 1 < len(matches) else len(entry)
            return entry[match.end() : end].strip() or None
    return None
