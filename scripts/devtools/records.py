"""Release records: which source each published version of apis-shared was built from.

``releases/apis-shared.json`` sits outside ``packages/apis-shared`` so that
writing a record never changes the source tree it points at. Each entry ties a
version to the git tree id of ``packages/apis-shared`` and to the sha256 of the
wheel and sdist built from it with the recorded ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from devtools.errors import CommandError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Artifact", "ReleaseRecord", "load_records", "save_records"]

PACKAGE = "apis-shared"


@dataclass(frozen=True)
class Artifact:
    """One distribution file."""

    filename: str
    sha256: str


@dataclass(frozen=True)
class ReleaseRecord:
    """One published version."""

    version: str
    source_tree: str
    source_date_epoch: int
    build_backend: str
    wheel: Artifact
    sdist: Artifact
    released_at: str
    # Set by `scripts/yank`: why no pin may choose this release any more, and when.
    yanked: str | None = None
    yanked_at: str | None = None

    @property
    def artifacts(self) -> tuple[Artifact, Artifact]:
        return (self.wheel, self.sdist)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReleaseRecord:
        try:
            return cls(
                version=data["version"],
                source_tree=data["source_tree"],
                source_date_epoch=int(data["source_date_epoch"]),
                build_backend=data["build_backend"],
                wheel=Artifact(**data["wheel"]),
                sdist=Artifact(**data["sdist"]),
                released_at=data["released_at"],
                yanked=data.get("yanked"),
                yanked_at=data.get("yanked_at"),
            )
        except (KeyError, TypeError) as exc:
            raise CommandError(f"malformed release record {data!r}: {exc}") from exc


def load_records(path: Path) -> list[ReleaseRecord]:
    """All records, oldest first; an absent file means no release yet."""
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    if data.get("package") != PACKAGE:
        raise CommandError(f"{path} is not a release record of {PACKAGE}")
    return [ReleaseRecord.from_json(entry) for entry in data["releases"]]


def _as_json(record: ReleaseRecord) -> dict[str, Any]:
    data = asdict(record)
    for optional in ("yanked", "yanked_at"):
        if data[optional] is None:
            del data[optional]
    return data


def save_records(path: Path, records: list[ReleaseRecord], *, source_path: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "package": PACKAGE,
        "source_path": source_path,
        "releases": [_as_json(record) for record in records],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
