"""The library evolves without breaking its users, end to end in a sandbox.

A minor that adds is released; removing what it added is refused as a patch
and as a minor (naming the symbol) and as a major without migration notes;
with a ``### Breaking`` section it ships as the next major. ``scripts/versions``
and ``scripts/matrix`` then show the services behind it, and the yanked major
can no longer be pinned. Versions follow from whatever the checkout under test
has released (a 1.x checkout plants 1.(n+1).0 and 2.0.0; a 2.x one 2.(n+1).0
and 3.0.0).
"""

from __future__ import annotations

import json
import re
import urllib.request
from typing import TYPE_CHECKING

import pytest
from packaging.version import Version

from tests.release.test_release_refusals import assert_refused, with_unreleased_notes
from tests.support.sandbox import pin_files

if TYPE_CHECKING:
    from tests.support.sandbox import Sandbox

PAGINATION = "packages/apis-shared/src/apis/shared/pagination.py"
PLANTED = '''

def planted_page_size(requested: int | None, *, ceiling: int = 100) -> int:
    """A helper a minor release adds and a later change takes away."""
    return min(requested or ceiling, ceiling)
'''
SYMBOL = "apis.shared.pagination.planted_page_size"


def pagination(sandbox: Sandbox) -> str:
    return (sandbox.root / PAGINATION).read_text()


def set_pagination(sandbox: Sandbox, text: str, message: str) -> None:
    (sandbox.root / PAGINATION).write_text(text)
    sandbox.commit_all(message)


def released_versions(sandbox: Sandbox) -> list[str]:
    return sandbox.recorded_versions()


@pytest.fixture(scope="module")
def start(sandbox: Sandbox) -> Version:
    """The library's version in the checkout under test, before anything is planted."""
    return Version(sandbox.library_version())


@pytest.fixture(scope="module")
def added(sandbox: Sandbox, start: Version) -> str:
    """Release a minor that adds ``planted_page_size`` (and exports it); return its version."""
    text = pagination(sandbox)
    text = text.replace(
        '__all__ = [\n    "MAX_CURSOR_LENGTH",', '__all__ = [\n    "MAX_CURSOR_LENGTH",\n    "planted_page_size",'
    )
    set_pagination(sandbox, text + PLANTED, "library: add planted_page_size")
    with_unreleased_notes(sandbox, "### Added\n\n- `planted_page_size`.")
    result = sandbox.script("release", "minor")
    assert result.returncode == 0, result.stdout + result.stderr
    return released_versions(sandbox)[-1]


@pytest.fixture(scope="module")
def removed(sandbox: Sandbox, added: str) -> str:
    """Take the helper away again (committed, unreleased); return the commit."""
    text = pagination(sandbox).replace(PLANTED, "").replace('\n    "planted_page_size",', "")
    set_pagination(sandbox, text, "library: drop planted_page_size")
    with_unreleased_notes(sandbox, "### Removed\n\n- `planted_page_size`.")
    return sandbox.head()


def test_an_addition_is_released_as_a_minor(sandbox: Sandbox, start: Version, added: str) -> None:
    assert added == f"{start.major}.{start.minor + 1}.0"
    assert sandbox.library_version() == added
    check = sandbox.script("api-check")
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip().startswith(f"apis-shared: the public API is compatible with {added}")


@pytest.mark.parametrize("part", ["patch", "minor"])
def test_a_removal_is_refused_as_patch_or_minor_naming_the_symbol(
    sandbox: Sandbox, added: str, removed: str, part: str
) -> None:
    result = sandbox.script("release", part)
    head, published = sandbox.head(), sandbox.index_versions()
    assert_refused(
        sandbox,
        result,
        f"a {part} release cannot break the public API of apis-shared {added}; 1 incompatible change(s):\n"
        f"  {SYMBOL}: public object was removed",
        head=head,
        published=published,
    )
    assert sandbox.library_version() == added


def test_the_check_fails_ci_on_an_undeclared_break(sandbox: Sandbox, removed: str) -> None:
    result = sandbox.script("api-check")
    assert result.returncode == 1
    assert f"  {SYMBOL}: public object was removed\n" in result.stderr
    assert "changelog does not declare it" in result.stderr


def test_a_major_without_migration_notes_is_refused(sandbox: Sandbox, added: str, removed: str) -> None:
    head, published = sandbox.head(), sandbox.index_versions()
    result = sandbox.script("release", "major")
    assert_refused(
        sandbox,
        result,
        "a major release needs a `### Breaking` section with migration notes in its changelog entry "
        "(1 incompatible change(s) found)",
        head=head,
        published=published,
    )


@pytest.fixture(scope="module")
def major(sandbox: Sandbox, removed: str) -> str:
    with_unreleased_notes(sandbox, "### Breaking\n\n- `planted_page_size` is gone: use `min(requested or 100, 100)`.\n")
    declared = sandbox.script("api-check")
    assert declared.returncode == 0, declared.stderr
    assert f"declared as Breaking:\n  {SYMBOL}: public object was removed\n" in declared.stdout
    result = sandbox.script("release", "major")
    assert result.returncode == 0, result.stdout + result.stderr
    return released_versions(sandbox)[-1]


