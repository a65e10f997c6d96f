"""``python -m apis.inference_api``: serve inference-api with uvicorn on the configured host and port."""

from __future__ import annotations

import uvicorn

from apis.inference_api import SERVICE_NAME
from apis.inference_api.settings import get_settings
from apis.shared.observability import configure_logging


def main() -> None:
    """Configure logging and serve until stopped."""
    settings = get_settings()
    configure_logging(service=SERVICE_NAME, level=settings.log_level, json_format=settings.log_json)
    uvicorn.run(
        "apis.inference_api.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=True,
    )


if __name__ == "__main__":
    main()
