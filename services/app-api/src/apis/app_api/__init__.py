"""app-api: the platform's HTTP API for the web client (ECS Fargate, port 8000)."""

SERVICE_NAME = "app-api"

__all__ = ["SERVICE_NAME"]
