"""botocore client settings with bounded timeouts and retries.

Without them a dependency that stops answering holds a request for minutes
(botocore's defaults are 60 s per read and legacy retries); with them an
outage becomes a 503/504 in seconds, and calls succeed again as soon as the
service is back, since nothing is cached about the failure.
"""

from __future__ import annotations

from botocore.config import Config

__all__ = ["client_config"]


def client_config(
    *,
    connect_timeout: float = 2.0,
    read_timeout: float = 5.0,
    max_attempts: int = 3,
    max_pool_connections: int = 20,
) -> Config:
    """Return a botocore ``Config`` for a client that fails fast and retries a little.

    ``max_attempts`` counts the first call (standard retry mode, which backs
    off with jitter and also retries throttling).
    """
    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        max_pool_connections=max_pool_connections,
    )
