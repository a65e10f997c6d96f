"""apis-shared: the library both apis services pin from the private index.

Importing the package is cheap on purpose: it pulls in neither FastAPI nor
boto3. Each subpackage imports what it needs when it is imported itself.
"""

import logging

from apis.shared._version import __version__

# The library logs but never configures logging; the services do.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__"]
