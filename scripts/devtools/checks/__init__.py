"""Static checks the test command runs over the repository."""

__all__: list[str] = []
