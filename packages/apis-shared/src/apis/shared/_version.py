"""The one version source of apis-shared; the release command rewrites it."""

__version__ = "1.7.1"
