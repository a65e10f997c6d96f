"""Hash-pinned pip requirements of each service, one file per package source, made from its uv.lock.

    scripts/requirements [--check] [SERVICE ...]      (default: every service)

For people who install with plain pip rather than uv. pip treats every index
it is given as equal and takes the best match from any of them, so the usual
``--extra-index-url`` recipe is the setup dependency confusion exploits. Here
each file names its one source and is installed by its own pip call:

- ``services/<service>/requirements/internal.txt``: what the lock takes from the
  internal index (apis-shared). Its ``--index-url`` line replaces every index
  pip is configured with, so the name is looked up there and nowhere else.
- ``services/<service>/requirements/public.txt``: everything else, from PyPI.
  It names no index, so a mirror pip is configured to use keeps working.

Every line carries the sha256 of each file the lock allows, so pip refuses
other bytes whatever serves them. The files are generated and committed;
``--check`` says which are missing or differ from what the lock gives.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devtools.build import uv_command
from devtools.config import SERVICES, Config, load_config
from devtools.errors import CommandError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "INTERNAL_FILE",
    "INTERNAL_ONLY",
    "PUBLIC_FILE",
    "PUBLIC_INDEX_URL",
    "REQUIREMENTS_DIR",
    "Requirement",
    "check_requirements",
    "main",
    "parse_export",
    "render_requirements",
    "requirements_files",
    "write_requirements",
]

REQUIREMENTS_DIR = "requirements"
INTERNAL_FILE = "internal.txt"
PUBLIC_FILE = "public.txt"
# uv's name for PyPI in a lock; the public file installs these from pip's default index.
PUBLIC_INDEX_URL = "https://pypi.org/simple"
# Names that must never be taken from the public index, whatever a lock says.
INTERNAL_ONLY = frozenset({"apis-shared"})
INSTALL_FLAGS = "--no-deps --require-hashes"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


@dataclass(frozen=True, order=True)
class Requirement:
    """One exported requirement: ``name==version[ ; marker]`` and the sha256 of every file it may install."""

    name: str
    specifier: str
    hashes: tuple[str, ...]

    def render(self) -> str:
        lines = [f"{self.specifier} \\", *(f"    --hash={digest} \\" for digest in self.hashes)]
        lines[-1] = lines[-1].removesuffix(" \\")
        return "\n".join(lines)


def normalize(name: str) -> str:
    """The PEP 503 form of a project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements_files(config: Config, service: str) -> list[Path]:
    """The generated files of ``service``, internal first."""
    directory = _service_dir(config, service) / REQUIREMENTS_DIR
    return [directory / INTERNAL_FILE, directory / PUBLIC_FILE]


def write_requirements(config: Config, service: str) -> list[Path]:
    """Write ``service``'s requirement files from its uv.lock; return them (internal first).

    A file whose text is already right is left untouched, so regenerating from
    the same lock changes nothing, not even a modification time.
    """
    expected = _expected_texts(config, service)
    for path, text in expected.items():
        data = text.encode()
        if path.exists() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.tmp")
        scratch.write_bytes(data)
        scratch.replace(path)
    return list(expected)


def check_requirements(config: Config, service: str) -> list[str]:
    """What is wrong with ``service``'s requirement files (missing, stale, unexpected); empty when current."""
    expected = _expected_texts(config, service)
    fix = f"run `scripts/requirements {service}`"
    lock = _relative(config, _service_dir(config, service) / "uv.lock")
    problems = []
    for path, text in expected.items():
        if not path.exists():
            problems.append(f"{_relative(config, path)} is missing: {fix}")
        elif path.read_bytes() != text.encode():
            problems.append(f"{_relative(config, path)} is stale (not what {lock} gives): {fix}")
    directory = _service_dir(config, service) / REQUIREMENTS_DIR
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            if path not in expected:
                problems.append(f"{_relative(config, path)} is not a generated requirements file: remove it")
    return problems


def parse_export(text: str) -> list[Requirement]:
    """The requirements of a ``uv export --format requirements.txt --no-header --no-annotate`` output."""
    requirements = []
    for entry in re.split(r"(?<!\\)\n", text.replace("\r\n", "\n")):
        logical = entry.replace("\\\n", " ").strip()
        if not logical or logical.startswith("#"):
            continue
        if logical.startswith("-"):
            raise CommandError(f"the exported lock has an entry pip users cannot install from an index: {logical!r}")
        specifier = logical.split(" --hash=", 1)[0].strip()
        hashes = tuple(sorted(set(_HASH.findall(logical))))
        name = _NAME.match(specifier)
        if name is None or "==" not in specifier:
            raise CommandError(f"the exported lock has an entry that is not pinned to one version: {specifier!r}")
        if not hashes:
            raise CommandError(f"the exported lock gives no sha256 for {specifier!r}")
        requirements.append(Requirement(normalize(name.group()), " ".join(specifier.split()), hashes))
    return sorted(requirements)


