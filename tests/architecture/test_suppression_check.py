"""The suppression checker of DESIGN §4, and the repository passing it."""

from __future__ import annotations

from pathlib import Path

from devtools.checks.suppression import check_file, check_paths, check_source, main

FIXTURES = Path(__file__).parent / "fixtures" / "suppression"
ROOT = Path(__file__).resolve().parents[2]


def test_planted_violations_are_all_found() -> None:
    findings = {finding.line: finding.message for finding in check_file(FIXTURES / "planted.py")}
    assert findings == {
        12: "except Exception neither re-raises nor has a # JUSTIFICATION:",
        19: "except BaseException neither re-raises nor has a # JUSTIFICATION:",
        27: "bare except neither re-raises nor has a # JUSTIFICATION:",
        35: "except ValueError swallows the error without a # JUSTIFICATION:",
        40: "broad contextlib.suppress(Exception) without a # JUSTIFICATION:",
        # A raise inside a nested function is not a re-raise.
        47: "except (ValueError, Exception) neither re-raises nor has a # JUSTIFICATION:",
        # "# JUSTIFICATION:" with no reason after it.
        57: "except Exception neither re-raises nor has a # JUSTIFICATION:",
        # Narrow handlers that return a default, log and carry on, or fall back.
        65: "except KeyError carries on without re-raising and has no # JUSTIFICATION:",
        72: "except re.error carries on without re-raising and has no # JUSTIFICATION:",
        81: "except ValueError carries on without re-raising and has no # JUSTIFICATION:",
        87: "contextlib.suppress(FileNotFoundError) without a # JUSTIFICATION:",
        94: "except ValueError carries on without re-raising and has no # JUSTIFICATION:",
        # The justification of a handler nested inside does not cover the one around it...
        101: "except ZeroDivisionError carries on without re-raising and has no # JUSTIFICATION:",
        # ...and one below the handler's first statement does not open the handler.
        113: "except ZeroDivisionError carries on without re-raising and has no # JUSTIFICATION:",
    }


def test_justified_and_re_raising_handlers_pass() -> None:
    assert check_file(FIXTURES / "justified.py") == []


def test_the_command_fails_on_the_planted_file_and_passes_on_the_justified_one(capsys) -> None:
    assert main([str(FIXTURES / "planted.py")]) == 1
    out = capsys.readouterr()
    assert "planted.py:12: except Exception neither re-raises" in out.out
    assert "planted.py:113:" in out.out
    assert out.err == "suppression check: 14 finding(s)\n"
    assert main([str(FIXTURES / "justified.py")]) == 0


def test_attribute_and_tuple_forms_are_broad() -> None:
    source = "import builtins\ntry:\n    pass\nexcept (OSError, builtins.Exception):\n    x = 1\n"
    assert [str(finding) for finding in check_source(source, "mem.py")] == [
        "mem.py:4: except (OSError, builtins.Exception) neither re-raises nor has a # JUSTIFICATION:"
    ]


def test_a_handler_that_translates_the_error_re_raises() -> None:
    source = "try:\n    pass\nexcept KeyError as error:\n    raise LookupError('k') from error\n"
    assert check_source(source, "mem.py") == []


def test_repository_code_has_no_unjustified_suppression() -> None:
    findings = check_paths([ROOT / "packages", ROOT / "services", ROOT / "scripts"], root=ROOT)
    assert findings == [], "\n".join(str(finding) for finding in findings)
