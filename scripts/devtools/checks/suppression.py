"""Find exception handlers that swallow errors without saying why.

Every handler that does not re-raise is reported unless a
``# JUSTIFICATION: <reason>`` comment stands on one of its lines: an
``except`` clause whose body holds no ``raise`` (a ``raise`` inside a nested
function or class does not count), whatever it catches and whatever it does
instead (return a default, log and carry on, ``pass``, ``continue``, fall
back), and every ``with contextlib.suppress(...)``, whatever it suppresses.
A handler that turns one error into another (``raise X from exc``) re-raises.
Ruff's BLE001 and S110 are not enough on their own: they accept a narrow
handler, and a broad one that logs and carries on.

The message says how the handler swallows: broadly (bare ``except``,
``Exception``, ``BaseException``), silently (a body of only ``pass``,
``continue`` or ``...``), or by carrying on.

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


def _justified(lines: list[str], node: ast.ExceptHandler | ast.With | ast.AsyncWith) -> bool:
    """Whether a JUSTIFICATION comment opens the handler.

    It stands on the ``except``/``with`` line or on the lines from there to the
    first statement of its body (that statement's line included, for a trailing
    comment); one further down, or one of a nested handler, does not count.
    """
    first = node.lineno
    last = node.body[0].lineno if node.body else (node.end_lineno or node.lineno)
    return any(_JUSTIFICATION.search(line) for line in lines[first - 1 : last])


def _suppress_call(item: ast.withitem) -> ast.Call | None:
    call = item.context_expr
    if not isinstance(call, ast.Call):
        return None
    function = call.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    return call if name == "suppress" else None


def _handler_message(node: ast.ExceptHandler) -> str:
    caught = "bare except" if node.type is None else f"except {ast.unparse(node.type)}"
    if node.type is None or _names(node.type) & _BROAD:
        how = "neither re-raises nor has a # JUSTIFICATION:"
    elif _does_nothing(node.body):
        how = "swallows the error without a # JUSTIFICATION:"
    else:
        how = "carries on without re-raising and has no # JUSTIFICATION:"
    return f"{caught} {how}"


def check_source(source: str, path: str) -> list[Finding]:
    tree = ast.parse(source, filename=path)
    lines = source.splitlines()
    findings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler):
            if not _raises(node.body) and not _justified(lines, node):
                findings.append(Finding(path, node.lineno, _handler_message(node)))
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                call = _suppress_call(item)
                if call is None or _justified(lines, node):
                    continue
                caught = ", ".join(ast.unparse(argument) for argument in call.args)
                kind = "broad " if any(_names(argument) & _BROAD for argument in call.args) else ""
                findings.append(
                    Finding(path, node.lineno, f"{kind}contextlib.suppress({caught}) without a # JUSTIFICATION:")
                )
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
