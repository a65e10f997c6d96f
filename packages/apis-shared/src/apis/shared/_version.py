"""The one version source of apis-shared; the release command rewrites it."""

__version__ = "2.0.1"