def test_a_declared_break_ships_as_a_major(sandbox: Sandbox, start: Version, major: str) -> None:
    assert major == f"{start.major + 1}.0.0"
    changelog = (sandbox.root / "packages/apis-shared/CHANGELOG.md").read_text()
    assert f"## [{major}] - " in changelog
    assert sandbox.script("api-check").stdout.startswith(f"apis-shared: the public API is compatible with {major}")


def test_versions_show_each_service_behind(sandbox: Sandbox, added: str, major: str) -> None:
    pins = {service: sandbox.pin_of(service) for service in ("app-api", "inference-api")}
    report = json.loads(sandbox.script("versions", "--json", check=True).stdout)
    assert report["newest"] == major
    for standing in report["services"]:
        newer = [v for v in released_versions(sandbox) if Version(v) > Version(pins[standing["service"]])]
        assert standing["pin"] == pins[standing["service"]]
        assert standing["newer"] == newer and standing["behind"] == len(newer) >= 2
        assert standing["newest_in_major"] == added
    assert added in report["unused"] and major in report["unused"]
    text = sandbox.script("versions", check=True).stdout
    assert f"app-api        {pins['app-api']:<8}  {len(report['services'][0]['newer']):>6}  " in text


def test_the_matrix_runs_a_service_on_its_pin_the_newest_release_and_the_tree(sandbox: Sandbox, major: str) -> None:
    pin = sandbox.pin_of("inference-api")
    result = sandbox.script("matrix", "--service", "inference-api", "--", "tests/inference_api/test_ping.py")
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout.split("apis-shared version matrix", 1)[1]
    row = next(line for line in table.splitlines() if line.startswith("inference-api"))
    assert re.search(rf"{re.escape(pin)}: pass (\d+)/\1 \(\d+s\)\s+pass (\d+)/\2 \(\d+s\)\s+pass (\d+)/\3", row), row
    assert f"newest release ({major})" in table and f"working tree ({major})" in table
    assert sandbox.pin_of("inference-api") == pin, "the matrix pins a scratch copy, never the service"
    assert sandbox.status() == ""


def test_the_pipeline_moves_a_pin_to_the_newest_release_with_its_notes(sandbox: Sandbox, major: str) -> None:
    previous = sandbox.pin_of("app-api")
    outputs = sandbox.root.parent / "github-output"
    result = sandbox.script("bump-pins", "app-api", env={"GITHUB_OUTPUT": str(outputs)})
    try:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == (
            f"app-api: apis-shared {previous} -> {major} (major upgrade: read the Breaking notes)"
        )
        assert sandbox.pin_of("app-api") == major
        assert sandbox.changed_files() == pin_files("app-api")
        written = outputs.read_text()
        for name, value in (("moved", "true"), ("from", previous), ("to", major), ("major", "true")):
            assert re.search(rf"^{name}<<(EOF_[0-9a-f]{{32}})\n{re.escape(value)}\n\1$", written, re.MULTILINE)
        assert f"## {major}\n\n### Breaking\n\n- `planted_page_size` is gone" in written
    finally:
        sandbox.git("checkout", "--", "services/app-api")


def test_a_yanked_release_is_never_pinned(sandbox: Sandbox, added: str, major: str) -> None:
    result = sandbox.script("yank", major, "--reason", "dropped a helper <by mistake>")
    assert result.returncode == 0, result.stderr
    assert sandbox.git("log", "-1", "--format=%s").strip() == f"yank: apis-shared {major}"
    assert sandbox.status() == ""
    record = json.loads((sandbox.root / "releases" / "apis-shared.json").read_text())["releases"][-1]
    assert record["version"] == major and record["yanked"] == "dropped a helper <by mistake>"
    with urllib.request.urlopen(f"{sandbox.index_url}apis-shared/") as response:
        page = response.read().decode()
    yanked_link = rf'apis_shared-{re.escape(major)}-py3-none-any\.whl#sha256=[0-9a-f]{{64}}" data-yanked="'
    assert re.search(yanked_link + "dropped a helper &lt;by mistake&gt;", page)
    assert re.search(rf'apis_shared-{re.escape(added)}-py3-none-any\.whl#sha256=[0-9a-f]{{64}}">', page)

    before = sandbox.service_file("app-api", "pyproject.toml").read_text()
    refused = sandbox.script("pin", "app-api", major)
    assert refused.returncode == 1
    assert f"apis-shared {major} was yanked at " in refused.stderr
    assert "dropped a helper <by mistake>" in refused.stderr
    assert sandbox.service_file("app-api", "pyproject.toml").read_text() == before

    report = json.loads(sandbox.script("versions", "--json", check=True).stdout)
    assert report["newest"] == added
    assert report["yanked"] == {major: "dropped a helper <by mistake>"}
    moved = sandbox.script("bump-pins", "app-api")
    try:
        assert moved.returncode == 0, moved.stderr
        assert sandbox.pin_of("app-api") == added, "the pipeline's newest release skips the yanked one"
    finally:
        sandbox.git("checkout", "--", "services/app-api")
    again = sandbox.script("yank", major, "--reason", "twice")
    assert again.returncode == 1 and "already yanked" in again.stderr
