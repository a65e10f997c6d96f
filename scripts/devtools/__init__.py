"""The repository's own commands (release, pin, index, dev, test), run by the scripts in scripts/."""

__all__: list[str] = []
