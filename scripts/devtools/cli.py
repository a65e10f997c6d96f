"""Run a command's ``main`` and turn a refusal into a message and exit status 1."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from devtools.errors import CommandError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["run"]


def run(main: Callable[[], int]) -> None:
    """Exit with ``main``'s status; a CommandError prints ``error: ...`` and exits 1."""
    try:
        status = main()
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    sys.exit(status)
