"""botocore client settings with bounded timeouts and retries.

Without them a dependency that stops answering holds a request for minutes
(botocore's defaults are 60 s per read and legacy retries); with them an
outage becomes a 503/504 in seconds, and calls succeed again as soon as the
service is back, since nothing is cached about the failure.
"""

from __future__ import annotations

from typing import Any, Literal

from botocore.config import Config

__all__ = ["client_config", "s3_client_config"]


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


def s3_client_config(*, addressing_style: Literal["virtual", "path"] = "virtual", **limits: Any) -> Config:
    """``client_config`` for S3 with SigV4, as presigned browser uploads need.

    Use ``addressing_style="virtual"`` against AWS (the bucket's own host name,
    which its CORS rules apply to) and ``"path"`` against a local endpoint such
    as the embedded moto server, whose address has no bucket subdomains.
    """
    return client_config(**limits).merge(Config(signature_version="s3v4", s3={"addressing_style": addressing_style}))
