"""The suppression checker of DESIGN §4, and the repository passing it."""

from __future__ import annotations

from pathlib import Path

from devtools.checks.suppression import check_file, check_paths, check_source, main

FIXTURES = Path(__file__).parent / "fixtures" / "suppression"
ROOT = Path(__file__).resolve().parents[2]


def test_planted_violations_are_all_found() -> None:
    findings = check_file(FIXTURES / "planted.py")
    assert [finding.line for finding in findings] == [8, 15, 23, 31, 36, 43, 53]
    assert "except Exception neither re-raises" in findings[0].message
    assert "bare except" in findings[2].message
    assert "except ValueError swallows" in findings[3].message
    assert "contextlib.suppress" in findings[4].message


def test_justified_and_re_raising_handlers_pass() -> None:
    assert check_file(FIXTURES / "justified.py") == []


def test_the_command_fails_on_the_planted_file_and_passes_on_the_justified_one(capsys) -> None:
    assert main([str(FIXTURES / "planted.py")]) == 1
    assert "planted.py:8:" in capsys.readouterr().out
    assert main([str(FIXTURES / "justified.py")]) == 0


def test_attribute_and_tuple_forms_are_broad() -> None:
    source = "import builtins\ntry:\n    pass\nexcept (OSError, builtins.Exception):\n    x = 1\n"
    assert len(check_source(source, "mem.py")) == 1


def test_repository_code_has_no_unjustified_suppression() -> None:
    findings = check_paths([ROOT / "packages", ROOT / "services", ROOT / "scripts"], root=ROOT)
    assert findings == [], "\n".join(str(finding) for finding in findings)