def render_requirements(
    *,
    service: str,
    lock_path: str,
    lock_sha256: str,
    internal_index_url: str,
    requirements: list[Requirement],
    sources: dict[str, str],
) -> dict[str, str]:
    """The text of each file (keys ``internal.txt``, ``public.txt``) given each requirement's lock source.

    ``sources`` maps a normalized name to the registry its lock entry names.
    """
    internal: list[Requirement] = []
    public: list[Requirement] = []
    for requirement in requirements:
        source = sources.get(requirement.name)
        if source is None:
            raise CommandError(f"{lock_path} has no registry source for {requirement.name}")
        if _same_url(source, internal_index_url):
            internal.append(requirement)
        elif _same_url(source, PUBLIC_INDEX_URL):
            if requirement.name in INTERNAL_ONLY:
                raise CommandError(
                    f"{lock_path} takes {requirement.name} from {source}: it must come from the internal index"
                )
            public.append(requirement)
        else:
            raise CommandError(
                f"{lock_path} takes {requirement.name} from {source}; the pip recipe knows only "
                f"the internal index ({internal_index_url}) and PyPI"
            )
    directory = f"{lock_path.rsplit('/', 1)[0]}/{REQUIREMENTS_DIR}"
    commands = [
        f"#   python -m pip install {INSTALL_FLAGS} -r {directory}/{INTERNAL_FILE}",
        f"#   python -m pip install {INSTALL_FLAGS} -r {directory}/{PUBLIC_FILE}",
    ]
    header = [
        f"# Generated by `scripts/requirements {service}` from {lock_path}",
        f"# (sha256 {lock_sha256}). Do not edit: run that command again.",
        "#",
        f"# {service} for plain pip: two files, each naming its one source. Install from",
        "# the repository root with one pip call per file, never --extra-index-url",
        "# (which lets any index serve any name):",
        *commands,
        "# pip refuses a file whose sha256 is not listed here, whichever index serves it.",
        "#",
    ]
    internal_text = [
        *header,
        "# This file: the packages the lock takes from the internal index, and only from",
        "# there. The --index-url line replaces every index pip is configured with.",
        "",
        f"--index-url {internal_index_url}",
        "",
        *(requirement.render() for requirement in internal),
    ]
    public_text = [
        *header,
        "# This file: the packages the lock takes from PyPI, installed from pip's default",
        "# index (PyPI, or the mirror pip is configured with: the file names no index, so",
        f"# that setting is kept). {', '.join(sorted(INTERNAL_ONLY))} is never among them.",
        "",
        *(requirement.render() for requirement in public),
    ]
    return {INTERNAL_FILE: "\n".join(internal_text) + "\n", PUBLIC_FILE: "\n".join(public_text) + "\n"}


def _expected_texts(config: Config, service: str) -> dict[Path, str]:
    directory = _service_dir(config, service)
    lock = directory / "uv.lock"
    if not lock.exists():
        raise CommandError(f"{_relative(config, lock)} is missing: lock the service first")
    lock_bytes = lock.read_bytes()
    texts = render_requirements(
        service=service,
        lock_path=_relative(config, lock),
        lock_sha256=hashlib.sha256(lock_bytes).hexdigest(),
        internal_index_url=_internal_index_url(config, directory / "pyproject.toml"),
        requirements=parse_export(_export(config, service)),
        sources=_lock_sources(tomllib.loads(lock_bytes.decode())),
    )
    return {path: texts[path.name] for path in requirements_files(config, service)}


def _export(config: Config, service: str) -> str:
    command = [
        *uv_command(), "export", "--frozen", "--offline", "--no-dev", "--no-emit-project",
        "--format", "requirements.txt", "--no-header", "--no-annotate", "--quiet",
        "--project", str(_service_dir(config, service)),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=config.root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise CommandError(f"`{' '.join(command)}` failed ({result.returncode}):\n{result.stderr.strip()}")
    return result.stdout


def _lock_sources(lock: dict[str, Any]) -> dict[str, str]:
    sources: dict[str, str] = {}
    for package in lock.get("package", []):
        registry = package.get("source", {}).get("registry")
        if registry is not None:
            sources[normalize(package["name"])] = str(registry)
    return sources


def _internal_index_url(config: Config, pyproject: Path) -> str:
    data = tomllib.loads(pyproject.read_text())
    for index in data.get("tool", {}).get("uv", {}).get("index", []):
        if index.get("name") == "internal":
            return str(index["url"])
    raise CommandError(f"{_relative(config, pyproject)} defines no [[tool.uv.index]] named `internal`")


def _same_url(left: str, right: str) -> bool:
    return left.rstrip("/") == right.rstrip("/")


def _service_dir(config: Config, service: str) -> Path:
    if service not in SERVICES:
        raise CommandError(f"unknown service {service!r}; services: {', '.join(SERVICES)}")
    return SERVICES[service].directory(config.root)


def _relative(config: Config, path: Path) -> str:
    return path.relative_to(config.root).as_posix()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/requirements", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is missing or stale")
    parser.add_argument("services", nargs="*", metavar="SERVICE", help=f"default: all ({' '.join(SERVICES)})")
    args = parser.parse_args(argv)
    config = load_config()
    services = args.services or list(SERVICES)
    for service in services:
        _service_dir(config, service)
    if args.check:
        problems = [problem for service in services for problem in check_requirements(config, service)]
        for problem in problems:
            print(problem)
        if problems:
            return 1
        print(f"requirements: current for {', '.join(services)}")
        return 0
    for service in services:
        for path in write_requirements(config, service):
            print(f"{service}: {_relative(config, path)}")
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
