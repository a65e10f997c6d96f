"""Find exception handlers that swallow errors without saying why.

A handler is reported when it does not re-raise and carries no
``# JUSTIFICATION: <reason>`` comment, and it either

- catches broadly (bare ``except``, ``Exception``, ``BaseException``, or a
  tuple holding one of them), whatever its body does; or
- catches anything but does nothing with it (its body is only ``pass``,
  ``continue`` or ``...``).

``with contextlib.suppress(Exception)`` (or ``BaseException``) counts as a
broad handler that does nothing. Ruff's BLE001 is not enough on its own: it
accepts a handler that logs and carries on.

    python -m devtools.checks.suppression [PATH ...]
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Finding", "check_file", "check_paths", "check_source"]

_BROAD = {"Exception", "BaseException"}
_JUSTIFICATION = re.compile(r"#\s*JUSTIFICATION:\s*\S")
DEFAULT_PATHS = ("packages", "services", "scripts")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _names(node: ast.expr | None) -> set[str]:
    if node is None:
        return set()
    if isinstance(node, ast.Tuple):
        return set().union(*(_names(element) for element in node.elts))
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    return set()


def _raises(statements: list[ast.stmt]) -> bool:
    """Whether the statements re-raise (nested functions and classes do not count)."""
    pending: list[ast.AST] = list(statements)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        pending.extend(ast.iter_child_nodes(node))
    return False


def _does_nothing(statements: list[ast.stmt]) -> bool:
    return all(
        isinstance(statement, ast.Pass | ast.Continue)
        or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
        for statement in statements
    )


def _justified(lines: list[str], first: int, last: int) -> bool:
    """Whether a JUSTIFICATION comment stands on lines ``first``..``last`` (1-based, inclusive)."""
    return any(_JUSTIFICATION.search(line) for line in lines[first - 1 : last])


def _suppress_call_is_broad(item: ast.withitem) -> bool:
    call = item.context_expr
    if not isinstance(call, ast.Call):
        return False
    function = call.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    return name == "suppress" and any(_names(argument) & _BROAD for argument in call.args)


def check_source(source: str, path: str) -> list[Finding]:
    tree = ast.parse(source, filename=path)
    lines = source.splitlines()
    findings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler):
            end = node.end_lineno or node.lineno
            if _raises(node.body) or _justified(lines, node.lineno, end):
                continue
            broad = node.type is None or bool(_names(node.type) & _BROAD)
            if broad:
                caught = "bare except" if node.type is None else f"except {ast.unparse(node.type)}"
                findings.append(Finding(path, node.lineno, f"{caught} neither re-raises nor has a # JUSTIFICATION:"))
            elif _does_nothing(node.body):
                caught = ast.unparse(node.type) if node.type is not None else ""
                findings.append(
                    Finding(path, node.lineno, f"except {caught} swallows the error without a # JUSTIFICATION:")
                )
        elif isinstance(node, ast.With | ast.AsyncWith):
            end = node.end_lineno or node.lineno
            if any(_suppress_call_is_broad(item) for item in node.items) and not _justified(lines, node.lineno, end):
                findings.append(Finding(path, node.lineno, "broad contextlib.suppress without a # JUSTIFICATION:"))
    return sorted(findings, key=lambda finding: finding.line)


def check_file(path: Path, *, display: str | None = None) -> list[Finding]:
    return check_source(path.read_text(), display or str(path))


def check_paths(paths: list[Path], *, root: Path | None = None) -> list[Finding]:
    findings = []
    for base in paths:
        files = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for file in files:
            if any(part in {".venv", "node_modules", "__pycache__"} for part in file.parts):
                continue
            display = str(file.relative_to(root)) if root and file.is_relative_to(root) else str(file)
            findings.extend(check_file(file, display=display))
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suppression-check", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help=f"files or folders (default: {' '.join(DEFAULT_PATHS)})")
    args = parser.parse_args(argv)
    root = Path.cwd()
    paths = args.paths or [root / name for name in DEFAULT_PATHS]
    findings = check_paths(paths, root=root)
    for finding in findings:
        print(finding)
    print(f"suppression check: {len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
